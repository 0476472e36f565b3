"""Celery tasks: thin wrappers that take ids and call domain functions."""

from smtplib import SMTPException

from celery import shared_task

from . import notifications

TRANSIENT = (SMTPException, ConnectionError, TimeoutError)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=5)
def deliver_notifications(ids: list[int]) -> int:
    return notifications.deliver(ids)


@shared_task(autoretry_for=TRANSIENT, retry_backoff=True, max_retries=3)
def deliver_pending_notifications() -> int:
    return notifications.deliver_pending()
