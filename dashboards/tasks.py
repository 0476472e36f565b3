import datetime as dt
import logging

from celery import shared_task
from django.conf import settings

from lapor.queue import after_commit

from . import aggregation

log = logging.getLogger(__name__)


@shared_task
def rebuild_recent_stats() -> int | None:
    """Yesterday and today (every few minutes; skipped while the previous run is still going)."""
    return aggregation.rebuild_recent_unless_running(days=2)


@shared_task
def rebuild_reopen_window_stats() -> int | None:
    """Once a day: the days a reopening can still change (completions that no longer stand)."""
    return aggregation.rebuild_recent_unless_running(days=settings.LAPOR_REOPEN_WINDOW_DAYS + 1)


@shared_task
def rebuild_days(days: list[str]) -> int:
    """Given days again (a report changed classification, category or confidentiality after them)."""
    return aggregation.rebuild_days(sorted(dt.date.fromisoformat(day) for day in days))


def rebuild_the_reports_days(sender, report, **kwargs) -> None:
    """complaints.signals.report_dimensions_changed: the days the report was counted on are stale."""
    days = [day.isoformat() for day in aggregation.days_of_report(report.pk)]
    # Broker down: the action stands; the figures wait for the next rebuild of recent days.
    after_commit("dashboards.tasks.rebuild_days", days)
