"""Webhooks: each status change of a report is POSTed, signed, to the handling agency's apps.

The payload carries the tracking number, status and agency only — never the reporter, never the
report's text — and confidential reports are never sent at all. Delivery is a Celery task queued
after the action's commit (a slow receiver never blocks the workflow) and retried with backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import socket
import urllib.error
import urllib.parse
import urllib.request

from django.conf import settings
from django.db import transaction

from complaints.models import Event, Status

from .models import ExternalReference, Webhook

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Lapor-Signature"


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
    return [int(part) for part in agency.path.split(".") if part] if agency is not None else []


def webhooks_for(event: Event) -> list[Webhook]:
    """Active webhooks of the agency holding the report (or any agency above it) and of the
    application's agency that pushed the report."""
    report = event.report
    ids = set(_ancestor_ids(report.agency))
    ref = ExternalReference.objects.filter(report=report).select_related("source_agency").first()
    if ref is not None:
        ids.update(_ancestor_ids(ref.source_agency))
    if not ids:
        return []
    return list(Webhook.objects.filter(agency_id__in=ids, is_active=True))


def payload_for(event: Event) -> dict:
    report = event.report
    return {
        "event": event.action,
        "tracking_no": report.tracking_no,
        "status": event.to_status,
        "label": str(Status(event.to_status).label),
        "occurred_at": event.created_at.isoformat(),
        "agency": report.agency.code if report.agency_id else None,
    }


def queue_for_event(event: Event) -> None:
    """Called by complaints.notifications.notify_event inside the action's transaction."""
    if not event.to_status or event.from_status == event.to_status or event.report.is_confidential:
        return
    hooks = webhooks_for(event)
    if not hooks:
        return
    payload = payload_for(event)
    from .tasks import deliver_webhook

    for hook in hooks:
        transaction.on_commit(lambda pk=hook.pk: _enqueue(deliver_webhook, pk, payload))


def _enqueue(task, webhook_id: int, payload: dict) -> None:
    if task.app.conf.task_always_eager:
        # Embedded mode (no broker): one attempt inline, since eager retries would run back to back
        # inside the user's request.
        try:
            deliver(webhook_id, payload)
        except Exception:
            log.warning("Webhook %s failed (embedded mode: not retried)", webhook_id, exc_info=True)
        return
    try:
        task.delay(webhook_id, payload)
    except Exception:  # broker down: the workflow must not fail because of a webhook
        log.warning("Could not queue webhook %s", webhook_id, exc_info=True)


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(webhook_id: int, payload: dict) -> int | None:
    """POST the payload; returns the HTTP status. 5xx and network errors raise (the task retries)."""
    hook = Webhook.objects.filter(pk=webhook_id, is_active=True).first()
    if hook is None:
        return None
    if not target_allowed(hook.url):
        log.warning("Webhook %s points to a non-public address; not sent", hook.url)
        return None
    body = json.dumps(payload, sort_keys=True).encode()
    request = urllib.request.Request(
        hook.url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", SIGNATURE_HEADER: sign(hook.secret, body), "User-Agent": "LAPOR"},
    )
    try:
        with _opener.open(request, timeout=settings.API_WEBHOOK_TIMEOUT) as response:
            return response.status
    except urllib.error.HTTPError as error:
        if error.code >= 500 or error.code == 429:
            raise DeliveryFailed(f"{hook.url} answered {error.code}") from error
        log.warning("Webhook %s refused the payload with %s; not retried", hook.url, error.code)
        return error.code
