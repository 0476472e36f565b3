"""Celery tasks of the channels app: thin wrappers around conversation and delivery."""

from celery import shared_task

from . import conversation, delivery


@shared_task
def process_message(message_id: int):
    return conversation.process(message_id)


@shared_task
def send_message(message_id: int) -> bool:
    return delivery.send(message_id)


@shared_task
def poll_channels() -> dict:
    return delivery.poll()


@shared_task
def process_pending_messages() -> int:
    return delivery.process_pending()


@shared_task
def send_pending_messages() -> int:
    return delivery.send_pending()
