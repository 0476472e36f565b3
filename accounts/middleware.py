"""Staff sessions: a second factor before anything, and an idle timeout.

After django-otp's OTPMiddleware. A session that needs a second factor (accounts/otp.py) and has
not given one reaches only the second-factor pages, logout and the language switch; everything else
sends it to enrolment (no device yet) or to the code page, keeping where it was going. A staff
session unused for LAPOR_STAFF_IDLE_SECONDS is ended. The API and Open311 authenticate by key, not
by session, and are not concerned.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.translation import gettext as _

from . import otp

OPEN_VIEWS = {
    "accounts:otp_verify",
    "accounts:otp_enrol",
    "accounts:logout",
    "set_language",
    "javascript-catalog",
}
KEY_PATHS = ("/api/", "/open311/")
SEEN_SESSION_KEY = "lapor_seen"
SEEN_RESOLUTION = 60  # seconds: the session is written at most once a minute to note activity
# The stored session outlives the idle limit by this much, so the next request finds it and says why
# it ended (after that it is simply gone).
SESSION_GRACE = 60 * 60


class StaffSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.path_info.startswith(KEY_PATHS):
            return None
        request.user = loaded_user(request.user)
        if not request.user.is_authenticated:
            return None
        staff, needs_second_factor = otp.session_needs(request)
        if staff and _idle_expired(request):
            logout(request)
            messages.info(request, _("Sesi Anda berakhir karena lama tidak aktif. Silakan masuk lagi."))
            return redirect(f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}")
        if not needs_second_factor or request.user.is_verified() or request.resolver_match.view_name in OPEN_VIEWS:
            return None
        target = "accounts:otp_verify" if otp.has_device(request.user) else "accounts:otp_enrol"
        return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")


def loaded_user(user):
    """The request's user itself, loaded, in place of the lazy wrappers Django's and django-otp's middleware
    put around it (django-otp's around Django's): every attribute read through them passes both proxies,
    and a signed-in report page reads the user ~140 times (issue #15). Every view reads the user here
    anyway; the object is the same one (django-otp's otp_device and is_verified set on it)."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user


def _idle_expired(request) -> bool:
    """True when the staff session was idle too long; otherwise note this request (at most once a minute)."""
    now = int(time.time())
    seen = request.session.get(SEEN_SESSION_KEY)
    if seen is not None and now - seen > settings.LAPOR_STAFF_IDLE_SECONDS:
        return True
    if seen is None or now - seen >= SEEN_RESOLUTION:
        request.session[SEEN_SESSION_KEY] = now
        # The stored session dies soon after too (refreshed with every note of activity).
        request.session.set_expiry(settings.LAPOR_STAFF_IDLE_SECONDS + SESSION_GRACE)
    return False
