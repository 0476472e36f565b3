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

from . import verification
from .forms import LoginForm, ProfileForm, RegisterForm

log = logging.getLogger(__name__)
BACKEND = "accounts.backends.EmailOrPhoneBackend"
# Where the report form keeps what a visitor typed before logging in or registering (complaints.views
# writes it; the login and registration templates read it too).
REPORT_DRAFT_SESSION_KEY = "report_draft"


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
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend=BACKEND)
        if not _send_verification(request, user):  # the account stands; the profile offers to send again
            messages.warning(
                request, _("Akun Anda sudah dibuat, tetapi e-mail verifikasi gagal dikirim. Kirim ulang dari profil.")
            )
        else:
            messages.success(
                request,
                _("Akun Anda sudah dibuat. Kami mengirim tautan verifikasi ke %(email)s.") % {"email": user.email},
            )
        return redirect(next_url)
    return render(request, "accounts/register.html", {"form": form, "next": next_url})


def verify_email(request, token):
    user = verification.use_token(token)  # single use: a second visit finds it spent
    if user is None:
        return render(request, "accounts/verify_failed.html", status=400)
    messages.success(request, _("Terima kasih, alamat e-mail %(email)s sudah terverifikasi.") % {"email": user.email})
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


password_reset = auth_views.PasswordResetView.as_view(
    template_name="registration/password_reset_form.html",
    email_template_name="registration/password_reset_email.txt",
    subject_template_name="registration/password_reset_subject.txt",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view()
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    success_url=reverse_lazy("accounts:password_reset_complete")
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view()
