"""Realistic report histories for the dashboard tests, made through the workflow at chosen times."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints import workflow
from dashboards import aggregation

WIB = ZoneInfo("Asia/Jakarta")


def at(day: dt.date, hour: int = 10, minute: int = 0, tz=WIB) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


@pytest.fixture(autouse=True)
def _rebuilt_by_the_tests(settings):
    """The tests rebuild the figures themselves (the `rebuild` fixture), as the beat does in production;
    test_freshness.py turns on the embedded mode's rebuild on read."""
    settings.LAPOR_STATS_REBUILD_ON_READ = False


@pytest.fixture(autouse=True)
def _fresh_cache():
    # A new generation, not cache.clear(): on Redis that would flush the shared database.
    aggregation.bump_generation()
    yield
    aggregation.bump_generation()


@pytest.fixture
def rebuild(django_capture_on_commit_callbacks):
    """rebuild(first, last): the rebuild job, with its after-commit generation bump."""

    def run(first: dt.date, last: dt.date | None = None) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return aggregation.rebuild_range(first, last or first)

    return run


@pytest.fixture
def life(national_admin, agency_admin, unit_admin, citizen, tree, make_report):
    """life(start, kind, **report) files a report at `start` and plays one of several histories,
    one step per working day (Mondays to Fridays), returning the report."""

    def step(moment, fn, *args, **kwargs):
        with time_machine.travel(moment, tick=False):
            return fn(*args, **kwargs)

    def play(start: dt.datetime, kind: str = "accepted", *, rating: int = 5, **overrides) -> object:
        with time_machine.travel(start, tick=False):
            report = make_report(**overrides)
        t = start
        if kind == "submitted":
            return report

        def nxt(days=1):
            nonlocal t
            t = t + dt.timedelta(days=days)
            return t

        step(nxt(), workflow.verify, report, by=national_admin)
        if kind == "archived":
            step(nxt(), workflow.archive, report, by=national_admin, reason="out_of_scope")
            return report
        step(nxt(), workflow.dispatch, report, by=agency_admin, to_agency=tree["dinkes"])
        if kind == "transferred":
            step(nxt(), workflow.transfer, report, by=agency_admin, to_agency=tree["sleman"], note="Lokasi di Sleman.")
            return report
        if kind == "returned":
            step(nxt(), workflow.return_report, report, by=unit_admin, reason="Bukan wewenang kami.")
            return report
        if kind == "dispatched":
            return report
        step(nxt(), workflow.follow_up, report, by=unit_admin, note="Petugas sudah meninjau lokasi.")
        step(nxt(), workflow.respond, report, by=national_admin, note="Sudah diperbaiki.")
        if kind == "responded":
            return report
        if kind == "replied":
            step(nxt(), workflow.reply, report, by=citizen, note="Belum tuntas, mohon dicek lagi.")
            step(nxt(8), workflow.respond, report, by=national_admin, note="Sudah dicek ulang.")
        if kind == "auto":
            step(nxt(12), workflow.auto_complete, report)
            return report
        step(nxt(), workflow.accept, report, by=citizen, rating=rating)
        if kind == "reopened":
            step(nxt(), workflow.reopen, report, by=citizen, reason="Masih rusak.")
            step(nxt(), workflow.respond, report, by=national_admin, note="Sudah diperbaiki lagi.")
            step(nxt(), workflow.accept, report, by=citizen, rating=2)
        return report

    return play
