"""E-mail verification links: signed, expiring, single-use, bound to the address they were sent to, and
revealing nothing (no user id, no address: the payload is a random nonce and a keyed hash)."""

import secrets

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import User

SALT = "accounts.verify-email"
MAX_AGE = 7 * 24 * 3600  # a week


def _bind(nonce: str, email: str) -> str:
    """Ties a link to the address it was sent to, without showing the address (a keyed hash)."""
    return salted_hmac(SALT, f"{nonce}:{email}").hexdigest()[:20]


def make_token(user: User) -> str:
    """A signed, expiring link payload naming a fresh random nonce (never the user's id or address).
    Only the newest link works, and only once: the nonce is stored and emptied when used."""
    user.email_token = secrets.token_urlsafe(16)
    User.objects.filter(pk=user.pk).update(email_token=user.email_token)
    return signing.dumps({"n": user.email_token, "h": _bind(user.email_token, user.email)}, salt=SALT, compress=True)


def user_for_token(token: str) -> User | None:
    """The user whose current address this token verifies, or None (tampered, expired, used, replaced
    by a newer link, address changed)."""
    try:
        data = signing.loads(token, salt=SALT, max_age=MAX_AGE)
    except signing.BadSignature:  # SignatureExpired is a subclass
        return None
    nonce = str(data.get("n") or "") if isinstance(data, dict) else ""
    # Active accounts, and self-registrations waiting for this very verification (accounts/registration.py).
    waiting = Q(is_active=True) | Q(awaiting_verification=True)
    user = User.objects.filter(waiting, email_token=nonce).first() if nonce else None
    if user is None or not constant_time_compare(_bind(nonce, user.email), str(data.get("h", ""))):
        return None
    return user


def use_token(token: str) -> User | None:
    """Verify the address the link was sent to and spend the link; None if it is not (or no longer) valid."""
    user = user_for_token(token)
    if user is None:
        return None
    spent = User.objects.filter(pk=user.pk, email_token=user.email_token).update(email_token="", email_verified=True)
    if not spent:  # the same link opened twice at once: the other request used it
        return None
    user.email_token, user.email_verified = "", True
    return user


def send_verification(user: User, request=None) -> None:
    path = reverse("accounts:verify_email", args=[make_token(user)])
    url = request.build_absolute_uri(path) if request is not None else settings.SITE_URL.rstrip("/") + path
    with translation.override(user.language or settings.LANGUAGE_CODE):
        ctx = {"user": user, "url": url, "days": MAX_AGE // 86400}
        subject = " ".join(render_to_string("accounts/email/verify_subject.txt", ctx).split())
        body = render_to_string("accounts/email/verify_body.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
