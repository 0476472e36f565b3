"""The home page's live counters (public reports, completed ones, active agencies).

At two million reports they are COUNTs worth tens of milliseconds, so no visitor should wait for
them: in production the beat refreshes them every minute (complaints.tasks.refresh_home_counters)
and pages only read the cache. Without a beat (the embedded mode), the first request after the
minute recomputes them.
"""

from django.core.cache import cache
from django.db.models import Count, Q

from agencies.models import Agency

from .models import Report, Status

HOME_COUNTERS_KEY = "lapor:home:counters"
HOME_COUNTERS_TTL = 60  # computed by a request
REFRESHED_TTL = 180  # written by the beat every 60 s: survives two missed beats


def compute() -> dict:
    public = Report.objects.public().exclude(status=Status.MERGED)  # a merged duplicate counts once
    return {
        **public.aggregate(reports=Count("pk"), completed=Count("pk", filter=Q(status=Status.COMPLETED))),
        "agencies": Agency.objects.active().count(),
    }


def home_counters() -> dict:
    return cache.get_or_set(HOME_COUNTERS_KEY, compute, HOME_COUNTERS_TTL)


def refresh() -> dict:
    counters = compute()
    cache.set(HOME_COUNTERS_KEY, counters, REFRESHED_TTL)
    return counters
