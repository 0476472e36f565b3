import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.urls.base import translate_url
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import lockout, otp, registration, verification
from .forms import LoginForm, ProfileForm, RegisterForm, SecondFactorForm

log = logging.getLogger(__name__)
BACKEND = "accounts.backends.EmailOrPhoneBackend"
# Where the report form keeps what a visitor typed before logging in or registering (complaints.views
# writes it; the login and registration templates read it too).
REPORT_DRAFT_SESSION_KEY = "report_draft"
# Where a registration continues once its address is verified in the same browser.
REGISTER_NEXT_SESSION_KEY = "register_next"


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


def _with_language(response: HttpResponseRedirect, user) -> HttpResponseRedirect:
    """Send the user on in their preferred language: the URL prefix decides the UI language, the cookie
    remembers the choice for Accept-Language-free visits."""
    language = user.language or settings.LANGUAGE_CODE
    url = response["Location"]
    # translate_url resolves the path in the active language: resolve it in the path's own language.
    with translation.override(translation.get_language_from_path(urlsplit(url).path) or settings.LANGUAGE_CODE):
        response["Location"] = translate_url(url, language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
    )
    return response


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        return _with_language(super().form_valid(form), form.get_user())


def register(request):
    next_url = _safe_next(request, reverse("accounts:profile"))
    if request.user.is_authenticated:
        return redirect(next_url)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and lockout.throttled(request, "register"):
        form.is_valid()  # the answers typed stay in the form
        messages.error(request, lockout.too_many_message())
        return render(request, "accounts/register.html", {"form": form, "next": next_url}, status=429)
    if request.method == "POST" and form.is_valid():
        # The same answer whether the address or phone is free, taken or waiting (#21 item 14).
        sent = registration.register(request, form)
        request.session[REGISTER_NEXT_SESSION_KEY] = next_url
        request.session[registration.SESSION_KEY]["sent"] = sent
        request.session.modified = True
        return redirect("accounts:register_sent")
    return render(request, "accounts/register.html", {"form": form, "next": next_url})


def register_sent(request):
    """ "Check your e-mail": the one answer every registration gets."""
    started = request.session.get(registration.SESSION_KEY)
    if not started:
        return redirect("accounts:register")
    return render(
        request, "accounts/register_sent.html", {"email": started.get("email", ""), "sent": started.get("sent", True)}
    )


def verify_email(request, token):
    user = verification.use_token(token)  # single use: a second visit finds it spent
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    phone = user.pending_phone
    if not registration.activate(user):
        messages.warning(
            request,
            _(
                "Nomor telepon %(phone)s sudah dipakai akun lain, jadi tidak kami pasang pada akun Anda. Anda "
                "tetap dapat masuk dengan e-mail; nomor lain dapat diisi di profil."
            )
            % {"phone": phone},
        )
    messages.success(request, _("Terima kasih, alamat e-mail %(email)s sudah terverifikasi.") % {"email": user.email})
    if not request.user.is_authenticated and registration.started_here(request, user):
        # The browser that registered: signed in now (elsewhere the link only verifies; log in there).
        next_url = request.session.get(REGISTER_NEXT_SESSION_KEY) or reverse("accounts:profile")
        login(request, user, backend=BACKEND)
        request.session.pop(registration.SESSION_KEY, None)
        if not request.session.get(REPORT_DRAFT_SESSION_KEY):
            return _with_language(redirect(next_url), user)
    if request.session.get(REPORT_DRAFT_SESSION_KEY):
        # A report the citizen began before registering is not sent yet: back to it, filled in.
        messages.warning(request, _("Laporan Anda belum terkirim. Periksa isiannya, lalu tekan “Kirim laporan”."))
        form_url = reverse("complaints:submit")
        if request.user.is_authenticated:
            return redirect(form_url)
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': form_url})}")
    return redirect("accounts:profile" if request.user.is_authenticated else "accounts:login")


@require_POST
@login_required
def resend_verification(request):
    user = request.user
    if user.email_verified:
        messages.info(request, _("Alamat e-mail Anda sudah terverifikasi."))
    elif not cache.add(f"lapor:verify-resend:{user.pk}", 1, timeout=60):
        messages.warning(request, _("Tautan verifikasi baru saja dikirim. Tunggu satu menit sebelum meminta lagi."))
    elif not _send_verification(request, user):
        cache.delete(f"lapor:verify-resend:{user.pk}")  # nothing was sent: the user may try again at once
        messages.error(request, _("E-mail verifikasi gagal dikirim. Silakan coba lagi beberapa saat lagi."))
    else:
        messages.success(request, _("Tautan verifikasi baru sudah dikirim ke %(email)s.") % {"email": user.email})
    return redirect("accounts:profile")


def _send_verification(request, user) -> bool:
    """Mail the verification link; False (logged) when the mail server refused it."""
    try:
        verification.send_verification(user, request)
    except Exception:
        log.warning("Could not mail the verification link to user %s", user.pk, exc_info=True)
        return False
    return True


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        messages.success(request, _("Profil Anda sudah disimpan."))
        return _with_language(redirect("accounts:profile"), user)
    return render(request, "accounts/profile.html", {"form": form})


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")

    def form_valid(self, form):
        # Per address and per e-mail asked for: nobody floods a mailbox or probes the form by script.
        if lockout.throttled(self.request, "password_reset", account=form.cleaned_data["email"].strip().lower()):
            form.add_error(None, lockout.too_many_message())
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().form_valid(form)


password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view()
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    success_url=reverse_lazy("accounts:password_reset_complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()


# --- Second factor (accounts/otp.py) ---


@login_required
def otp_verify(request):
    """The code page after the password: a TOTP code or one recovery code."""
    next_url = _safe_next(request, reverse("home"))
    if request.user.is_verified():
        return redirect(next_url)
    if not otp.has_device(request.user):
        return redirect(f"{reverse('accounts:otp_enrol')}?{urlencode({'next': next_url})}")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp.verify(request, form.cleaned_data["token"]):
            left = otp.recovery_codes_left(request.user)
            if left < 3:
                messages.warning(
                    request,
                    _("Sisa kode pemulihan Anda %(n)s. Buat kode baru di halaman verifikasi dua langkah.")
                    % {"n": left},
                )
            return redirect(next_url)
        form.add_error(
            "token",
            _(
                "Kode salah atau sudah kedaluwarsa. Masukkan kode yang sedang tampil di aplikasi; "
                "setelah beberapa kali salah, tunggu sebentar sebelum mencoba lagi."
            ),
        )
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


@login_required
def otp_enrol(request):
    """Set up the authenticator app: QR code and secret, confirmed by a first code; then recovery codes."""
    next_url = _safe_next(request, reverse("accounts:otp_security"))
    if otp.has_device(request.user) and not request.user.is_verified():
        # Replacing a device needs the old one first: a stolen password must not enrol its own app.
        return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': request.get_full_path()})}")
    device = otp.pending_device(request.user)
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        codes = otp.confirm_enrolment(request, device, form.cleaned_data["token"])
        if codes is not None:
            return render(request, "accounts/otp_recovery.html", {"codes": codes, "next": next_url})
        form.add_error("token", _("Kode tidak cocok. Periksa jam ponsel Anda lalu masukkan kode yang sedang tampil."))
    context = {
        "form": form,
        "next": next_url,
        "qr": otp.qr_svg(device),
        "secret": otp.secret_base32(device),
        "required": otp.is_required(request.user),
    }
    return render(request, "accounts/otp_enrol.html", context)


@login_required
def otp_security(request):
    """The account's second factor: status, new recovery codes, and (citizens only) switching it off."""
    user = request.user
    enrolled, required = otp.has_device(user), otp.is_required(user)
    if request.method == "POST":
        if not user.is_verified():
            return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': request.path})}")
        if "recovery" in request.POST and enrolled:
            return render(request, "accounts/otp_recovery.html", {"codes": otp.new_recovery_codes(user), "next": ""})
        if "disable" in request.POST and enrolled and not required:
            otp.disable(request)
            messages.success(request, _("Verifikasi dua langkah sudah dimatikan untuk akun Anda."))
        return redirect("accounts:otp_security")
    context = {
        "enrolled": enrolled,
        "required": required,
        "codes_left": otp.recovery_codes_left(user) if enrolled else 0,
    }
    return render(request, "accounts/otp_security.html", context)


def invitation(request, token):
    """A staff invitation (agencies.staffing.invite): set a name and password, then the second factor."""
    from agencies import staffing

    from .forms import InvitationForm

    invite = staffing.open_invitation(token)
    if invite is None:
        return render(request, "accounts/invitation.html", {"expired": True}, status=410)
    form = InvitationForm(request.POST or None, email=invite.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = staffing.accept(
                token, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password1"]
            )
        except staffing.StaffingError as error:
            messages.error(request, str(error))
            return render(request, "accounts/invitation.html", {"expired": True}, status=410)
        login(request, user, backend=BACKEND)
        messages.success(request, _("Akun Anda dibuat. Aktifkan verifikasi dua langkah untuk mulai bekerja."))
        return redirect("accounts:otp_enrol")
    return render(
        request, "accounts/invitation.html", {"form": form, "invite": invite}, status=400 if form.errors else 200
    )
