from celery import shared_task
from django.conf import settings

from . import aggregation


@shared_task
def rebuild_recent_stats() -> int:
    """Yesterday and today (every few minutes)."""
    return aggregation.rebuild_recent(days=2)


@shared_task
def rebuild_reopen_window_stats() -> int:
    """Once a day: the days a reopening can still change (completions that no longer stand)."""
    return aggregation.rebuild_recent(days=settings.LAPOR_REOPEN_WINDOW_DAYS + 1)
