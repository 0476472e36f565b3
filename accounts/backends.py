from axes.backends import AxesStandaloneBackend
from django.contrib.auth.backends import ModelBackend

from . import request_user
from .models import User, normalize_phone


class EmailOrPhoneBackend(ModelBackend):
    """Log in with an e-mail address or an Indonesian phone number (0812…, +62812…, 62812…)."""

    def get_user(self, user_id):
        """A session's user, read with the facts its pages need in the same query (accounts/request_user.py);
        an inactive account is nobody, as in ModelBackend."""
        user = request_user.load(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def authenticate(self, request, username=None, password=None, **kwargs):
        identifier = (username or kwargs.get("email") or "").strip()
        if not identifier or password is None:
            return None
        if "@" in identifier:
            user = User.objects.filter(email__iexact=identifier).first()
        else:
            phone = normalize_phone(identifier)
            user = User.objects.filter(phone=phone).first() if phone else None
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None


class LockoutBackend(AxesStandaloneBackend):
    """django-axes in front of the password check: refuses a locked account or address before the
    password is tried. Only web requests can be locked out: `authenticate()` called without a request
    (management commands, the test client's login()) is left to the next backend."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
