"""Second-factor helpers for tests (used by the root conftest.py and the browser fixtures).

In tests, `client.force_login(user)` gives a staff user a session that has passed the second factor
too (the root conftest wraps it with `verify_session`), so a test about what staff may do is not a
test about logging in. A test about the second factor itself logs in with `login_without_second_factor`.
"""

from __future__ import annotations

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import otp

_plain_force_login = Client.force_login


def login_without_second_factor(client: Client, user, backend=None) -> None:
    """Password-only login: the session a stolen password would get."""
    _plain_force_login(client, user, backend)


def verified_device(user) -> TOTPDevice:
    device, _created = TOTPDevice.objects.get_or_create(user=user, name=otp.TOTP_NAME, defaults={"confirmed": True})
    return device


def verify_session(client: Client, user) -> None:
    """Mark the client's session as having passed the second factor with the user's TOTP device."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = verified_device(user).persistent_id
    session.save()


def force_login(client: Client, user, backend=None) -> None:
    """What `client.force_login` does in every test: log in, and pass the second factor when needed."""
    _plain_force_login(client, user, backend)
    if otp.needs_second_factor(user):
        verify_session(client, user)


def recovery_code(user) -> str:
    """A fresh single-use recovery code for `user` (the browser login types it on the code page);
    the user is enrolled with a TOTP device too, so the login asks for a code rather than enrolment."""
    verified_device(user)
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=otp.RECOVERY_NAME, defaults={"confirmed": True}
    )
    return StaticToken.objects.create(device=device, token=StaticToken.random_token()).token
