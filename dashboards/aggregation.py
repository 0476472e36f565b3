"""Rebuild the pre-aggregated figures (DailyStat, DurationStat) of one day, idempotently.

The statistics day is the local day in Asia/Jakarta (settings.TIME_ZONE, WIB) for every agency, so
that national totals add up and "1 March" means the same 24 hours everywhere; a report filed at
23:30 WIT in Jayapura counts on the next WIB day only if it is past midnight in Jakarta. Working-day
durations, by contrast, use the responsible agency's own calendar and time zone (WorkCalendar).

Each fact counts on the day it happened, for the agency responsible at that moment (Event.agency:
the holder after the action; Clock.agency: the holder when the clock started). Counters:

- received: submissions (for the suggested agency, or none: the national admins), except those of
  duplicates merged into another report (workflow.merge: one problem counts once)
- verified: verifications; staff_actions: every staff action (admin activity)
- dispatched: first dispatches (the event that set Report.dispatched_at)
- followed_up: first substantive answers (the event that set Report.first_follow_up_at)
- responded: answers published (respond, approve_response)
- completed / auto_completed / archived / removed: the closing event that set the report's current
  Report.closed_at (a reopened report leaves the day it first closed on the next rebuild of that day)
- rating_*: the rating of those completions (Report.rating)
- reopened: reopenings; escalated: escalation steps (ClockStep, for the clock's agency)
- bounced: returns and transfers, for the agency that gave the report away (holder before the event)
- ver/ffu/res_due and _met: verification, first follow-up and resolution clocks that ended that day,
  and those met. A clock counts when it was missed, or met by the action that fulfils it (dispatch;
  a follow-up or answer; a published answer). Cancelled clocks, and clocks restarted on time by a
  forward, transfer or citizen reply, are neither met nor missed.

Reopenings change the past (a completion that no longer stands), so the periodic job also rebuilds
the last LAPOR_REOPEN_WINDOW_DAYS days once a day.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter, defaultdict
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery, Sum

from complaints.models import (
    ANSWERS,
    BOUNCES,
    CLOCK_FULFILLED_BY,
    PUBLISHED_ANSWERS,
    STAFF_ACTIONS,
    Action,
    CalendarBook,
    CalendarDay,
    Clock,
    ClockKind,
    ClockStep,
    Event,
)

from .models import COUNTERS, DailyStat, DurationStat, StatDay

log = logging.getLogger(__name__)
STATS_TZ = ZoneInfo(settings.TIME_ZONE)
GENERATION_KEY = "dashboards:generation"
MAX_DAYS = 61  # histogram bucket for "more than 60 working days"
LOCK_NAMESPACE = 5160  # pg_advisory_xact_lock(namespace, day): one rebuild of a day at a time
RUN_LOCK_NAMESPACE = 5161  # pg_try_advisory_lock(namespace, days): one run of each periodic rebuild at a time

DIMENSIONS = ["agency", "category", "province", "regency", "kecamatan", "classification", "channel", "confidential"]
REPORT_DIMS = [
    "report__category",
    "report__province",
    "report__regency",
    "report__kecamatan",
    "report__classification",
    "report__channel",
    "report__is_confidential",
]

A = Action
SUBMIT, VERIFY, DISPATCH = A.SUBMIT, A.VERIFY, A.DISPATCH
COMPLETIONS = [A.ACCEPT, A.AUTO_COMPLETE]
ARCHIVES = [A.ARCHIVE, A.EXPIRE_INFO]
# Every action a counter looks at, and every action that can stop an agency clock (reply restarts the
# first follow-up clock): the day's events are read through the (action, created_at) index.
COUNTED_ACTIONS = sorted({SUBMIT, A.REOPEN, A.REPLY, *ANSWERS, *COMPLETIONS, *ARCHIVES, *BOUNCES, *STAFF_ACTIONS})
CLOCK_PREFIXES = {"ver": ClockKind.VERIFICATION, "ffu": ClockKind.FIRST_FOLLOW_UP, "res": ClockKind.RESOLUTION}
KIND_PREFIXES = {kind.value: prefix for prefix, kind in CLOCK_PREFIXES.items()}
# The actions that meet each agency clock (complaints.models.CLOCK_FULFILLED_BY), by plain values.
FULFILLED_BY = {kind.value: {action.value for action in actions} for kind, actions in CLOCK_FULFILLED_BY.items()}
FULFILLING_ACTIONS = set().union(*FULFILLED_BY.values())


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where the statistics day (Asia/Jakarta) starts and the next one starts."""
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=STATS_TZ)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=STATS_TZ)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def stats_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(STATS_TZ).date()


def _key(row: dict, agency_field: str) -> tuple:
    return (row[agency_field], *(row[d] for d in REPORT_DIMS))


def _events_of_day(start, end):
    # Practice (training sandboxes) is never counted.
    return Event.objects.filter(
        action__in=COUNTED_ACTIONS, created_at__gte=start, created_at__lt=end, report__sandbox__isnull=True
    )


def _event_counts(start, end) -> list[dict]:
    first_dispatch = Q(action=DISPATCH, created_at=F("report__dispatched_at"))
    first_answer = Q(action__in=ANSWERS, created_at=F("report__first_follow_up_at"))
    closing = Q(created_at=F("report__closed_at"))
    completion = Q(action__in=COMPLETIONS) & closing
    accepted = Q(action=A.ACCEPT, report__rating__isnull=False) & closing
    return list(
        _events_of_day(start, end)
        .values("agency", *REPORT_DIMS)
        .annotate(
            # A duplicate merged into another report is the same problem: counted once, as the main one.
            received=Count("pk", filter=Q(action=SUBMIT, report__merged_into__isnull=True)),
            verified=Count("pk", filter=Q(action=VERIFY)),
            dispatched=Count("pk", filter=first_dispatch),
            followed_up=Count("pk", filter=first_answer),
            responded=Count("pk", filter=Q(action__in=PUBLISHED_ANSWERS)),
            completed=Count("pk", filter=completion),
            auto_completed=Count("pk", filter=Q(action=A.AUTO_COMPLETE) & closing),
            archived=Count("pk", filter=Q(action__in=ARCHIVES) & closing),
            removed=Count("pk", filter=Q(action=A.REMOVE) & closing),
            reopened=Count("pk", filter=Q(action=A.REOPEN)),
            staff_actions=Count("pk", filter=Q(action__in=STAFF_ACTIONS)),
            rating_sum=Sum("report__rating", filter=accepted),
            rating_count=Count("pk", filter=accepted),
            rating_ge4=Count("pk", filter=accepted & Q(report__rating__gte=4)),
        )
        .order_by()
    )


def _bounce_counts(start, end) -> list[dict]:
    """Returns and transfers, for the agency that gave the report away (the holder before the event)."""
    holder_before = (
        Event.objects.filter(report=OuterRef("report"), created_at__lt=OuterRef("created_at"))
        .order_by("-created_at", "-pk")
        .values("agency")[:1]
    )
    return list(
        Event.objects.filter(
            created_at__gte=start, created_at__lt=end, action__in=BOUNCES, report__sandbox__isnull=True
        )
        .annotate(giver=Subquery(holder_before))
        .values("giver", *REPORT_DIMS)
        .annotate(bounced=Count("pk"))
        .order_by()
    )


def _clock_counts(start, end) -> list[dict]:
    """Agency clocks that ended this day: every miss, and every clock met by the action that fulfils it
    (a clock restarted on time by a forward, transfer or reply was neither met nor missed) — the
    clocks of Clock.objects.judged() whose report has a counted event that day.

    Two reads bounded by the day, joined here: the day's counted events (which reports acted, and
    which action happened at which moment of each) and the agency clocks stopped that day. judged()
    asks an EXISTS per clock instead, and the planner may answer it from the (action, created_at)
    index — at 2,000,000 reports 36,000 dispatches written at one instant made each probe read them
    all, and one day's rebuild ran over 13 minutes; the plan it chose at 100,000 read every dispatch
    ever made into a hash. Both grow with the table, this with the day."""
    acted = set()
    actions_at = defaultdict(set)  # (report, moment) -> the counted actions written then
    events = _events_of_day(start, end).values_list("report_id", "created_at", "action").order_by()
    for report_id, moment, action in events.iterator(chunk_size=5000):
        acted.add(report_id)
        if action in FULFILLING_ACTIONS:
            actions_at[(report_id, moment)].add(action)
    clocks = (
        Clock.objects.filter(
            stopped_at__gte=start,
            stopped_at__lt=end,
            kind__in=list(CLOCK_PREFIXES.values()),
            state__in=[Clock.State.MET, Clock.State.MISSED],
        )
        .values_list("report_id", "kind", "state", "stopped_at", "agency", *REPORT_DIMS)
        .order_by()
    )
    counts: dict[tuple, Counter] = defaultdict(Counter)
    for report_id, kind, state, stopped_at, *key in clocks.iterator(chunk_size=5000):
        if report_id not in acted:
            continue
        met = state == Clock.State.MET
        if met and not actions_at.get((report_id, stopped_at), set()) & FULFILLED_BY[kind]:
            continue
        prefix = KIND_PREFIXES[kind]
        counts[tuple(key)][f"{prefix}_due"] += 1
        counts[tuple(key)][f"{prefix}_met"] += met
    return [{"agency": key[0], **dict(zip(REPORT_DIMS, key[1:])), **n} for key, n in counts.items()]


def _escalation_counts(start, end) -> list[dict]:
    return list(
        ClockStep.objects.filter(
            created_at__gte=start, created_at__lt=end, step__in=ClockStep.ESCALATIONS, report__sandbox__isnull=True
        )
        .values("clock__agency", *REPORT_DIMS)
        .annotate(escalated=Count("pk"))
        .order_by()
    )


def _durations(start, end, calendars: CalendarBook) -> Counter:
    """Working days taken by each verification, first answer and completion of the day."""
    events = _events_of_day(start, end).filter(
        Q(action=VERIFY)
        | Q(action__in=ANSWERS, created_at=F("report__first_follow_up_at"))
        | Q(action__in=COMPLETIONS, created_at=F("report__closed_at"))
    )
    calendars.load_agencies(events.values_list("agency", flat=True).distinct().order_by())
    histogram: Counter = Counter()
    rows = events.values_list(
        "action", "agency", *REPORT_DIMS, "created_at", "report__created_at", "report__dispatched_at"
    ).order_by()
    for action, agency_id, *dims, at, created, dispatched in rows.iterator(chunk_size=2000):
        if action == VERIFY:
            measure, since = DurationStat.Measure.VERIFY, created
        elif action in COMPLETIONS:
            measure, since = DurationStat.Measure.COMPLETE, created
        else:
            measure, since = DurationStat.Measure.FIRST_ANSWER, dispatched
        if since is None:
            continue
        days = max(0, calendars.for_agency_id(agency_id).elapsed_workdays(since, at))
        histogram[(measure, agency_id, *dims, min(days, MAX_DAYS))] += 1
    return histogram


def rebuild_day(day: dt.date, calendars: CalendarBook | None = None) -> int:
    """Replace the figures of one statistics day; returns the number of DailyStat rows written."""
    built_at = dt.datetime.now(dt.UTC)  # before the first read: every event up to here is counted
    start, end = day_bounds(day)
    calendars = calendars or CalendarDay.objects.book()
    rows: dict[tuple, dict] = defaultdict(dict)
    for source, agency_field in (
        (_event_counts(start, end), "agency"),
        (_bounce_counts(start, end), "giver"),
        (_clock_counts(start, end), "agency"),
        (_escalation_counts(start, end), "clock__agency"),
    ):
        for row in source:
            counters = rows[_key(row, agency_field)]
            for name in COUNTERS:
                if row.get(name):
                    counters[name] = counters.get(name, 0) + row[name]
    histogram = _durations(start, end, calendars)
    stats = [
        DailyStat(date=day, **_dimensions(key), **counters) for key, counters in rows.items() if any(counters.values())
    ]
    durations = [
        DurationStat(date=day, measure=measure, days=days, count=n, **_dimensions(tuple(key)))
        for (measure, *key, days), n in histogram.items()
    ]
    with transaction.atomic():
        _lock_day(day)
        DailyStat.objects.filter(date=day).delete()
        DurationStat.objects.filter(date=day).delete()
        DailyStat.objects.bulk_create(stats, batch_size=1000)
        DurationStat.objects.bulk_create(durations, batch_size=1000)
        StatDay.objects.update_or_create(date=day, defaults={"built_at": built_at})
        transaction.on_commit(bump_generation)
    return len(stats)


def _lock_day(day: dt.date) -> None:
    """Serialize rebuilds of one day (the beat job and the command may overlap): without it, two
    READ COMMITTED transactions could each delete the old rows and both insert theirs. SQLite
    already serializes writers."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, day.toordinal()])


def _dimensions(key: tuple) -> dict:
    agency, category, province, regency, kecamatan, classification, channel, confidential = key
    return {
        "agency_id": agency,
        "category_id": category,
        "province_id": province,
        "regency_id": regency,
        "kecamatan_id": kecamatan,
        "classification": classification,
        "channel": channel,
        "confidential": bool(confidential),
    }


def rebuild_range(first: dt.date, last: dt.date) -> int:
    """Rebuild every day from `first` to `last` (inclusive); returns the rows written."""
    return rebuild_days(first + dt.timedelta(days=n) for n in range((last - first).days + 1))


def rebuild_days(days) -> int:
    """Rebuild these days (any order, no duplicates needed); returns the rows written."""
    calendars = CalendarDay.objects.book()
    return sum(rebuild_day(day, calendars) for day in sorted(set(days)))


def days_of_report(report_id: int) -> list[dt.date]:
    """The statistics days on which something about this report was counted."""
    moments = [
        *Event.objects.filter(report_id=report_id).values_list("created_at", flat=True),
        *ClockStep.objects.filter(report_id=report_id).values_list("created_at", flat=True),
    ]
    return sorted({stats_date(moment) for moment in moments})


def rebuild_recent(days: int = 2, now: dt.datetime | None = None) -> int:
    """Rebuild the last `days` statistics days up to today (the periodic job: yesterday and today)."""
    today = stats_date(now or dt.datetime.now(dt.UTC))
    return rebuild_range(today - dt.timedelta(days=days - 1), today)


def rebuild_recent_unless_running(days: int) -> int | None:
    """The periodic jobs' rebuild of the last `days` days: skipped (None) while the previous run of the
    same job is still going, rather than queued behind it. The days' own lock (_lock_day) only
    serializes the writes — a run that overlapped would compute every day again and then wait, and at
    every interval another would join the queue. A session lock on PostgreSQL, released when the run
    ends or its connection closes (a killed worker); SQLite has no beat (the embedded mode)."""
    if connection.vendor != "postgresql":
        return rebuild_recent(days=days)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [RUN_LOCK_NAMESPACE, days])
        if not cursor.fetchone()[0]:
            log.warning("Rebuild of the last %s days skipped: the previous run is still going.", days)
            return None
    try:
        return rebuild_recent(days=days)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [RUN_LOCK_NAMESPACE, days])


def counted_until(first: dt.date, last: dt.date, now: dt.datetime | None = None) -> dt.datetime:
    """The moment up to which the figures of days `first`..`last` count every event: the period's end
    (or now), unless a day was rebuilt before it ended (then that rebuild) or never (then its start)."""
    now = now or dt.datetime.now(dt.UTC)
    last = min(last, stats_date(now))
    until = min(now, day_bounds(last)[1])
    built = dict(StatDay.objects.filter(date__gte=first, date__lte=last).values_list("date", "built_at"))
    for n in range((last - first).days + 1):
        day = first + dt.timedelta(days=n)
        start, end = day_bounds(day)
        if day not in built:
            return min(until, start)
        if built[day] < end:
            until = min(until, built[day])
    return until


def _latest_activity() -> dt.datetime | None:
    """When the last event or deadline step was written (the newest rows by primary key)."""
    moments = [
        model.objects.order_by("-pk").values_list("created_at", flat=True).first() for model in (Event, ClockStep)
    ]
    return max((m for m in moments if m is not None), default=None)


def rebuild_stale_recent(now: dt.datetime | None = None) -> list[dt.date]:
    """Yesterday and today again if something happened after their last rebuild, or they were never
    built (settings.LAPOR_STATS_REBUILD_ON_READ: the embedded mode, which has no beat)."""
    now = now or dt.datetime.now(dt.UTC)
    today = stats_date(now)
    days = [today - dt.timedelta(days=1), today]
    built = dict(StatDay.objects.filter(date__in=days).values_list("date", "built_at"))
    latest = _latest_activity()
    stale = [
        day
        for day in days
        if day not in built or (built[day] < day_bounds(day)[1] and latest is not None and latest >= built[day])
    ]
    if stale:
        rebuild_days(stale)
        bump_generation()  # now, not only after the commit: the caller reads the figures right away
    return stale


def bump_generation() -> None:
    """Invalidate every cached dashboard at once (djangoproject.com's generation key)."""
    cache.set(GENERATION_KEY, time.time_ns(), None)


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = time.time_ns()
        cache.add(GENERATION_KEY, value, None)
        value = cache.get(GENERATION_KEY, value)
    return value
