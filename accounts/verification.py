"""E-mail verification links: a signed, expiring token bound to the user AND the address it was sent to."""

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .models import User

SALT = "accounts.verify-email"
MAX_AGE = 7 * 24 * 3600  # a week


def make_token(user: User) -> str:
    return signing.dumps({"u": user.pk, "e": user.email}, salt=SALT, compress=True)


def user_for_token(token: str) -> User | None:
    """The user whose current address this token verifies, or None (tampered, expired, address changed)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a subclass
        return None
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    if user is None or user.email != data.get("e"):
        return None
    return user


def send_verification(user: User, request=None) -> None:
    path = reverse("accounts:verify_email", args=[make_token(user)])
    url = request.build_absolute_uri(path) if request is not None else settings.SITE_URL.rstrip("/") + path
    with translation.override(user.language or settings.LANGUAGE_CODE):
        ctx = {"user": user, "url": url, "days": MAX_AGE // 86400}
        subject = " ".join(render_to_string("accounts/email/verify_subject.txt", ctx).split())
        body = render_to_string("accounts/email/verify_body.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
