"""Deadline clocks through the workflow, over real 2026 dates with the time frozen."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from agencies.models import Agency
from complaints import workflow
from complaints.models import CalendarDay, Clock, ClockKind

WIB, WITA, WIT = ZoneInfo("Asia/Jakarta"), ZoneInfo("Asia/Makassar"), ZoneInfo("Asia/Jayapura")
K = ClockKind
pytestmark = pytest.mark.django_db


def at(day: str, hhmm: str = "10:00", tz=WITA) -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hhmm}").replace(tzinfo=tz)


def end_of(day: str, tz) -> dt.datetime:
    return at(day, "23:59:59", tz)


def open_clock(report, kind) -> Clock:
    return report.clocks.get(kind=kind, stopped_at__isnull=True)


@pytest.fixture
def papua(tree):
    """A WIT agency: the government of Kabupaten Jayapura, from the reference data."""
    agency = Agency.objects.get(code="pemkab-jayapura")
    assert agency.timezone == "Asia/Jayapura"
    return agency


def test_pilot_agencies_have_their_time_zones(tree):
    assert tree["badung"].timezone == "Asia/Makassar"
    assert tree["sleman"].timezone == "Asia/Jakarta"


# (why, agency, submitted at, verification due at)
VERIFICATION_CASES = [
    ("plain week", "badung", at("2026-03-02", "09:00"), end_of("2026-03-05", WITA)),
    ("over a weekend", "badung", at("2026-03-05", "09:00"), end_of("2026-03-10", WITA)),
    ("Saturday start counts from Monday", "badung", at("2026-08-15"), end_of("2026-08-20", WITA)),
    ("Imlek + its cuti bersama", "badung", at("2026-02-12"), end_of("2026-02-19", WITA)),
    ("Nyepi and Lebaran with cuti bersama", "badung", at("2026-03-13"), end_of("2026-03-25", WITA)),
    ("23:30 WIB is already Tuesday in WITA", "badung", at("2026-03-02", "23:30", WIB), end_of("2026-03-06", WITA)),
    ("23:30 WIB is still Monday in WIB", "sleman", at("2026-03-02", "23:30", WIB), end_of("2026-03-05", WIB)),
    ("22:30 WIB is already Tuesday in WIT", "papua", at("2026-03-02", "22:30", WIB), end_of("2026-03-06", WIT)),
]


@pytest.mark.parametrize(
    ("agency", "submitted", "due"), [c[1:] for c in VERIFICATION_CASES], ids=[c[0] for c in VERIFICATION_CASES]
)
def test_verification_clock_counts_working_days_in_the_agency_time_zone(
    make_report, tree, papua, agency, submitted, due
):
    target = papua if agency == "papua" else tree[agency]
    with time_machine.travel(submitted, tick=False):
        report = make_report(suggested_agency=target)
    clock = open_clock(report, K.VERIFICATION)
    assert clock.due_at == due
    assert report.due_at == due
    # The reminder: the start of the last working day, local time.
    assert clock.next_check_at == due.replace(hour=0, minute=0, second=0)


def test_a_regional_holiday_of_an_ancestor_moves_the_due_date(make_report, tree):
    CalendarDay.objects.create(date=dt.date(2026, 3, 4), name="Galungan", agency=tree["bali"])
    CalendarDay.objects.create(date=dt.date(2026, 3, 3), name="Libur Sleman", agency=tree["sleman"])
    with time_machine.travel(at("2026-03-02", "09:00"), tick=False):
        report = make_report()
    assert open_clock(report, K.VERIFICATION).due_at == end_of("2026-03-06", WITA)


def test_a_cancelled_holiday_counts_as_a_working_day(make_report):
    CalendarDay.objects.create(date=dt.date(2026, 3, 18), name="Cuti bersama dibatalkan", kind="workday")
    with time_machine.travel(at("2026-03-13"), tick=False):
        report = make_report()
    # Mon 16, Tue 17, Wed 18 (no longer cuti bersama).
    assert open_clock(report, K.VERIFICATION).due_at == end_of("2026-03-18", WITA)


def _dispatched(make_report, national_admin, tree, day="2026-03-02", **kw):
    with time_machine.travel(at(day, "08:00"), tick=False):
        report = make_report(**kw)
        workflow.verify(report, by=national_admin)
        workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    return report


def test_dispatch_starts_first_follow_up_and_resolution(make_report, national_admin, tree):
    report = _dispatched(make_report, national_admin, tree)
    assert report.clocks.get(kind=K.VERIFICATION).state == Clock.State.MET
    assert open_clock(report, K.FIRST_FOLLOW_UP).due_at == end_of("2026-03-09", WITA)
    # 14 working days, across Nyepi and Lebaran: 3,4,5,6,9,10,11,12,13,16,17,25,26,27.
    assert open_clock(report, K.RESOLUTION).due_at == end_of("2026-03-27", WITA)
    assert report.due_at == end_of("2026-03-09", WITA)


def test_hold_pauses_with_remaining_working_days_and_provide_info_resumes(
    make_report, national_admin, agency_admin, citizen, tree
):
    report = _dispatched(make_report, national_admin, tree)
    with time_machine.travel(at("2026-03-04", "11:00"), tick=False):
        workflow.hold(report, by=agency_admin, note="Mohon lampirkan foto lokasi.")
    ffu = report.clocks.get(kind=K.FIRST_FOLLOW_UP)
    assert (ffu.state, ffu.remaining_days, ffu.next_check_at) == (Clock.State.PAUSED, 3, None)
    assert report.due_at is None
    details = open_clock(report, K.DETAILS)
    assert details.due_at == at("2026-04-03", "11:00")  # 30 calendar days
    with time_machine.travel(at("2026-04-06", "09:00"), tick=False):
        workflow.provide_info(report, by=citizen, note="Foto terlampir.")
    ffu.refresh_from_db()
    # Three working days from Monday 6 April: 7, 8, 9.
    assert (ffu.state, ffu.due_at) == (Clock.State.RUNNING, end_of("2026-04-09", WITA))
    assert ffu.next_check_at == at("2026-04-09", "00:00")
    assert report.clocks.get(kind=K.DETAILS).stopped_at is not None
    report.refresh_from_db()
    assert report.due_at == end_of("2026-04-09", WITA)


def test_transfer_starts_a_new_first_follow_up_clock_for_the_new_agency(make_report, national_admin, tree):
    report = _dispatched(make_report, national_admin, tree)
    with time_machine.travel(at("2026-03-05", "09:00"), tick=False):
        workflow.transfer(report, by=national_admin, to_agency=tree["sleman"], note="Wewenang Sleman.")
    old, new = report.clocks.filter(kind=K.FIRST_FOLLOW_UP).order_by("pk")
    assert old.state == Clock.State.MET and old.stopped_at is not None
    assert new.agency == tree["sleman"] and new.is_open
    # From Thursday 5 March 09:00 WITA (08:00 WIB): 6, 9, 10, 11, 12 on the WIB calendar.
    assert new.due_at == end_of("2026-03-12", WIB)


def test_reopen_starts_new_clocks(make_report, national_admin, agency_admin, citizen, tree):
    report = _dispatched(make_report, national_admin, tree)
    with time_machine.travel(at("2026-03-03"), tick=False):
        workflow.respond(report, by=agency_admin, note="Sudah diperbaiki.")
        workflow.accept(report, by=citizen, rating=2)
    assert not report.clocks.filter(stopped_at__isnull=True).exists()
    with time_machine.travel(at("2026-03-06"), tick=False):
        workflow.reopen(report, by=citizen, reason="Lubang muncul lagi.")
    assert open_clock(report, K.FIRST_FOLLOW_UP).started_at == at("2026-03-06")
    assert open_clock(report, K.FIRST_FOLLOW_UP).due_at == end_of("2026-03-13", WITA)
    assert open_clock(report, K.RESOLUTION).is_open
    assert report.clocks.filter(kind=K.FIRST_FOLLOW_UP).count() == 2
