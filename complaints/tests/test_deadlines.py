"""The working-day calendar over real 2025–2027 dates (no database)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from complaints.deadlines import WorkCalendar, default_limit

WIB = WorkCalendar.for_zone("Asia/Jakarta")
WIT = WorkCalendar.for_zone("Asia/Jayapura")
D = dt.date


def at(day: str, hour=10, tz="Asia/Jakarta"):
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=ZoneInfo(tz))


@pytest.mark.parametrize(
    "start, days, due",
    [
        ("2026-11-02", 3, D(2026, 11, 5)),  # Monday: plain week
        ("2026-11-06", 3, D(2026, 11, 11)),  # Friday: over the weekend
        ("2026-11-07", 3, D(2026, 11, 11)),  # filed on Saturday: counting starts Monday
        ("2025-03-28", 3, D(2025, 4, 10)),  # Nyepi + Idul Fitri 1446 with cuti bersama 2–4 and 7 April
        ("2026-03-19", 3, D(2026, 3, 27)),  # Nyepi, Idul Fitri 1447, cuti bersama 20, 23, 24 March
        ("2027-03-05", 5, D(2027, 3, 22)),  # Idul Fitri 1448 (estimated) with cuti bersama 9, 12, 15 March
        ("2025-12-24", 3, D(2025, 12, 31)),  # Christmas + cuti bersama 26 December
        ("2025-12-31", 5, D(2026, 1, 8)),  # across New Year
        ("2026-12-23", 1, D(2026, 12, 28)),  # 24 Dec cuti bersama, 25 Christmas, weekend
        ("2026-11-02", 14, D(2026, 11, 20)),  # normative complaint
        ("2026-11-02", 60, D(2027, 1, 29)),  # complaint needing examination, over year end
    ],
)
def test_due_date_counts_indonesian_working_days(start, days, due):
    moment = at(start)
    result = WIB.due_at(moment, days)
    assert result.astimezone(ZoneInfo("Asia/Jakarta")) == dt.datetime.combine(
        due, dt.time(23, 59, 59), tzinfo=ZoneInfo("Asia/Jakarta")
    )


def test_collective_leave_from_the_admin_table_is_not_a_working_day():
    cal = WorkCalendar.for_zone("Asia/Jakarta", extra_holidays={D(2026, 11, 4)})
    assert cal.add_workdays(D(2026, 11, 2), 3) == D(2026, 11, 6)


def test_a_cancelled_holiday_becomes_a_working_day():
    cal = WorkCalendar.for_zone("Asia/Jakarta", extra_workdays={D(2026, 12, 24)})
    assert cal.add_workdays(D(2026, 12, 23), 1) == D(2026, 12, 24)


def test_wit_agency_counts_from_its_own_local_date():
    moment = dt.datetime(2026, 1, 5, 16, 30, tzinfo=dt.UTC)  # 23:30 WIB on the 5th, 01:30 WIT on the 6th
    assert WIB.due_at(moment, 3) == dt.datetime(2026, 1, 8, 16, 59, 59, tzinfo=dt.UTC)
    assert WIT.due_at(moment, 3) == dt.datetime(2026, 1, 9, 14, 59, 59, tzinfo=dt.UTC)


def test_calendar_day_clock_ignores_holidays():
    moment = at("2026-03-19")
    assert WIB.due_at(moment, 30, calendar_days=True) == moment + dt.timedelta(days=30)


def test_pause_keeps_the_remaining_working_days():
    due = WIB.due_at(at("2026-11-02"), 3)  # Thursday 5 November
    remaining = WIB.remaining_workdays(at("2026-11-03"), due)
    assert remaining == 2
    resumed = WIB.resume(at("2026-11-16"), remaining)
    assert WIB.local_date(resumed) == D(2026, 11, 18)


def test_reminder_falls_at_the_start_of_the_last_working_day():
    due = WIB.due_at(at("2026-11-02"), 3)
    assert WIB.reminder_at(due) == dt.datetime(2026, 11, 5, tzinfo=ZoneInfo("Asia/Jakarta"))


@pytest.mark.parametrize(
    "a, b, n",
    [
        (D(2026, 11, 2), D(2026, 11, 9), 5),
        (D(2026, 3, 18), D(2026, 3, 27), 3),
        (D(2026, 11, 9), D(2026, 11, 2), -5),
        (D(2026, 11, 2), D(2026, 11, 2), 0),
    ],
)
def test_workdays_between(a, b, n):
    assert WIB.workdays_between(a, b) == n


@pytest.mark.parametrize(
    "key, expected",
    [
        (("verification", "complaint", "normative"), (3, False)),
        (("first_follow_up", "aspiration", ""), (5, False)),
        (("resolution", "aspiration", ""), (5, False)),
        (("resolution", "information", ""), (5, False)),
        (("resolution", "information", "formal"), (10, False)),
        (("resolution", "complaint", "normative"), (14, False)),
        (("resolution", "complaint", "examination"), (60, False)),
        (("resolution", "complaint", ""), (14, False)),
        (("reply_window", "complaint", ""), (10, False)),
        (("details", "information", ""), (30, True)),
    ],
)
def test_default_limits_follow_the_design(key, expected):
    assert default_limit(*key) == expected
