"""Links from a dashboard figure to the staff list of the reports behind it (the admin changelist,
which is itself scoped to what the user may see).

A figure counts facts (events, clocks, escalation steps) for the agency responsible at that moment;
the list shows the reports behind them that the user may see now, filtered by the agency subtree that
holds them now (`instansi`). The two differ only for reports that have since moved to another agency.
Deadline figures filter on the agency that held the clock (`tenggat_instansi`), like the figures do."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import quote_plus

from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language

from .aggregation import CLOCK_PREFIXES, day_bounds

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
    "rating_count": ("completed", "closed_at", {"rating__isnull": "False"}),
    "rating_ge4": ("completed", "closed_at", {"rating__gte": "4"}),
}
# Duration measure → the counter whose reports it measured.
MEASURE_COUNTERS = {"verify": "verified", "first_answer": "followed_up", "complete": "completed"}
TREND_COUNTERS = {name: COUNTER_FILTERS[name] for name in ("received", "followed_up", "completed")}
DIMENSION_PARAMS = {
    "classification": "classification",
    "channel": "channel",
    "category": "kategori",
    "province": "province__code__exact",
    "agency": "instansi",
}


_LIST_PATHS: dict[tuple, str] = {}


def report_list_path() -> str:
    """The admin list's path in the active language (i18n_patterns prefixes it) under this script prefix,
    reversed once per process and language: a dashboard draws over 400 links."""
    key = (get_language(), get_script_prefix())
    path = _LIST_PATHS.get(key)
    if path is None:
        path = _LIST_PATHS[key] = reverse("admin:complaints_report_changelist")
    return path


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    return quote_plus(text)


def report_list_url(params: dict) -> str:
    """The admin list filtered by `params`: urlencode(params), with each key and value quoted once per process
    (a dashboard's 400-odd links repeat the same few dozen texts; urlencode took 4-5 ms of a view)."""
    query = "&".join(f"{_quoted(str(key))}={_quoted(str(value))}" for key, value in params.items())
    return report_list_path() + "?" + query


def period_params(field: str, first, last) -> dict:
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    return {f"{field}__gte": start.isoformat(), f"{field}__lt": end.isoformat()}


def counter_links(base: dict, first, last, counters=COUNTER_FILTERS) -> dict:
    links = {}
    start, end = period_params("", first, last).values()  # the period's bounds, computed once
    for name, (status, field, extra) in counters.items():
        params = dict(base)
        if status:
            params["status"] = status
        if field:
            params[f"{field}__gte"], params[f"{field}__lt"] = start, end
        params.update(extra)
        links[name] = report_list_url(params)
    return links


def deadline_links(agency, first, last) -> dict:
    """`<prefix>_met` and `<prefix>_due` of each agency clock, and `escalated`, for clocks held by
    `agency`'s subtree (None: every clock the user may see) that ended within the period."""
    start, _ = day_bounds(first)
    _, end = day_bounds(last)
    base = {"tenggat_dari": start.isoformat(), "tenggat_sampai": end.isoformat()}
    if agency is not None:
        base["tenggat_instansi"] = agency.pk
    links = {"escalated": report_list_url({**base, "tenggat": "escalated"})}
    for prefix, kind in CLOCK_PREFIXES.items():
        links[f"{prefix}_due"] = report_list_url({**base, "tenggat": f"{kind.value}:judged"})
        links[f"{prefix}_met"] = report_list_url({**base, "tenggat": f"{kind.value}:met"})
    return links
