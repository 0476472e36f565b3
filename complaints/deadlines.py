"""The deadline calendar: Indonesian working days, pure arithmetic, no database.

A working day is Monday–Friday in the handling agency's time zone, without national holidays and
collective-leave days (cuti bersama), both from the `holidays` package, adjusted by decrees the
package does not know (CalendarDay rows, passed in as plain dates). A clock of N working days that
starts on day S is due at the end (23:59:59 local) of the N-th working day after S.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

# (clock kind, classification, complaint kind) → (limit, counted in calendar days?). "" matches any.
# DESIGN.md "Clocks"; national admins override per classification/agency with ClockLimit rows.
DEFAULT_LIMITS: dict[tuple[str, str, str], tuple[int, bool]] = {
    ("verification", "", ""): (3, False),
    ("first_follow_up", "", ""): (5, False),
    ("resolution", "aspiration", ""): (5, False),
    ("resolution", "information", ""): (5, False),
    ("resolution", "information", "formal"): (10, False),
    ("resolution", "complaint", "normative"): (14, False),
    ("resolution", "complaint", "examination"): (60, False),
    ("resolution", "complaint", ""): (14, False),
    ("reply_window", "", ""): (10, False),
    ("details", "", ""): (30, True),
}


def default_limit(kind: str, classification: str = "", complaint_kind: str = "") -> tuple[int, bool]:
    for key in ((kind, classification, complaint_kind), (kind, classification, ""), (kind, "", "")):
        if key in DEFAULT_LIMITS:
            return DEFAULT_LIMITS[key]
    raise KeyError(kind)


@lru_cache(maxsize=32)
def national_holidays(year: int) -> frozenset[dt.date]:
    """National holidays and cuti bersama ("government" category) of one year."""
    return frozenset(holidays.Indonesia(categories=("public", "government"), years=year).keys())


@dataclass(frozen=True)
class WorkCalendar:
    tz: ZoneInfo = ZoneInfo("Asia/Jakarta")
    extra_holidays: frozenset[dt.date] = field(default_factory=frozenset)
    extra_workdays: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def for_zone(cls, tz: str, extra_holidays=(), extra_workdays=()) -> WorkCalendar:
        return cls(ZoneInfo(tz), frozenset(extra_holidays), frozenset(extra_workdays))

    def is_workday(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_holidays or day.weekday() >= 5:
            return False
        return day not in national_holidays(day.year)

    def add_workdays(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start`; for n == 0, `start` itself or the next working day."""
        day = start
        if n == 0:
            while not self.is_workday(day):
                day += dt.timedelta(days=1)
            return day
        while n > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                n -= 1
        return day

    def workdays_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when end is before start."""
        if end < start:
            return -self.workdays_between(end, start)
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            count += self.is_workday(day)
        return count

    def local_date(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tz).date()

    def end_of_day(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=self.tz).astimezone(dt.UTC)

    def start_of_day(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0, 0), tzinfo=self.tz).astimezone(dt.UTC)

    def due_at(self, start: dt.datetime, days: int, calendar_days: bool = False) -> dt.datetime:
        if calendar_days:
            return start + dt.timedelta(days=days)
        return self.end_of_day(self.add_workdays(self.local_date(start), days))

    def remaining_workdays(self, now: dt.datetime, due: dt.datetime) -> int:
        """Whole working days left before `due`, counting today's remainder as none."""
        return max(0, self.workdays_between(self.local_date(now), self.local_date(due)))

    def resume(self, now: dt.datetime, remaining: int, calendar_days: bool = False) -> dt.datetime:
        """The new due time of a clock paused with `remaining` working days, resumed at `now`."""
        if calendar_days:
            return now + dt.timedelta(days=remaining)
        return self.end_of_day(self.add_workdays(self.local_date(now), remaining))

    def reminder_at(self, due: dt.datetime, calendar_days: bool = False) -> dt.datetime:
        """One working day before the due time: the start of the last working day."""
        if calendar_days:
            return due - dt.timedelta(days=1)
        return self.start_of_day(self.local_date(due))

    def workdays_after(self, moment: dt.datetime, n: int) -> dt.datetime:
        """The start of the n-th working day after `moment`: when an escalation step falls due."""
        return self.start_of_day(self.add_workdays(self.local_date(moment), n))

    def elapsed_workdays(self, start: dt.datetime, end: dt.datetime) -> int:
        """Working days taken between two moments (for indicators: "verified within 3 days")."""
        return self.workdays_between(self.local_date(start), self.local_date(end))
