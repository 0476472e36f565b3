from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

phone_validator = RegexValidator(
    r"^\+?[0-9]{8,15}$", _("Nomor telepon harus 8–15 angka, boleh diawali tanda +, misalnya 081234567890.")
)
nik_validator = RegexValidator(r"^[0-9]{16}$", _("NIK harus tepat 16 angka."))


def normalize_phone(value: str) -> str:
    """Indonesian numbers are stored as 62…: 0812… and +62812… are the same person."""
    digits = "".join(ch for ch in (value or "") if ch.isdigit())
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    return digits


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email, password=None, **extra):
        if not email:
            raise ValueError("E-mail is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        if user.phone:
            user.phone = normalize_phone(user.phone)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail"), unique=True)
    phone = models.CharField(_("nomor telepon"), max_length=16, blank=True, validators=[phone_validator])
    full_name = models.CharField(_("nama lengkap"), max_length=150)
    display_name = models.CharField(
        _("nama tampilan"), max_length=60, blank=True, help_text=_("Nama yang tampil di laporan publik Anda.")
    )
    nik = models.CharField(_("NIK"), max_length=16, blank=True, validators=[nik_validator])
    language = models.CharField(
        _("bahasa"), max_length=8, default="id", choices=[("id", "Bahasa Indonesia"), ("en", "English")]
    )
    email_verified = models.BooleanField(_("e-mail terverifikasi"), default=False)
    # The random nonce of the one live e-mail verification link (accounts/verification.py); emptied when used.
    email_token = models.CharField(max_length=32, blank=True, db_index=True, editable=False)
    # A self-registered account waits, inactive, until its address is verified (accounts/registration.py):
    # registration answers the same whether an address or phone is taken, so nothing is usable before.
    awaiting_verification = models.BooleanField(default=False, db_default=False, editable=False)
    # The phone number given at registration, attached on verification if no other account holds it.
    pending_phone = models.CharField(max_length=16, blank=True, default="", db_default="", editable=False)
    is_staff = models.BooleanField(_("akses admin"), default=False)
    is_active = models.BooleanField(_("aktif"), default=True)
    date_joined = models.DateTimeField(_("tanggal daftar"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("pengguna")
        verbose_name_plural = _("pengguna")
        constraints = [
            # Login by phone needs phones to be unique; blank means "no phone".
            models.UniqueConstraint(fields=["phone"], condition=~models.Q(phone=""), name="user_phone_unique"),
        ]

    def __str__(self):
        return self.full_name or self.email

    @property
    def public_name(self) -> str:
        """What the public sees: a display name, never the e-mail or phone."""
        return self.display_name or self.full_name.split(" ")[0] or _("Warga")

    def get_full_name(self):
        return self.full_name

    def get_short_name(self):
        return self.public_name
