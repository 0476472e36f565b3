"""The deadline sweep: each reminder and escalation exactly once, citizen time-outs, digests,
recomputation after limit/calendar changes, and the staff pages that show them."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Membership
from complaints import escalation, routing, workflow
from complaints.models import CalendarDay, Clock, ClockKind, ClockLimit, ClockStep, Notification, Report, Status
from complaints.tests.portal import set_due_at
from conftest import _member, _user
from lapor.celery import app as celery_app

WITA = ZoneInfo("Asia/Makassar")
Step = ClockStep.Step
Role = Membership.Role
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _eager_celery():
    """Mail tasks run in-process here, even when REDIS_URL is set (test_tasks.py uses the real broker)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def at(day: str, hhmm: str = "00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=WITA)


@pytest.fixture
def sweep(django_capture_on_commit_callbacks):
    """sweep("2026-03-05") runs the sweep at that local (WITA) moment and delivers the mail it queued."""

    def run(day: str, hhmm: str = "00:00"):
        mail.outbox.clear()
        with time_machine.travel(at(day, hhmm), tick=False), django_capture_on_commit_callbacks(execute=True):
            return escalation.run_clocks()

    return run


@pytest.fixture
def bali_head(tree):
    return _member(_user("pimpinan.bali@example.test", "Pimpinan Bali", is_staff=True), tree["bali"], Role.HEAD)


@pytest.fixture
def cast(agency_admin, parent_admin, bali_head, national_admin, supervisor, unit_admin, head):
    return {"agency_admin": agency_admin, "parent_admin": parent_admin, "national_admin": national_admin}


@pytest.fixture
def submitted(make_report):
    """A report submitted to Badung on Monday 2 March 2026, 09:00 WITA: verification due Thursday 5
    March 23:59:59; reminder Thu 00:00, miss Fri 6 00:00, parent Mon 9, national Mon 16 March."""
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        return make_report()


def recipients():
    return sorted(addr for m in mail.outbox for addr in m.to)


# (sweep at, steps taken so far, mail recipients of this sweep)
LADDER = [
    ("2026-03-04 23:59", [], []),
    ("2026-03-05 00:00", ["reminder"], ["badung@example.test"]),
    ("2026-03-05 12:00", ["reminder"], []),
    ("2026-03-06 00:00", ["reminder", "escalate_agency"], ["badung@example.test"]),
    ("2026-03-08 10:00", ["reminder", "escalate_agency"], []),
    (
        "2026-03-09 00:00",
        ["reminder", "escalate_agency", "escalate_parent"],
        ["bali@example.test", "pimpinan.bali@example.test"],
    ),
    ("2026-03-13 10:00", ["reminder", "escalate_agency", "escalate_parent"], []),
    (
        "2026-03-16 00:00",
        ["reminder", "escalate_agency", "escalate_parent", "escalate_national"],
        ["admin@example.test", "ombudsman@example.test"],
    ),
    ("2026-04-30 10:00", ["reminder", "escalate_agency", "escalate_parent", "escalate_national"], []),
]


def test_a_missed_clock_climbs_the_ladder_one_step_at_a_time_each_exactly_once(cast, submitted, sweep):
    clock = submitted.clocks.get(kind=ClockKind.VERIFICATION)
    for moment, steps, mailed in LADDER:
        day, hhmm = moment.split()
        sweep(day, hhmm)
        assert recipients() == mailed, moment
        sweep(day, hhmm)  # the same sweep again changes nothing
        assert recipients() == [], moment
        taken = list(ClockStep.objects.filter(clock=clock).order_by("pk").values_list("step", flat=True))
        assert taken == steps, moment
    clock.refresh_from_db()
    assert clock.state == Clock.State.MISSED and clock.is_open
    assert clock.next_check_at is None
    assert ClockStep.objects.filter(clock=clock, done_at__isnull=True).count() == 0


def test_a_late_first_sweep_takes_every_due_escalation_but_no_stale_reminder(cast, submitted, sweep):
    summary = sweep("2026-03-20", "10:00")
    assert dict(summary.steps) == {"escalate_agency": 1, "escalate_parent": 1, "escalate_national": 1}
    assert not ClockStep.objects.filter(step=Step.REMINDER).exists()


def test_the_workflow_stopping_a_missed_clock_keeps_it_missed_and_ends_the_ladder(
    cast, submitted, sweep, national_admin
):
    sweep("2026-03-06")
    with time_machine.travel(at("2026-03-06", "09:00"), tick=False):
        workflow.verify(submitted, by=national_admin)
        workflow.dispatch(submitted, by=national_admin, to_agency=submitted.agency)
    clock = submitted.clocks.get(kind=ClockKind.VERIFICATION)
    assert (clock.state, clock.next_check_at) == (Clock.State.MISSED, None)
    sweep("2026-03-12")
    assert not ClockStep.objects.filter(clock=clock, step=Step.ESCALATE_PARENT).exists()


def test_a_report_held_by_the_national_admins_reminds_them(
    make_report, national_admin, agency_admin, sweep, monkeypatch
):
    monkeypatch.setattr(routing, "route", lambda *place: (None, routing.Reason.NONE))  # LAPOR found no agency
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        report = make_report(suggested_agency=None)
    assert report.agency is None
    sweep("2026-03-05", "12:00")  # WIB calendar: the reminder is due at 01:00 WITA
    assert recipients() == ["admin@example.test"]


def test_parent_escalation_without_a_parent_goes_to_the_national_admins(
    make_report, tree, national_admin, supervisor, sweep
):
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        make_report(suggested_agency=tree["national"])
    sweep("2026-03-11")
    assert ClockStep.objects.filter(step=Step.ESCALATE_PARENT).get().recipients == 1


def test_escalation_mail_never_names_an_anonymous_reporter(cast, make_report, citizen, sweep):
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        make_report(is_anonymous=True)
    sweep("2026-03-20")
    assert len(mail.outbox) == 5  # agency 1, parent 2, national 2
    for m in mail.outbox:
        text = m.subject + m.body
        for secret in (citizen.full_name, citizen.email, citizen.phone, citizen.nik):
            assert secret not in text


def test_mail_is_written_in_the_recipients_language(cast, submitted, sweep, monkeypatch):
    cast["agency_admin"].language = "en"
    cast["agency_admin"].save()
    seen = []
    real = escalation.render_to_string

    def spy(name, ctx):
        from django.utils import translation

        seen.append((ctx["user"].email, translation.get_language()))
        return real(name, ctx)

    monkeypatch.setattr(escalation, "render_to_string", spy)
    sweep("2026-03-05")
    assert ("badung@example.test", "en") in seen


def test_a_lapsed_reply_window_completes_the_report(cast, make_report, national_admin, agency_admin, sweep):
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        report = make_report()
        workflow.verify(report, by=national_admin)
        workflow.dispatch(report, by=national_admin, to_agency=report.agency)
        workflow.respond(report, by=agency_admin, note="Sudah diperbaiki.")
    # Ten working days from Monday 2 March: 3, 4, 5, 6, 9, 10, 11, 12, 13, 16.
    sweep("2026-03-16", "23:00")
    report.refresh_from_db()
    assert report.status == Status.RESPONDED
    sweep("2026-03-17")
    report.refresh_from_db()
    assert (report.status, report.auto_completed) == (Status.COMPLETED, True)
    assert report.events.filter(action="auto_complete").count() == 1
    sweep("2026-03-18")
    assert report.events.filter(action="auto_complete").count() == 1


def test_lapsed_details_withdraw_the_report(cast, submitted, agency_admin, sweep):
    with time_machine.travel(at("2026-03-03", "10:00"), tick=False):
        workflow.hold(submitted, by=agency_admin, note="Lokasi tepatnya di mana?")
    sweep("2026-04-02", "10:00")
    assert Report.objects.get(pk=submitted.pk).status == Status.ON_HOLD
    sweep("2026-04-02", "10:01")
    report = Report.objects.get(pk=submitted.pk)
    assert (report.status, report.close_reason) == (Status.ARCHIVED, "withdrawn")
    assert not report.clocks.filter(stopped_at__isnull=True).exists()
    # The paused verification clock never reminded or escalated anybody.
    assert not ClockStep.objects.filter(step__in=[Step.REMINDER, Step.ESCALATE_AGENCY]).exists()


def test_a_step_that_crashes_is_retried_by_the_next_sweep_and_not_skipped(cast, submitted, sweep, monkeypatch):
    real = escalation.step_recipients

    def broken(report, step, cache=None):
        raise RuntimeError("worker died")

    monkeypatch.setattr(escalation, "step_recipients", broken)
    summary = sweep("2026-03-05")
    assert summary.errors == 1
    assert not ClockStep.objects.exists()  # rolled back with the transaction
    assert not Notification.objects.filter(kind="reminder").exists()
    monkeypatch.setattr(escalation, "step_recipients", real)
    sweep("2026-03-05", "00:02")
    assert list(ClockStep.objects.values_list("step", "recipients")) == [("reminder", 1)]
    assert recipients() == ["badung@example.test"]


def test_many_mails_for_one_person_in_one_sweep_become_one_summary(cast, make_report, sweep, settings):
    settings.LAPOR_SWEEP_DIGEST_THRESHOLD = 2
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        reports = [make_report(title=f"Laporan nomor {i}") for i in range(3)]
    summary = sweep("2026-03-05")
    assert summary.digests == 1
    assert len(mail.outbox) == 1
    body = mail.outbox[0].body
    assert all(r.tracking_no in body for r in reports)
    rows = Notification.objects.filter(user=cast["agency_admin"])
    assert rows.filter(kind="reminder").count() == 3
    assert rows.filter(kind="sweep_digest").count() == 1
    assert not rows.filter(kind__in=["reminder", "sweep_digest"], email_sent_at__isnull=True).exists()


def test_daily_digest_lists_what_is_due_and_overdue_in_each_scope_once_a_day(
    cast, make_report, tree, django_capture_on_commit_callbacks
):
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        late = make_report(title="Sudah terlambat")
    with time_machine.travel(at("2026-03-04", "09:00"), tick=False):
        soon = make_report(title="Segera jatuh tempo")  # due Mon 9 March
        later = make_report(title="Masih lama")
        Clock.objects.filter(report=later).update(due_at=at("2026-04-30"))
        set_due_at(Report.objects.filter(pk=later.pk), at("2026-04-30"))
    mail.outbox.clear()
    with time_machine.travel(at("2026-03-09", "06:30"), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert escalation.send_daily_digests() == 3
        assert escalation.send_daily_digests() == 0
    by_user = {m.to[0]: m.body for m in mail.outbox if "Ringkasan harian" in m.subject}
    # Badung's and its parent Bali's admins (their subtrees hold it) and the national admin; not Dinkes below.
    assert set(by_user) == {"badung@example.test", "bali@example.test", "admin@example.test"}
    for body in by_user.values():
        assert late.tracking_no in body and soon.tracking_no in body and later.tracking_no not in body


def test_changing_a_limit_in_the_admin_recomputes_running_clocks(
    client, national_admin, submitted, django_capture_on_commit_callbacks, tree
):
    client.force_login(national_admin)
    with time_machine.travel(at("2026-03-03", "10:00"), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:complaints_clocklimit_add"),
            {"kind": "verification", "classification": "", "complaint_kind": "", "agency": tree["bali"].pk, "days": 5},
        )
    assert response.status_code == 302
    clock = submitted.clocks.get()
    assert (clock.limit_days, clock.due_at) == (5, at("2026-03-09", "23:59:59"))
    assert clock.next_check_at == at("2026-03-09")
    assert Report.objects.get(pk=submitted.pk).due_at == clock.due_at
    limit = ClockLimit.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:complaints_clocklimit_delete", args=[limit.pk]), {"post": "yes"})
    clock.refresh_from_db()
    assert (clock.limit_days, clock.due_at) == (3, at("2026-03-05", "23:59:59"))


def test_adding_a_holiday_in_the_admin_moves_due_dates_and_a_missed_clock_can_run_again(
    client, national_admin, cast, submitted, sweep, django_capture_on_commit_callbacks
):
    sweep("2026-03-06")
    clock = submitted.clocks.get()
    assert clock.state == Clock.State.MISSED
    client.force_login(national_admin)
    with time_machine.travel(at("2026-03-06", "08:00"), tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:complaints_calendarday_add"),
            {"date": "2026-03-04", "kind": "holiday", "name": "Libur mendadak", "agency": ""},
        )
    assert response.status_code == 302
    clock.refresh_from_db()
    assert clock.due_at == at("2026-03-06", "23:59:59")
    assert clock.state == Clock.State.MISSED  # the miss is on record
    # The steps already taken are not repeated; the next one is the parent escalation after the new due date.
    assert clock.next_check_at == at("2026-03-10")
    sweep("2026-03-10")
    assert list(ClockStep.objects.values_list("step", flat=True).order_by("pk")) == [
        "escalate_agency",
        "escalate_parent",
    ]
    assert CalendarDay.objects.count() == 1


def test_sweep_queries_do_not_grow_with_reports_that_are_not_due(cast, make_report, sweep):
    def seed(due: int, not_due: int):
        with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
            for _ in range(due):
                make_report()
        with time_machine.travel(at("2026-03-04", "09:00"), tick=False):
            for _ in range(not_due):
                make_report()

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            summary = sweep("2026-03-05", "01:00")
        assert summary.steps["reminder"] == 2
        return len(ctx.captured_queries)

    seed(2, 5)
    small = count_queries()
    seed(2, 30)
    assert count_queries() == small


def test_a_failed_batch_is_rolled_back_and_its_clocks_taken_one_by_one(cast, make_report, sweep, monkeypatch):
    """One report whose step breaks must not stop or hide the others of its batch."""
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        good, bad = make_report(title="Baik"), make_report(title="Rusak")
    real = escalation._render_step

    def render(user, report, clock, step, now):
        if report.pk == bad.pk:
            raise RuntimeError("template broken for this one")
        return real(user, report, clock, step, now)

    monkeypatch.setattr(escalation, "_render_step", render)
    summary = sweep("2026-03-05")
    assert (summary.errors, summary.steps["reminder"]) == (1, 1)
    assert list(ClockStep.objects.filter(done_at__isnull=False).values_list("report_id", flat=True)) == [good.pk]
    assert not ClockStep.objects.filter(report=bad).exists()
    assert [n.report_id for n in Notification.objects.filter(kind="reminder")] == [good.pk]
    monkeypatch.setattr(escalation, "_render_step", real)
    assert sweep("2026-03-05", "00:02").steps["reminder"] == 1  # the broken one is retried, once
    assert ClockStep.objects.filter(step="reminder", done_at__isnull=False).count() == 2


class _Killed(BaseException):
    """The sweep's process killed after its batches committed (not an Exception: nothing catches it)."""


def test_a_killed_sweeps_committed_mails_leave_within_a_minute_each_once(cast, make_report, monkeypatch):
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        reports = [make_report(title=f"Laporan nomor {i}") for i in range(3)]
    Notification.objects.update(email_sent_at=at("2026-03-02", "09:00"))  # the submissions' mails

    def die(ids, now):
        raise _Killed

    monkeypatch.setattr(escalation, "_deliver_or_fold", die)
    mail.outbox.clear()
    with time_machine.travel(at("2026-03-05"), tick=False), pytest.raises(_Killed):
        escalation.run_clocks(batch_size=1)  # three batches committed, then killed
    pending = Notification.objects.filter(kind="reminder", email_sent_at__isnull=True)
    assert pending.count() == 3 and mail.outbox == []
    schedule = celery_app.conf.beat_schedule["deliver-pending-notifications"]["schedule"]
    with time_machine.travel(at("2026-03-05") + dt.timedelta(seconds=60 - schedule), tick=False):
        from complaints import tasks

        assert tasks.deliver_pending_notifications.apply().get() == 3  # picked up within a minute
        assert tasks.deliver_pending_notifications.apply().get() == 0
    assert not pending.exists()
    assert sorted(r.tracking_no for r in reports) == sorted(
        next(r.tracking_no for r in reports if r.tracking_no in m.body) for m in mail.outbox
    )


def test_a_summary_never_repeats_a_row_the_outbox_already_mailed(cast, make_report, sweep, settings, monkeypatch):
    settings.LAPOR_SWEEP_DIGEST_THRESHOLD = 1
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        first, second, third = [make_report(title=f"Laporan nomor {i}") for i in range(3)]
    fold = escalation._deliver_or_fold

    def slow_sweep(ids, now):  # the outbox sweep got to one row while this sweep still ran
        from complaints import notifications

        row = Notification.objects.get(pk__in=ids, report=first, user=cast["agency_admin"])
        notifications.deliver([row.pk])
        return fold(ids, now)

    monkeypatch.setattr(escalation, "_deliver_or_fold", slow_sweep)
    sweep("2026-03-05")
    to_admin = [m for m in mail.outbox if m.to == [cast["agency_admin"].email]]
    assert len(to_admin) == 2
    single, summary = to_admin
    assert first.tracking_no in single.body
    assert first.tracking_no not in summary.body
    assert second.tracking_no in summary.body and third.tracking_no in summary.body
