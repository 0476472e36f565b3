"""A signed-in citizen's own reports ("my reports", views.my_reports): the tabs, their counts and a page.

Each is read for one page, not for every report the citizen has filed (issue #15: the bench citizen has
thousands, and the page read and sorted all of them twice — 28–61 ms of database CPU a request). From the
index `report_reporter_status` (reporter, status, created_at DESC, id DESC):

- a page's ids are picked status by status — each status's newest `stop` ids, merged by (created_at, id),
  the page's slice of them — so a page costs one short index range per status of its tab;
- each tab is counted up to COUNTED reports (a tab with more shows "99+", as the navigation's unread
  badge does); "Semua" is the sum of the three others (the tabs split the statuses) while each is exact.

The page's rows, their latest public steps and running clocks are read by statements compiled once per
process, and on PostgreSQL all four statements are planned once per connection (lapor/prepared.py keep_plan,
execute): planning the counts' and the pick's unions was most of their database CPU.

Only the citizen's own reports: both statements and the rows read for the page name the reporter.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache

from django.db import connection
from django.db.models import F, OuterRef, Subquery, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy

from agencies.models import Agency
from lapor.prepared import Prepared, execute

from .models import CLOSED_STATUSES, Clock, Event, Report, Status
from .pagination import PeekPage, peek_page

ALL = "semua"
TABS = {
    ALL: (gettext_lazy("Semua"), None),
    "menunggu": (gettext_lazy("Menunggu"), [Status.SUBMITTED, Status.ON_HOLD, Status.VERIFIED]),
    "diproses": (
        gettext_lazy("Diproses"),
        [Status.DISPATCHED, Status.IN_PROGRESS, Status.RETURNED, Status.RESPONDED],
    ),
    "selesai": (gettext_lazy("Selesai"), sorted(CLOSED_STATUSES)),
}
COUNTED = 100  # a tab shows "99+" beyond


def statuses_of(tab: str) -> list[str]:
    """The statuses a tab lists ("Semua": every status)."""
    return list(TABS[tab][1] or Status.values)


def _names():
    quote = connection.ops.quote_name
    return quote(Report._meta.db_table), quote("reporter_id"), quote("status"), quote("created_at"), quote("id")


@lru_cache
def _pick_sql(statuses: int) -> str:
    """Ids of a page of one reporter's reports of `statuses` statuses, newest first: each status's newest
    `stop` from its own index range, merged. Parameters: (reporter, status, stop) per status, then
    stop - start and start."""
    table, reporter, status, created, pk = _names()
    branch = (
        f"SELECT {pk}, {created} FROM (SELECT {pk}, {created} FROM {table} WHERE {reporter} = %s AND {status} = %s"
        f" ORDER BY {created} DESC, {pk} DESC LIMIT %s) s{{i}}"
    )
    union = " UNION ALL ".join(branch.format(i=i) for i in range(statuses))
    return f"SELECT {pk} FROM ({union}) mine ORDER BY {created} DESC, {pk} DESC LIMIT %s OFFSET %s"


def page_ids(user, statuses: list[str], start: int, stop: int) -> tuple[str, list]:
    """(SQL, parameters) of the ids of `user`'s reports of `statuses`, newest first, [start:stop]."""
    params = []
    for value in statuses:
        params += [user.pk, value, stop]
    return _pick_sql(len(statuses)), [*params, stop - start, start]


@lru_cache
def _count_sql(tabs: tuple[int, ...]) -> str:
    """One row: per tab (given by its number of statuses) the reporter's reports in it, up to COUNTED.
    Parameters per tab: (reporter, status, COUNTED) per status, then COUNTED."""
    table, reporter, status, _created, _pk = _names()
    branch = f"SELECT 1 AS one FROM (SELECT 1 AS one FROM {table} WHERE {reporter} = %s AND {status} = %s LIMIT %s)"
    branch += " s{i}"
    counts = []
    for n, size in enumerate(tabs):
        union = " UNION ALL ".join(branch.format(i=i) for i in range(size))
        counts.append(f"(SELECT COUNT(*) FROM ({union} LIMIT %s) t{n})")
    return "SELECT " + ", ".join(counts)


def tab_counts(user) -> dict[str, int | str]:
    """{tab: how many of `user`'s reports it lists}: a number, or "99+" past COUNTED."""
    parts = [tab for tab, (_label, statuses) in TABS.items() if statuses]
    params = []
    for tab in parts:
        for value in statuses_of(tab):
            params += [user.pk, value, COUNTED]
        params.append(COUNTED)
    with connection.cursor() as cursor:
        execute(cursor, _count_sql(tuple(len(statuses_of(tab)) for tab in parts)), params)
        found = dict(zip(parts, cursor.fetchone(), strict=True))
    capped = any(count >= COUNTED for count in found.values())
    found[ALL] = sum(found.values())
    return {tab: _shown(found[tab], capped if tab == ALL else found[tab] >= COUNTED) for tab in TABS}


def _shown(count: int, capped: bool) -> int | str:
    return f"{COUNTED - 1}+" if capped else count


# --- A page's rows, read by statements compiled once per process (lapor/prepared.py) ---

LATEST_EVENTS = 3  # the latest public steps each row shows

_rows = Prepared(
    lambda params: (
        Report.objects.select_related("agency", "category")
        .filter(pk__in=RawSQL(_pick_sql((len(params) - 2) // 3), params))
        .order_by("-created_at", "-pk")
    ),
    keep_plan=True,
)
# The latest public steps of each report: the agency's name by a subquery per step, not a join (the planner
# hashed every agency, 19 ms at 100,000 reports, for a page's 26 steps).
_latest_events = Prepared(
    lambda ids: (
        Event.objects.filter(is_public=True, report_id__in=ids)
        .annotate(
            agency_name=Subquery(Agency.objects.filter(pk=OuterRef("agency_id")).values("name")[:1]),
            rank=Window(RowNumber(), partition_by=[F("report_id")], order_by=[F("created_at").desc(), F("pk").desc()]),
        )
        .filter(rank__lte=LATEST_EVENTS)
        .order_by("-created_at", "-pk")
    ),
    keep_plan=True,
)
# The running clock the citizen sees counting down: the agency's, or their own reply window.
_running_clocks = Prepared(
    lambda ids: (
        Clock.objects.filter(stopped_at__isnull=True, report_id__in=ids)
        .exclude(state=Clock.State.PAUSED)
        .order_by("due_at", "pk")
    ),
    keep_plan=True,
)


def page(user, tab: str, page_param) -> PeekPage:
    """A page of `user`'s reports in `tab`, newest first, each with `latest_events` (its latest public
    steps, newest first, with `agency_name`) and `running_clocks` (by due time)."""
    statuses = statuses_of(tab)

    def rows(start, stop):
        return _rows.objects(params=page_ids(user, statuses, start, stop)[1])

    found = peek_page(None, page_param, rows_of=rows)
    ids = [report.pk for report in found.object_list]
    if ids:
        events, clocks = defaultdict(list), defaultdict(list)
        for event in _latest_events.objects(ids=ids):
            events[event.report_id].append(event)
        for clock in _running_clocks.objects(ids=ids):
            clocks[clock.report_id].append(clock)
        for report in found.object_list:
            report.latest_events, report.running_clocks = events[report.pk], clocks[report.pk]
    return found
