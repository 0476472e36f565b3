"""Celery tasks of the api app: thin wrappers around webhooks and open data."""

import urllib.error

from celery import shared_task

from . import opendata, webhooks

TRANSIENT = (urllib.error.URLError, ConnectionError, TimeoutError, OSError, webhooks.DeliveryFailed)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, retry_backoff_max=3600, max_retries=8)
def deliver_webhook(webhook_id: int, payload: dict):
    return webhooks.deliver(webhook_id, payload)


@shared_task
def export_open_data() -> str:
    return opendata.export().name
