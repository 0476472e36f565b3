from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import User, nik_validator, normalize_phone, phone_validator


def _clean_phone(value: str, *, exclude_pk=None, check_taken=True) -> str:
    """Accept 0812-3456-7890, +62 812…, 62812…; store 62…; refuse a number another account uses
    (not at registration: that answers the same either way, accounts/registration.py)."""
    raw = "".join(ch for ch in (value or "") if ch.isdigit() or ch == "+")
    if not raw:
        return ""
    phone_validator(raw)
    phone = normalize_phone(raw)
    if not check_taken:
        return phone
    taken = User.objects.filter(phone=phone)
    if exclude_pk:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise ValidationError(
            _("Nomor telepon ini sudah dipakai akun lain. Masuk dengan nomor ini atau pakai nomor lain.")
        )
    return phone


def _clean_nik(value: str) -> str:
    nik = "".join((value or "").split())
    if nik:
        nik_validator(nik)
    return nik


class RegisterForm(forms.ModelForm):
    password1 = forms.CharField(
        label=_("Kata sandi"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Minimal 8 karakter, jangan hanya angka, jangan mirip nama atau e-mail Anda."),
    )
    password2 = forms.CharField(
        label=_("Ulangi kata sandi"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    class Meta:
        model = User
        fields = ["full_name", "email", "phone", "nik"]
        labels = {"full_name": _("Nama lengkap"), "email": _("E-mail"), "phone": _("Nomor telepon"), "nik": _("NIK")}
        help_texts = {
            "phone": _("Contoh: 081234567890. Bisa dipakai untuk masuk."),
            "nik": _("Opsional. 16 angka sesuai KTP; tidak pernah ditampilkan ke publik."),
        }
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "nik": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "16"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].required = True
        # The model's validators run on the raw value; ours normalise first.
        self.fields["phone"].validators = []
        self.fields["nik"].validators = []
        self.fields["phone"].max_length = None
        self.fields["phone"].widget.attrs.pop("maxlength", None)

    def clean_email(self):
        # Never says whether the address has an account (#21 item 14): accounts/registration.py
        # answers every registration the same way and mails the address either way.
        return self.cleaned_data["email"].strip().lower()

    def clean_phone(self):
        return _clean_phone(self.cleaned_data.get("phone"), check_taken=False)

    def validate_unique(self):
        """No "an account with this e-mail already exists": registration.register handles a taken
        address or phone without telling the visitor."""

    def _get_validation_exclusions(self):
        # Nor "this phone number is taken" (the model's unique phone constraint): see validate_unique.
        return super()._get_validation_exclusions() | {"phone"}

    def clean_nik(self):
        return _clean_nik(self.cleaned_data.get("nik"))

    def clean_password2(self):
        p1, p2 = self.cleaned_data.get("password1"), self.cleaned_data.get("password2")
        if p1 and p2 and p1 != p2:
            raise ValidationError(_("Kedua kata sandi tidak sama."))
        return p2

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("password2")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except ValidationError as error:
                self.add_error("password1", error)

    def save(self, commit=True):
        user = super().save(commit=False)
        user.set_password(self.cleaned_data["password1"])
        if commit:
            user.save()
        return user


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("E-mail/nomor telepon atau kata sandi salah. Periksa lagi, lalu coba kembali."),
        "inactive": _("Akun ini dinonaktifkan."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("E-mail atau nomor telepon")
        self.fields["username"].widget.attrs.update({"autocomplete": "username", "autofocus": True})
        self.fields["password"].label = _("Kata sandi")


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "display_name", "phone", "nik", "language"]
        labels = {
            "full_name": _("Nama lengkap"),
            "display_name": _("Nama tampilan"),
            "phone": _("Nomor telepon"),
            "nik": _("NIK"),
            "language": _("Bahasa tampilan"),
        }
        help_texts = {
            "display_name": _("Nama yang tampil di laporan publik Anda. Kosongkan untuk memakai nama depan."),
            "nik": _("Opsional. 16 angka sesuai KTP; tidak pernah ditampilkan ke publik."),
        }
        widgets = {
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "nik": forms.TextInput(attrs={"inputmode": "numeric", "maxlength": "16"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["phone"].validators = []
        self.fields["nik"].validators = []
        self.fields["phone"].max_length = None
        self.fields["phone"].widget.attrs.pop("maxlength", None)

    def clean_phone(self):
        return _clean_phone(self.cleaned_data.get("phone"), exclude_pk=self.instance.pk)

    def clean_nik(self):
        return _clean_nik(self.cleaned_data.get("nik"))


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label=_("Kode verifikasi"),
        max_length=16,
        help_text=_("6 angka dari aplikasi autentikator Anda, atau salah satu kode pemulihan."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )


class InvitationForm(forms.Form):
    """Accept a staff invitation: a name and a password (the second factor follows)."""

    full_name = forms.CharField(
        label=_("Nama lengkap"), max_length=150, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    password1 = RegisterForm.base_fields["password1"]
    password2 = RegisterForm.base_fields["password2"]

    def __init__(self, *args, email="", **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", _("Kedua kata sandi tidak sama."))
        elif p1:
            try:
                password_validation.validate_password(p1, User(email=self.email, full_name=data.get("full_name", "")))
            except ValidationError as error:
                self.add_error("password1", error)
        return data
