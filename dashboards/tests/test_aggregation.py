"""The pre-aggregated figures equal a direct recomputation from reports, events and clocks."""

import datetime as dt
import itertools
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Q, Sum

from agencies.models import Sandbox
from complaints import workflow
from complaints.models import CalendarDay, Clock, ClockStep, Event, Report
from dashboards import aggregation
from dashboards.models import COUNTERS, DailyStat, DurationStat, StatDay

from .conftest import WIB, at

KINDS = [
    "accepted",
    "reopened",
    "replied",
    "auto",
    "transferred",
    "returned",
    "archived",
    "dispatched",
    "responded",
    "submitted",
]
ANSWERS = {"follow_up", "respond", "approve_response"}


@pytest.fixture
def generated(life, tree):
    """Reports in every history, filed over two weeks at all hours (some just before and after
    midnight WIB), some confidential, some by SMS, some aspirations."""
    start = dt.date(2026, 3, 2)
    hours = itertools.cycle([(8, 0), (23, 30), (0, 15), (13, 45), (16, 59)])
    reports = []
    for i, kind in enumerate(KINDS * 2):
        hour, minute = next(hours)
        reports.append(
            life(
                at(start + dt.timedelta(days=i % 10), hour, minute),
                kind,
                rating=(i % 5) + 1,
                is_confidential=i % 4 == 0,
                channel="sms" if i % 3 == 0 else "web",
                classification="aspiration" if i % 5 == 0 else "complaint",
            )
        )
    return reports


def _stats_by(fields):
    rows = DailyStat.objects.values(*fields).annotate(**{c: Sum(c) for c in COUNTERS}).order_by()
    result = Counter()
    for row in rows:
        for c in COUNTERS:
            if row[c]:
                result[(*(row[f] for f in fields), c)] += row[c]
    return result


def _recompute() -> Counter:
    """The figures recomputed the slow way: one Python pass over every event and clock."""
    expected = Counter()
    previous_holder = {}
    for e in Event.objects.select_related("report").order_by("created_at", "pk"):
        r, day = e.report, e.created_at.astimezone(WIB).date()

        def add(name, n=1, agency=e.agency_id, day=day):
            expected[(day, agency, name)] += n

        if e.action == "submit":
            add("received")
        if e.action == "verify":
            add("verified")
        if e.action == "dispatch" and e.created_at == r.dispatched_at:
            add("dispatched")
        if e.action in ANSWERS and e.created_at == r.first_follow_up_at:
            add("followed_up")
        if e.action in {"respond", "approve_response"}:
            add("responded")
        if e.action in {"accept", "auto_complete"} and e.created_at == r.closed_at:
            add("completed")
            if e.action == "auto_complete":
                add("auto_completed")
            if e.action == "accept":
                add("rating_sum", r.rating)
                add("rating_count")
                add("rating_ge4", int(r.rating >= 4))
        if e.action in {"archive", "expire_info"} and e.created_at == r.closed_at:
            add("archived")
        if e.action == "reopen":
            add("reopened")
        if e.action in {"return", "transfer"}:
            add("bounced", agency=previous_holder[r.pk])
        if e.action not in {"submit", "provide_info", "reply", "accept", "reopen", "auto_complete", "expire_info"}:
            add("staff_actions")
        previous_holder[r.pk] = e.agency_id
    prefixes = {"verification": "ver", "first_follow_up": "ffu", "resolution": "res"}
    fulfilled_by = {
        "verification": {"dispatch"},
        "first_follow_up": ANSWERS,
        "resolution": {"respond", "approve_response"},
    }
    stops = {(e.report_id, e.created_at): e.action for e in Event.objects.all()}
    for c in Clock.objects.filter(kind__in=prefixes, state__in=["met", "missed"]):
        if c.state == "met" and stops.get((c.report_id, c.stopped_at)) not in fulfilled_by[c.kind]:
            continue  # restarted on time by a forward/transfer/reply: neither met nor missed
        day = c.stopped_at.astimezone(WIB).date()
        expected[(day, c.agency_id, f"{prefixes[c.kind]}_due")] += 1
        expected[(day, c.agency_id, f"{prefixes[c.kind]}_met")] += c.state == "met"
    for s in ClockStep.objects.filter(step__startswith="escalate").select_related("clock"):
        expected[(s.created_at.astimezone(WIB).date(), s.clock.agency_id, "escalated")] += 1
    return +expected


def test_daily_figures_equal_a_recomputation_from_events_and_clocks(generated, rebuild):
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 4, 10))
    assert _stats_by(["date", "agency"]) == _recompute()


def test_totals_agree_with_the_reports_themselves(generated, rebuild):
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 4, 10))
    totals = DailyStat.objects.aggregate(**{c: Sum(c) for c in COUNTERS})
    reports = Report.objects.all()
    completed = reports.filter(status="completed")
    assert totals["received"] == reports.count() == len(generated)
    assert totals["completed"] == completed.count()
    assert totals["auto_completed"] == completed.filter(auto_completed=True).count()
    assert totals["rating_sum"] == completed.aggregate(s=Sum("rating"))["s"]
    assert totals["reopened"] == reports.aggregate(s=Sum("reopen_count"))["s"]
    assert totals["bounced"] == reports.aggregate(s=Sum("bounce_count"))["s"]
    assert totals["dispatched"] == reports.filter(dispatched_at__isnull=False).count()
    assert totals["followed_up"] == reports.filter(first_follow_up_at__isnull=False).count()
    confidential = DailyStat.objects.filter(confidential=True).aggregate(n=Sum("received"))["n"]
    assert confidential == reports.filter(is_confidential=True).count()


def test_working_day_histograms_match_the_reports(generated, rebuild):
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 4, 10))
    # Working days in the calendar (and time zone: Bali is WITA) of the agency responsible at the time.
    completed = Report.objects.filter(status="completed").select_related("agency")
    calendar = CalendarDay.objects.calendar_for
    expected = Counter(min(calendar(r.agency).elapsed_workdays(r.created_at, r.closed_at), 61) for r in completed)
    got = Counter()
    for row in DurationStat.objects.filter(measure="complete"):
        got[row.days] += row.count
    assert got == expected
    verified = Event.objects.filter(action="verify").select_related("report", "agency")
    expected = Counter(calendar(e.agency).elapsed_workdays(e.report.created_at, e.created_at) for e in verified)
    got = Counter()
    for row in DurationStat.objects.filter(measure="verify"):
        got[row.days] += row.count
    assert got == expected


def test_report_filed_at_2330_wib_counts_on_that_wib_day_not_the_utc_one(life, rebuild, tree):
    late = life(dt.datetime(2026, 3, 10, 16, 30, tzinfo=dt.UTC), "submitted")  # 23:30 WIB, 10 March
    early = life(dt.datetime(2026, 3, 10, 17, 30, tzinfo=dt.UTC), "submitted")  # 00:30 WIB, 11 March
    assert late.created_at.astimezone(WIB).date() == dt.date(2026, 3, 10)
    rebuild(dt.date(2026, 3, 9), dt.date(2026, 3, 12))
    received = {row.date: row.received for row in DailyStat.objects.all()}
    assert received == {dt.date(2026, 3, 10): 1, dt.date(2026, 3, 11): 1}
    assert early.created_at.date() == dt.date(2026, 3, 10)  # the UTC date would have been wrong


def test_day_bounds_are_wib_midnights():
    start, end = aggregation.day_bounds(dt.date(2026, 3, 10))
    assert start == dt.datetime(2026, 3, 9, 17, 0, tzinfo=dt.UTC)
    assert end == dt.datetime(2026, 3, 10, 17, 0, tzinfo=dt.UTC)


def test_rebuilding_a_day_twice_writes_the_same_rows(generated, rebuild):
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 4, 10))
    first = sorted(DailyStat.objects.values_list("date", "agency", "received", "completed", "bounced"))
    durations = DurationStat.objects.count()
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 4, 10))
    assert sorted(DailyStat.objects.values_list("date", "agency", "received", "completed", "bounced")) == first
    assert DurationStat.objects.count() == durations


def test_a_reopened_report_counts_as_completed_only_on_its_final_day(life, rebuild):
    report = life(at(dt.date(2026, 3, 2)), "reopened")
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    completed = {r.date: r.completed for r in DailyStat.objects.filter(completed__gt=0)}
    assert completed == {report.closed_at.astimezone(WIB).date(): 1}
    assert DailyStat.objects.aggregate(n=Sum("reopened"))["n"] == 1
    assert DailyStat.objects.aggregate(n=Sum("rating_sum"))["n"] == 2  # the final rating, not the first


def test_transfer_counts_a_bounce_for_the_giver_and_a_first_dispatch_only_once(life, rebuild, tree):
    life(at(dt.date(2026, 3, 2)), "transferred")
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    by_agency = _stats_by(["agency"])
    assert by_agency[(tree["dinkes"].pk, "bounced")] == 1
    assert by_agency[(tree["sleman"].pk, "bounced")] == 0
    # Dinkes's first follow-up clock ended on time by the transfer, not by an answer: not counted.
    assert by_agency[(tree["dinkes"].pk, "ffu_due")] == 0
    assert sum(n for (_a, name), n in by_agency.items() if name == "dispatched") == 1


def test_escalation_steps_count_for_the_clocks_agency(life, rebuild, tree):
    report = life(at(dt.date(2026, 3, 2)), "dispatched")
    clock = report.clocks.get(kind="first_follow_up", stopped_at__isnull=True)
    with time_machine.travel(at(dt.date(2026, 3, 16)), tick=False):
        ClockStep.objects.create(clock=clock, report=report, step="escalate_agency")
        ClockStep.objects.create(clock=clock, report=report, step="reminder")
    rebuild(dt.date(2026, 3, 16))
    assert _stats_by(["agency"]) == Counter({(tree["dinkes"].pk, "escalated"): 1})


def test_rebuild_stats_command_and_periodic_task(life, django_capture_on_commit_callbacks):
    from dashboards.tasks import rebuild_recent_stats
    from lapor.celery import app

    with time_machine.travel(at(dt.date(2026, 3, 3), 9), tick=False):
        life(at(dt.date(2026, 3, 2), 9), "submitted")
        with django_capture_on_commit_callbacks(execute=True):
            call_command("rebuild_stats", "--days", "3", verbosity=0)
        assert DailyStat.objects.get().date == dt.date(2026, 3, 2)
        DailyStat.objects.all().delete()
        rebuild_recent_stats.apply()
        assert DailyStat.objects.count() == 1
    schedule = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "dashboards.tasks.rebuild_recent_stats" in schedule


def test_holidays_of_the_agency_calendar_are_not_working_days(life, rebuild, national_admin):
    CalendarDay.objects.create(date=dt.date(2026, 3, 3), name="Cuti bersama (contoh)")
    report = life(at(dt.date(2026, 3, 2)), "submitted")
    with time_machine.travel(at(dt.date(2026, 3, 4)), tick=False):
        workflow.verify(report, by=national_admin)
    rebuild(dt.date(2026, 3, 4))
    assert list(DurationStat.objects.values_list("measure", "days", "count")) == [("verify", 1, 1)]


def test_a_late_first_follow_up_counts_as_missed(life, rebuild, unit_admin, tree):
    report = life(at(dt.date(2026, 3, 2)), "dispatched")  # dispatched on 3 March: due 10 March
    with time_machine.travel(at(dt.date(2026, 3, 16)), tick=False):
        workflow.follow_up(report, by=unit_admin, note="Terlambat, maaf.")
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    by_agency = _stats_by(["agency"])
    assert by_agency[(tree["dinkes"].pk, "ffu_due")] == 1
    assert by_agency[(tree["dinkes"].pk, "ffu_met")] == 0
    assert by_agency[(tree["badung"].pk, "ver_met")] == 1  # verified and dispatched within 3 days


@pytest.mark.parametrize("public", [False, True])
def test_reports_and_satisfaction_by_channel(generated, rebuild, public):
    """#17 item 11: the dashboards and the public statistics count reports and satisfaction per
    channel (SMS, web…), equal to the reports themselves (the public ones without Rahasia reports)."""
    from django.db.models import Avg, Count

    from dashboards.figures import Scope, compute

    rebuild(dt.date(2026, 3, 1), dt.date(2026, 4, 10))
    by_channel = {
        r["key"]: r for r in compute(Scope(public=public), dt.date(2026, 3, 1), dt.date(2026, 4, 10))["by_channel"]
    }
    reports = Report.objects.filter(is_confidential=False) if public else Report.objects.all()
    expected = reports.values("channel").annotate(
        n=Count("pk"), mean=Avg("rating", filter=Q(status="completed", rating__isnull=False))
    )
    assert set(by_channel) == {"sms", "web"}
    for row in expected:
        figures = by_channel[row["channel"]]
        assert figures["received"] == row["n"]
        assert figures["rating_mean"] == (None if row["mean"] is None else round(row["mean"], 2))


def _clock_counts_by_definition(start, end) -> list[dict]:
    """The day's clock figures as they were defined in SQL before: Clock.objects.judged() (an EXISTS per
    clock) for the clocks of reports with a counted event that day."""
    counts = {}
    for prefix, kind in aggregation.CLOCK_PREFIXES.items():
        counts[f"{prefix}_due"] = Count("pk", filter=Q(kind=kind))
        counts[f"{prefix}_met"] = Count("pk", filter=Q(kind=kind, state="met"))
    return list(
        Clock.objects.judged()
        .filter(
            report__in=aggregation._events_of_day(start, end).values("report"),
            stopped_at__gte=start,
            stopped_at__lt=end,
            kind__in=list(aggregation.CLOCK_PREFIXES.values()),
        )
        .values("agency", *aggregation.REPORT_DIMS)
        .annotate(**counts)
        .order_by()
    )


def _by_key(rows) -> Counter:
    result = Counter()
    for row in rows:
        key = (row["agency"], *(row[d] for d in aggregation.REPORT_DIMS))
        for prefix in aggregation.CLOCK_PREFIXES:
            for name in (f"{prefix}_due", f"{prefix}_met"):
                result[(*key, name)] += row.get(name, 0)
    return +result


@pytest.fixture
def varied_clocks(generated, life, tree, national_admin):
    """Beside `generated`: histories played at the edges of WIB days (midnight exactly, a microsecond
    before it), two reports whose every step happens at the same instant (a bulk action: another report's
    dispatch at a clock's stop), a practice report, and clocks the workflow leaves paused, cancelled, met
    at a moment without its fulfilling action, or stopped on a day their report did nothing."""
    midnight = dt.datetime.combine(dt.date(2026, 3, 9), dt.time(0, 0), tzinfo=WIB)
    life(midnight, "accepted", classification="aspiration")
    life(midnight - dt.timedelta(microseconds=1), "responded", is_confidential=True)
    bulk = at(dt.date(2026, 3, 10), 11)
    twins = [life(bulk, "accepted", channel="sms"), life(bulk, "transferred")]
    practice = life(at(dt.date(2026, 3, 3), 9), "accepted")
    sandbox = Sandbox.objects.create(agency=tree["badung"], name="Bimtek")
    Report.objects.filter(pk=practice.pk).update(sandbox=sandbox)
    report = twins[0]
    stop = at(dt.date(2026, 3, 11), 11)  # the twins' verification day: events, but no dispatch at 11:00
    base = {"report": report, "limit_days": 3, "started_at": bulk, "due_at": bulk + dt.timedelta(days=3)}
    Clock.objects.create(**base, kind="verification", agency=tree["badung"], state="met", stopped_at=stop)
    # Met at the moment of a follow-up, an action that meets other clocks but not a verification.
    answered = Event.objects.get(report=report, action="follow_up").created_at
    Clock.objects.create(**base, kind="verification", agency=tree["badung"], state="met", stopped_at=answered)
    for kind in ("verification", "first_follow_up", "resolution"):
        Clock.objects.create(**base, kind=kind, agency=tree["dinkes"], state="missed", stopped_at=stop)
    Clock.objects.create(**base, kind="first_follow_up", agency=tree["dinkes"], state="cancelled", stopped_at=stop)
    Clock.objects.create(**base, kind="first_follow_up", agency=tree["dinkes"], state="paused", paused_at=stop)
    quiet = at(dt.date(2026, 3, 28), 10)  # nothing happened to the report that day
    Clock.objects.create(**base, kind="resolution", agency=tree["bali"], state="missed", stopped_at=quiet)
    return twins


def test_clock_counts_equal_the_judged_definition_on_varied_data(varied_clocks):
    compared = Counter()
    day = dt.date(2026, 3, 1)
    while day <= dt.date(2026, 4, 10):
        start, end = aggregation.day_bounds(day)
        expected = _by_key(_clock_counts_by_definition(start, end))
        assert _by_key(aggregation._clock_counts(start, end)) == expected, day
        for key, n in expected.items():
            compared[key[-1]] += n
        day += dt.timedelta(days=1)
    # Every counter was exercised, missed clocks too (met < due).
    assert all(compared[f"{p}_due"] > compared[f"{p}_met"] > 0 for p in ("ver", "ffu", "res")), compared


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's advisory locks")
def test_a_periodic_rebuild_overlapping_the_previous_run_skips(life, django_capture_on_commit_callbacks):
    """While the previous run of rebuild-recent-stats holds its lock (another connection here), the next
    run writes nothing and returns at once instead of waiting; once it ended, the next run rebuilds."""
    from dashboards.tasks import rebuild_recent_stats

    previous_run = connection.get_new_connection(connection.get_connection_params())
    previous_run.autocommit = True
    with time_machine.travel(at(dt.date(2026, 3, 3), 9), tick=False):
        life(at(dt.date(2026, 3, 2), 9), "submitted")
        try:
            with previous_run.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s, 2)", [aggregation.RUN_LOCK_NAMESPACE])
            with django_capture_on_commit_callbacks(execute=True):
                assert rebuild_recent_stats.apply().get() is None
            assert not StatDay.objects.exists() and not DailyStat.objects.exists()
        finally:
            # The previous run ends: its lock released at once (a closed connection's backend releases it
            # only as it exits, a moment later, and the next run could still find it held).
            with previous_run.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, 2)", [aggregation.RUN_LOCK_NAMESPACE])
            previous_run.close()
        with django_capture_on_commit_callbacks(execute=True):
            assert rebuild_recent_stats.apply().get() == 1
        assert set(StatDay.objects.values_list("date", flat=True)) == {dt.date(2026, 3, 2), dt.date(2026, 3, 3)}
