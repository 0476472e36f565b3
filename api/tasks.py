"""Celery tasks of the api app: thin wrappers around webhooks and open data."""

import urllib.error

from celery import shared_task
from django.conf import settings

from . import opendata, webhooks
from .actions import forget_idempotency_records

TRANSIENT = (urllib.error.URLError, ConnectionError, TimeoutError, OSError, webhooks.DeliveryFailed)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, retry_backoff_max=3600, max_retries=8)
def deliver_webhook(delivery_id: int):
    return webhooks.deliver(delivery_id)


@shared_task
def deliver_pending_webhooks(retries: bool = True) -> int:
    if retries:
        forget_idempotency_records()
    return webhooks.deliver_pending(retries=retries)


# ~5,000 rows a second measured on SQLite: 2 million rows need minutes, beyond the global 300 s limit.
@shared_task(time_limit=settings.LAPOR_OPEN_DATA_TIME_LIMIT, soft_time_limit=settings.LAPOR_OPEN_DATA_TIME_LIMIT - 60)
def export_open_data() -> str:
    return opendata.export().name


@shared_task(time_limit=settings.LAPOR_OPEN_DATA_TIME_LIMIT, soft_time_limit=settings.LAPOR_OPEN_DATA_TIME_LIMIT - 60)
def expunge_open_data(tracking_nos: list[str]) -> int:
    return opendata.expunge(tracking_nos)
