"""Links from a dashboard figure to the staff list of the reports behind it (the admin changelist,
which is itself scoped to what the user may see)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from .aggregation import day_bounds

# Counter → (status filter, timestamp field the period applies to, extra filters).
COUNTER_FILTERS: dict[str, tuple[str | None, str | None, dict]] = {
    "received": (None, "created_at", {}),
    "verified": (None, "verified_at", {}),
    "dispatched": (None, "dispatched_at", {}),
    "followed_up": (None, "first_follow_up_at", {}),
    "responded": (None, "responded_at", {}),
    "completed": ("completed", "closed_at", {}),
    "auto_completed": ("completed", "closed_at", {"auto_completed__exact": "1"}),
    "archived": ("archived", "closed_at", {}),
    "removed": ("removed", "closed_at", {}),
    "reopened": (None, None, {"reopen_count__gte": "1"}),
    "bounced": (None, None, {"bounce_count__gte": "1"}),
}
DIMENSION_PARAMS = {
    "classification": "classification",
    "channel": "channel",
    "category": "category__id__exact",
    "province": "province__code__exact",
    "agency": "agency__id__exact",
}


def report_list_url(params: dict) -> str:
    return reverse("admin:complaints_report_changelist") + "?" + urlencode(params)


def period_params(field: str, first, last) -> dict:
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    return {f"{field}__gte": start.isoformat(), f"{field}__lt": end.isoformat()}


def counter_links(base: dict, first, last, counters=COUNTER_FILTERS) -> dict:
    links = {}
    for name, (status, field, extra) in counters.items():
        params = dict(base)
        if status:
            params["status"] = status
        if field:
            params.update(period_params(field, first, last))
        params.update(extra)
        links[name] = report_list_url(params)
    return links
