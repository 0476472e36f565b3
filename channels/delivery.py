"""Moving messages: polling the channels, processing what came in, sending what LAPOR queued and
reading delivery statuses back. Each row is claimed by a conditional UPDATE, so overlapping
sweeps, a queued task and a retry never send a message twice; an unreachable provider leaves the
row queued for a later attempt (backoff), an unreachable broker leaves it for the sweep."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models import F, Q
from django.utils import timezone

from . import adapters, conversation
from .models import Message

log = logging.getLogger(__name__)
MS = Message.State
MAX_ATTEMPTS = 10
# An order of the delivery states: a late "sent" never overwrites "delivered".
RANK = {MS.QUEUED: 0, MS.SENDING: 1, MS.SENT: 2, MS.DELIVERED: 3, MS.READ: 4, MS.FAILED: 5}


def send(message_id: int) -> bool:
    """Send one queued outbound message; True when the provider accepted it."""
    now = timezone.now()
    channels = adapters.configured()
    claimed = Message.objects.filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        channel__in=list(channels),  # a channel not configured (yet) keeps its messages queued
        pk=message_id,
        direction=Message.Direction.OUT,
        state=MS.QUEUED,
    ).update(state=MS.SENDING, attempts=F("attempts") + 1, status_at=now)
    if not claimed:
        return False
    message = Message.objects.get(pk=message_id)
    try:
        provider_id = channels[message.channel].send(message)
    except Exception as exc:
        failed = message.attempts >= MAX_ATTEMPTS
        delay = dt.timedelta(seconds=min(3600, 30 * 2 ** (message.attempts - 1)))
        Message.objects.filter(pk=message_id).update(
            state=MS.FAILED if failed else MS.QUEUED,
            next_attempt_at=None if failed else now + delay,
            error=f"{type(exc).__name__}: {exc}"[:255],
            status_at=timezone.now(),
        )
        log.warning("Channel message %s not sent (attempt %s): %s", message_id, message.attempts, exc)
        return False
    Message.objects.filter(pk=message_id).update(
        state=MS.SENT, provider_id=provider_id or message.provider_id, sent_at=timezone.now(), error=""
    )
    return True


def send_pending(older_than: dt.timedelta = dt.timedelta(seconds=20), batch: int = 200) -> int:
    """The outbound sweep: rows whose task was never queued (broker down) or lost, retries that are
    due, and rows a killed worker left "sending" for more than ten minutes."""
    now = timezone.now()
    Message.objects.filter(
        direction=Message.Direction.OUT, state=MS.SENDING, status_at__lt=now - dt.timedelta(minutes=10)
    ).update(state=MS.QUEUED)
    ids = list(
        Message.objects.filter(direction=Message.Direction.OUT, state=MS.QUEUED, created_at__lte=now - older_than)
        .filter(channel__in=list(adapters.configured()))
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(send(pk) for pk in ids)


def process_pending(older_than: dt.timedelta = dt.timedelta(seconds=20), batch: int = 200) -> int:
    """The inbound sweep: stored messages whose processing was never queued, lost or failed (a
    provider's media download, a database error): tried again, five times at most."""
    cutoff = timezone.now() - older_than
    ids = list(
        Message.objects.filter(direction=Message.Direction.IN, state=MS.PENDING, created_at__lte=cutoff, attempts__lt=5)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    done = 0
    for pk in ids:
        try:
            done += conversation.process(pk) is not None
        except Exception:
            Message.objects.filter(pk=pk).update(attempts=F("attempts") + 1)
            log.warning("Channel message %s could not be processed; retried later", pk, exc_info=True)
    return done


def record_status(channel: str, provider_id: str, state: str, *, error: str = "") -> int:
    """A provider's delivery report for one of our messages (never moving a state backwards)."""
    if state not in RANK or not provider_id:
        return 0
    message = Message.objects.filter(channel=channel, direction=Message.Direction.OUT, provider_id=provider_id).first()
    if message is None or RANK.get(message.state, 0) >= RANK[state]:
        return 0
    return Message.objects.filter(pk=message.pk, state=message.state).update(
        state=state, status_at=timezone.now(), error=error[:255] if state == MS.FAILED else message.error
    )


def poll() -> dict:
    """Fetch from every configured polling adapter (IMAP, Gammu) and read delivery statuses; an
    unreachable provider is logged and tried again on the next run, its messages stay with it."""
    result = {}
    for channel, adapter in adapters.configured().items():
        try:
            result[channel] = adapter.poll()
            adapter.refresh_statuses()
        except Exception as exc:
            log.warning("Polling %s failed: %s", channel, exc)
            result[channel] = f"error: {type(exc).__name__}"
    return result


def run_once() -> dict:
    """One pass of everything (the embedded mode's `run_clocks --loop`, and `channel_simulate`)."""
    polled = poll()
    return {"polled": polled, "processed": process_pending(dt.timedelta(0)), "sent": send_pending(dt.timedelta(0))}
