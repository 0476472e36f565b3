"""Celery tasks: thin wrappers that take ids and call domain functions.

Every task retries transient errors (mail server, broker, database connection) with exponential
backoff; the domain functions are idempotent, so a retry never doubles a step or a mail."""

import datetime as dt
import logging
from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import clocks, escalation, notifications, routing_model, workflow

log = logging.getLogger(__name__)
TRANSIENT = (SMTPException, ConnectionError, TimeoutError, OperationalError, InterfaceError)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def deliver_notifications(ids: list[int]) -> int:
    return notifications.deliver(ids)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def deliver_pending_notifications(older_than_seconds: int = 30) -> int:
    return notifications.deliver_pending(dt.timedelta(seconds=older_than_seconds))


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def run_clocks() -> dict:
    """The beat sweep (every 120 s). Overlapping runs are safe: each step happens once."""
    summary = escalation.run_clocks().as_dict()
    log.info("run_clocks: %s", summary)
    return summary


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def send_daily_digests() -> int:
    return escalation.send_daily_digests()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def recompute_open_clocks(agency_id: int | None = None, kind: str | None = None) -> int:
    from agencies.models import Agency

    agency = Agency.objects.filter(pk=agency_id).first() if agency_id else None
    return clocks.recompute_open_clocks(agency, kind)


@shared_task(
    autoretry_for=TRANSIENT,
    retry_backoff=True,
    max_retries=3,
    time_limit=settings.LAPOR_EXPORT_TIME_LIMIT,
    soft_time_limit=settings.LAPOR_EXPORT_TIME_LIMIT - 60,
)
def build_export(job_id: int) -> str:
    """A large report list export (hours allowed: two million rows are several minutes' work)."""
    from . import exports

    return exports.build(job_id)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=1)
def reap_stale_exports() -> dict:
    from . import exports

    return exports.reap_stale()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def purge_exports() -> int:
    from . import exports

    return exports.purge()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=1)
def refresh_home_counters() -> dict:
    from . import counters

    return counters.refresh()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=1)
def refresh_map_cells() -> int:
    """The public map's precounted grid for wide views (complaints.places)."""
    from . import places

    return places.refresh_map_cells()


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=2)
def train_routing_model() -> int | None:
    """A new version of the routing model from the latest history (its pk), or None if too little."""
    model = routing_model.train()
    return model.pk if model else None


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def report_arrived(report_id: int, notification_ids: list[int]) -> int:
    """A report just filed: its mails, then its routing suggestion (one message a submission)."""
    return workflow.report_arrived(report_id, notification_ids)
