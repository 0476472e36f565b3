"""At each login: decide once whether the session needs a second factor and is a staff session."""

import time

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import otp
from .middleware import SEEN_SESSION_KEY, SESSION_GRACE


@receiver(user_logged_in)
def note_login(sender, request, user, **kwargs):
    if request is None or not hasattr(request, "session"):
        return
    staff, _need = otp.remember_need(request, user)
    if staff:
        request.session[SEEN_SESSION_KEY] = int(time.time())
        request.session.set_expiry(settings.LAPOR_STAFF_IDLE_SECONDS + SESSION_GRACE)
