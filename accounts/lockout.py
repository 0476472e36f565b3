"""Login lockout (django-axes) keyed by account and by client address, and the throttles of the other
forms a script would hammer (password reset, registration, comments).

Axes records every failed login of the site and admin forms with the account and the client address
(lapor/clientip.py). An account is locked after LAPOR_LOGIN_FAILURES_PER_ACCOUNT failures within
LAPOR_LOGIN_COOLOFF_MINUTES, an address after LAPOR_LOGIN_FAILURES_PER_ADDRESS: set far higher, since
a carrier NAT puts many people behind one address. National admins unlock in the admin (accounts/admin.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from lapor import ratelimit
from lapor.clientip import client_ip

from .models import User, normalize_phone


def account_key(request, credentials) -> str | None:
    """The account a login names, however it was typed (e-mail in any case, 0812…/+62812…), as its
    e-mail: one account is one counter, so switching between e-mail and phone buys no extra tries."""
    identifier = ((credentials or {}).get("username") or request.POST.get("username") or "").strip()
    if not identifier:
        return None
    if "@" in identifier:
        email = User.objects.filter(email__iexact=identifier).values_list("email", flat=True).first()
        return email or identifier.lower()[:150]
    phone = normalize_phone(identifier)
    email = User.objects.filter(phone=phone).values_list("email", flat=True).first() if phone else None
    return email or (phone or identifier)[:150]


def _failures(**match) -> int:
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(attempt_time__gte=since, **match).aggregate(n=Sum("failures_since_start"))
    return total["n"] or 0


def failure_limit(request, credentials) -> int:
    """Axes compares one number (the larger of the account's and the address's failures) with one limit;
    this answers the limit that makes that comparison mean "account over its limit, or address over its"."""
    account = _failures(username=account_key(request, credentials))
    address = _failures(ip_address=getattr(request, "axes_ip_address", None) or client_ip(request))
    if account >= settings.LAPOR_LOGIN_FAILURES_PER_ACCOUNT:
        return account
    if address >= settings.LAPOR_LOGIN_FAILURES_PER_ADDRESS:
        return address
    return max(account, address) + 1


def locked_out(request, original_response=None, credentials=None):
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "accounts/locked_out.html", {"minutes": minutes}, status=429)


# --- Throttles of other forms (fixed windows in the cache, lapor/ratelimit.py) ---


def throttled(request, scope: str, *, account=None) -> bool:
    """Count one use of `scope` (per client address, and per account when given); True when over a limit.
    Limits are settings LAPOR_<SCOPE>_RATE_IP and LAPOR_<SCOPE>_RATE_USER as (count, window seconds)."""
    checks = [(f"{scope}-ip", client_ip(request), getattr(settings, f"LAPOR_{scope.upper()}_RATE_IP"))]
    if account is not None:
        checks.append((f"{scope}-user", account, getattr(settings, f"LAPOR_{scope.upper()}_RATE_USER")))
    if any(ratelimit.is_limited(name, ident, limit) for name, ident, (limit, _window) in checks):
        return True
    for name, ident, (_limit, window) in checks:
        ratelimit.hit(name, ident, window)
    return False


def too_many_message() -> str:
    return _(
        "Terlalu banyak percobaan dalam waktu singkat. Tunggu beberapa menit lalu coba lagi; isian Anda tetap ada."
    )
