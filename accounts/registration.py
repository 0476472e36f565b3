"""Self-registration that tells nobody whether an address or a phone number is already registered
(#21 item 14). Every registration answers with the same "check your e-mail" page and sends one mail
to the address typed: a new account gets its verification link; an address that has an account gets
a notice ("someone tried to register with your address; if it was you, log in or reset your
password"); an address whose earlier registration was never verified gets the new registration's
link (that one replaces the unverified one: whoever holds the mailbox decides). The account waits,
inactive, until its address is verified, so logging in with the password just chosen tells nothing
either. The phone number is attached only on verification, and only if no other account holds it;
the verified owner of the mailbox is told when it was not."""

from __future__ import annotations

import logging

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from . import verification
from .models import User

log = logging.getLogger(__name__)
# Session keys: the registration this browser made (its account id, or None) and what the page shows.
SESSION_KEY = "registration"


def register(request, form) -> bool:
    """Act on a valid RegisterForm without telling the visitor which case it was; False when the mail
    could not be sent (the same for every case: the visitor may register again)."""
    data = form.cleaned_data
    email = data["email"]
    existing = User.objects.filter(email__iexact=email).first()
    account = None
    if existing is None:
        account = _create(form)
        if account is None:  # a registration of the same address won the race: it is taken now
            existing = User.objects.filter(email__iexact=email).first()
    if existing is not None and existing.awaiting_verification and not existing.email_verified:
        account = _replace_pending(existing, form)
    request.session[SESSION_KEY] = {"account": account.pk if account else None, "email": email}
    try:
        if account is not None:
            verification.send_verification(account, request)
        else:
            make_password(data["password1"])  # the same work as creating an account
            send_taken_notice(existing, request)
    except Exception:
        log.warning("Could not mail a registration answer", exc_info=True)
        return False
    return True


def _create(form) -> User | None:
    user = form.save(commit=False)
    user.pending_phone, user.phone = user.phone, ""
    user.is_active, user.awaiting_verification = False, True
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:
        return None
    return user


def _replace_pending(user: User, form) -> User:
    """An address registered but never verified: the newest registration is the one its link verifies."""
    data = form.cleaned_data
    user.full_name, user.nik, user.pending_phone = data["full_name"], data.get("nik", ""), data.get("phone", "")
    user.set_password(data["password1"])
    user.save(update_fields=["full_name", "nik", "pending_phone", "password"])
    return user


def send_taken_notice(user: User, request) -> None:
    """To an address that already has an account: somebody (perhaps its owner) tried to register it."""
    base = request.build_absolute_uri("/")[:-1] if request is not None else settings.SITE_URL.rstrip("/")
    with translation.override(user.language or settings.LANGUAGE_CODE):
        ctx = {
            "user": user,
            "login_url": base + reverse("accounts:login"),
            "reset_url": base + reverse("accounts:password_reset"),
        }
        subject = " ".join(render_to_string("accounts/email/register_taken_subject.txt", ctx).split())
        body = render_to_string("accounts/email/register_taken_body.txt", ctx)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def activate(user: User) -> bool:
    """A verified registration becomes a usable account; its phone is attached if still free.
    Returns False when the phone given could not be attached (another account holds it)."""
    if not user.awaiting_verification and not user.pending_phone:
        return True
    phone, attached = user.pending_phone, True
    fields = {"awaiting_verification": False, "pending_phone": ""}
    if user.awaiting_verification:
        fields["is_active"] = True
    if phone:
        if User.objects.filter(phone=phone).exclude(pk=user.pk).exists():
            attached = False
        else:
            fields["phone"] = phone
    try:
        with transaction.atomic():
            User.objects.filter(pk=user.pk).update(**fields)
    except IntegrityError:  # the number was taken a moment ago
        fields.pop("phone", None)
        attached = False
        User.objects.filter(pk=user.pk).update(**fields)
    for name, value in fields.items():
        setattr(user, name, value)
    return attached


def started_here(request, user: User) -> bool:
    """Whether this browser made the registration this account's link verifies."""
    started = request.session.get(SESSION_KEY) or {}
    return started.get("account") == user.pk
