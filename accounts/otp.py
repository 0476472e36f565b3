"""The second factor (TOTP, django-otp): who needs it, enrolment, recovery codes, reset.

Every account that can reach the admin or the staff pages (is_staff, a superuser, or any agency
membership) must prove a TOTP code, or one of its single-use recovery codes, after the password;
until then the session reaches nothing but the second-factor pages and logout
(accounts/middleware.py). Citizens may opt in: an account with a confirmed device is asked too.
"""

from __future__ import annotations

from base64 import b32decode, b32encode

import segno
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user, match_token
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

# The demo's published TOTP secret (seed_demo gives it to every demo staff account; README, `make run`).
DEMO_SECRET = "LAPORDEMOLAPORDEMOLAPORDEMOLAPOR"
RECOVERY_CODES = 10
NEEDS_SESSION_KEY = "lapor_needs_second_factor"
TOTP_NAME = "TOTP"
RECOVERY_NAME = "recovery"


def is_required(user) -> bool:
    """Staff of any role (is_staff, superuser, or an agency membership) must use a second factor."""
    if user.is_staff or user.is_superuser:
        return True
    held = getattr(user, "lapor_holds_membership", None)  # read with the request's user (request_user.py)
    return bool(user.memberships.exists() if held is None else held)


def needs_second_factor(user) -> bool:
    return is_required(user) or has_device(user)


def has_device(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def remember_need(request, user) -> tuple[bool, bool]:
    """Decide once per login (kept in the session), so citizens' pages pay no query for it:
    (is staff, needs a second factor)."""
    staff = is_required(user)
    need = staff or has_device(user)
    request.session[NEEDS_SESSION_KEY] = [staff, need]
    return staff, need


def session_needs(request) -> tuple[bool, bool]:
    """(is staff, needs a second factor) of the request's session, as decided at its login — decided
    again when the user has since become staff: a membership given to a signed-in citizen asks for the
    second factor on their next request, not at their next login."""
    user = request.user
    if user.is_staff or user.is_superuser:
        return True, True
    stored = request.session.get(NEEDS_SESSION_KEY)
    if stored is None or (not stored[0] and getattr(user, "lapor_holds_membership", False)):
        return remember_need(request, user)
    return tuple(stored)


def give_demo_device(user) -> TOTPDevice:
    """A confirmed TOTP device with the published demo secret (demo accounts only)."""
    key = b32decode(DEMO_SECRET).hex()
    device, _created = TOTPDevice.objects.update_or_create(
        user=user, name=TOTP_NAME, defaults={"confirmed": True, "key": key}
    )
    return device


def demo_code(at: float | None = None) -> str:
    """The demo secret's current six-digit code (what an authenticator app shows)."""
    totp = TOTP(b32decode(DEMO_SECRET), step=30, digits=6)
    if at is not None:
        totp.time = at
    return f"{totp.token():06d}"


def pending_device(user) -> TOTPDevice:
    """The unconfirmed TOTP device being enrolled (a new secret when there is none yet)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False, name=TOTP_NAME).first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The device's otpauth:// address as an inline SVG QR code, drawn here (no outside service)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#000", light="#fff")


def secret_base32(device: TOTPDevice) -> str:
    """The secret as authenticator apps accept it typed in, in groups of four."""
    raw = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


@transaction.atomic
def confirm_enrolment(request, device: TOTPDevice, token: str) -> list[str] | None:
    """Check the first code from the app; on success the device counts, older ones go, the session is
    verified and fresh recovery codes are returned (shown once). None when the code is wrong."""
    if not device.verify_token((token or "").replace(" ", "")):
        return None
    TOTPDevice.objects.filter(user=device.user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = new_recovery_codes(device.user)
    otp_login(request, device)
    remember_need(request, device.user)
    return codes


@transaction.atomic
def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes with RECOVERY_CODES fresh single-use ones."""
    device, _created = StaticDevice.objects.get_or_create(user=user, name=RECOVERY_NAME, defaults={"confirmed": True})
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _n in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def verify(request, token: str) -> bool:
    """Check a TOTP or recovery code (throttled per device by django-otp); mark the session on success."""
    token = (token or "").replace(" ", "").strip()
    if not token:
        return False
    device = match_token(request.user, token)
    if device is None:
        return False
    otp_login(request, device)
    return True


@transaction.atomic
def reset(user) -> int:
    """A national admin's reset: every device goes; the account enrols anew at its next login."""
    count = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        count += 1
    return count


def disable(request) -> None:
    """A citizen who opted in switches the second factor off again (staff cannot)."""
    reset(request.user)
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    remember_need(request, request.user)
