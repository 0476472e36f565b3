"""Webhooks: each status change of a report is POSTed, signed, to the handling agency's apps.

The payload carries the tracking number, status and agency only — never the reporter, never the
report's text — and confidential reports are never sent at all. Delivery is a Celery task queued
after the action's commit (a slow receiver never blocks the workflow) and retried with backoff.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from agencies.models import path_ids
from complaints.models import Event, Status
from lapor import refcache
from lapor.celery import app as celery_app
from lapor.queue import after_commit

from .models import ExternalReference, Webhook, WebhookDelivery, webhook_secret_bytes

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Lapor-Signature"  # the v1 signature (hex HMAC of the body), kept for old receivers
EVENT_TYPE = "report.status_changed"
TEST_TYPE = "webhook.test"


class DeliveryFailed(Exception):
    """The receiver answered with a server error: try again later."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect could point inside our network: answered as the 3xx it is


_opener = urllib.request.build_opener(_NoRedirects)


def target_allowed(url: str) -> bool:
    """Webhooks go to the public internet only (no loopback, private or link-local addresses,
    e.g. Redis or cloud metadata), unless API_WEBHOOK_ALLOW_PRIVATE is set (tests, intranets)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    if settings.API_WEBHOOK_ALLOW_PRIVATE:
        return True
    infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    return all(ipaddress.ip_address(info[4][0].split("%")[0]).is_global for info in infos)


def _ancestor_ids(agency) -> list[int]:
    return path_ids(agency.path) if agency is not None else []


def active_webhook_agencies() -> frozenset[int]:
    """Agencies with an active webhook, kept in memory with the reference data (lapor/refcache):
    most actions of most agencies have none to look up."""
    return refcache.get(
        "webhook-agencies",
        lambda: frozenset(Webhook.objects.filter(is_active=True).values_list("agency_id", flat=True)),
    )


def webhooks_for(event: Event) -> list[Webhook]:
    """Active webhooks of the agency holding the report (or any agency above it) and of the
    application's agency that pushed the report."""
    report = event.report
    if not active_webhook_agencies():
        return []
    ids = set(_ancestor_ids(report.agency))
    ref = ExternalReference.objects.filter(report=report).select_related("source_agency").first()
    if ref is not None:
        ids.update(_ancestor_ids(ref.source_agency))
    if not ids:
        return []
    return list(Webhook.objects.filter(agency_id__in=ids, is_active=True))


def sequence_of(event: Event) -> int:
    """The event's place among its report's events, 1, 2, 3, …: events of one report are written
    under the report's row lock, so the order is the order of the changes. A receiver keeps the
    state with the highest sequence, whatever order deliveries arrive in."""
    return Event.objects.filter(report_id=event.report_id, pk__lte=event.pk).count()


def payload_for(event: Event) -> dict:
    report = event.report
    return {
        "type": EVENT_TYPE,
        "sequence": sequence_of(event),
        "event": event.action,
        "tracking_no": report.tracking_no,
        "status": event.to_status,
        "label": str(Status(event.to_status).label),
        "occurred_at": event.created_at.isoformat(),
        "agency": report.agency.code if report.agency_id else None,
    }


def queue_for_event(event: Event) -> None:
    """Called by complaints.notifications.notify_event inside the action's transaction: write one
    outbox row per webhook and queue their delivery after the commit."""
    if not event.to_status or event.from_status == event.to_status or event.report.is_confidential:
        return
    hooks = webhooks_for(event)
    if not hooks:
        return
    payload = payload_for(event)
    rows = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(webhook=hook, payload=payload, created_at=event.created_at) for hook in hooks]
    )
    ids = [row.pk for row in rows]
    enqueue(ids)


def send_test(hooks: list[Webhook]) -> list[WebhookDelivery]:
    """The admin's "send test delivery": a signed test payload to each webhook, through the outbox."""
    now = timezone.now()
    with transaction.atomic():
        rows = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    webhook=hook,
                    payload={"type": TEST_TYPE, "occurred_at": now.isoformat(), "agency": hook.agency.code},
                    created_at=now,
                )
                for hook in hooks
            ]
        )
        ids = [row.pk for row in rows]
        enqueue(ids)
    return rows


def resend(rows: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """The admin's "resend": the same message again (same webhook-id and payload) as a new outbox row,
    so the receiver may recognise it; the earlier rows keep their history."""
    now = timezone.now()
    with transaction.atomic():
        copies = WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(webhook=row.webhook, message_id=row.message_id, payload=row.payload, created_at=now)
                for row in rows
            ]
        )
        ids = [row.pk for row in copies]
        enqueue(ids)
    return copies


def enqueue(ids, *, sweeping: bool = False) -> None:
    """Hand deliveries to the worker. In embedded mode (eager Celery, no broker) nothing is sent
    from the request that caused it — a slow receiver must never hold up a user — and the sweep that
    `run_clocks --loop` runs delivers them (sweeping=True: inline, one attempt each)."""
    eager = celery_app.conf.task_always_eager
    if eager and not sweeping:
        return
    for delivery_id in ids:
        if eager:
            try:
                deliver(delivery_id)
            except Exception:
                log.warning("Webhook delivery %s failed; the sweep retries it after a pause", delivery_id)
            continue
        # Broker down: the workflow must not fail; the sweep queues it later.
        after_commit("api.tasks.deliver_webhook", delivery_id)


def sign(secret: str, body: bytes) -> str:
    """The v1 signature (X-Lapor-Signature), kept for receivers written before Standard Webhooks."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks webhook-signature: "v1," + base64 HMAC-SHA256 of "id.timestamp.body"."""
    try:
        key = webhook_secret_bytes(secret)
    except (binascii.Error, ValueError):
        key = secret.encode()  # a secret typed outside the admin's validation: used as it is
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def post(hook: Webhook, payload: dict, message_id: str) -> int:
    """POST the signed payload; returns the HTTP status. 5xx, 429 and network errors raise."""
    body = json.dumps(payload, sort_keys=True).encode()
    timestamp = int(time.time())
    request = urllib.request.Request(
        hook.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "LAPOR",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": standard_signature(hook.secret, message_id, timestamp, body),
            SIGNATURE_HEADER: sign(hook.secret, body),
        },
    )
    try:
        with _opener.open(request, timeout=settings.API_WEBHOOK_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise DeliveryFailed(f"{hook.url} answered {error.code}") from error
        log.warning("Webhook %s refused the payload with %s; not retried", hook.url, error.code)
        return error.code


def backoff(attempts: int) -> dt.timedelta:
    """The sweep's pause after the n-th failed attempt: 30 s, 1, 2, 4 … minutes, at most an hour."""
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def deliver(delivery_id: int) -> int | None:
    """Send one outbox row unless it is finished; transient failures raise (the task retries).
    Delivery is at least once: receivers should treat a repeated (tracking_no, status, occurred_at)
    as the same change."""
    row = WebhookDelivery.objects.select_related("webhook").filter(pk=delivery_id, done_at__isnull=True).first()
    if row is None:
        return None
    done = WebhookDelivery.objects.filter(pk=row.pk)
    if not row.webhook.is_active or not target_allowed(row.webhook.url):
        log.warning("Webhook %s is inactive or not on a public address; not sent", row.webhook.url)
        done.update(done_at=timezone.now(), last_error="inactive or non-public target")
        return None
    try:
        status = post(row.webhook, row.payload, row.message_id)
    except (DeliveryFailed, OSError) as exc:
        done.update(
            attempts=F("attempts") + 1,
            last_error=str(exc)[:500],
            next_attempt_at=timezone.now() + backoff(row.attempts + 1),
        )
        raise
    done.update(done_at=timezone.now(), attempts=F("attempts") + 1, last_status=status, last_error="")
    return status


def deliver_pending(
    older_than=dt.timedelta(minutes=10),
    never_tried_after=dt.timedelta(minutes=1),
    *,
    retries: bool = True,
    limit: int = 5000,
) -> int:
    """The outbox sweep. Every minute (retries=False) it queues the rows never tried a minute after
    they were written (the broker was down, or their task was lost with a killed worker), so an outage's
    backlog drains in minutes; every ten minutes it also queues the ones still undelivered after ten
    minutes (their retries ran out early) and drops finished rows after API_WEBHOOK_KEEP_DAYS."""
    now = timezone.now()
    pending = Q(attempts=0, created_at__lte=now - never_tried_after)
    if retries:
        WebhookDelivery.objects.filter(done_at__lt=now - dt.timedelta(days=settings.API_WEBHOOK_KEEP_DAYS)).delete()
        pending |= Q(created_at__lte=now - older_than)
    ids = list(
        WebhookDelivery.objects.filter(pending, done_at__isnull=True, attempts__lt=settings.API_WEBHOOK_MAX_ATTEMPTS)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    enqueue(ids, sweeping=True)
    return len(ids)


def embedded_sweep() -> int:
    """One pass of `run_clocks --loop` (embedded mode, no beat): every undelivered row whose pause is
    over is tried now, inline; old idempotency records are dropped."""
    from .actions import forget_idempotency_records

    forget_idempotency_records()
    return deliver_pending(older_than=dt.timedelta(0), never_tried_after=dt.timedelta(0))
