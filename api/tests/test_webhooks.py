import contextlib
import datetime as dt
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from unittest import mock

import pytest
from django.utils import timezone

from api import tasks, webhooks
from api.models import Webhook, WebhookDelivery
from api.tests.conftest import report_payload
from complaints import tasks as complaint_tasks
from complaints import workflow


@contextlib.contextmanager
def broker_mode():
    """As with Redis: tasks are queued, not run inline (the notification mails are kept off any real broker)."""
    before = tasks.deliver_webhook.app.conf.task_always_eager
    tasks.deliver_webhook.app.conf.task_always_eager = False
    try:
        with mock.patch.object(complaint_tasks.deliver_notifications, "delay"):
            yield
    finally:
        tasks.deliver_webhook.app.conf.task_always_eager = before


class Receiver:
    """A local HTTP server on 127.0.0.1 that records what it receives (no network in tests)."""

    def __init__(self, statuses=()):
        self.received, self.statuses = [], list(statuses)
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("Location", receiver.url)  # followed, this would answer 200
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    with Receiver() as r:
        yield r


def test_status_changes_are_posted_signed_after_commit(
    receiver, tree, make_report, national_admin, django_capture_on_commit_callbacks
):
    hook = Webhook.objects.create(agency=tree["bali"], url=receiver.url, secret="s3cret")
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(is_anonymous=True)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.verify(report, by=national_admin)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.add_note(report, by=national_admin, note="bukan perubahan status")
    assert len(receiver.received) == 2
    headers, body = receiver.received[1]
    expected = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Lapor-Signature"] == expected
    payload = json.loads(body)
    assert payload == {
        "event": "verify",
        "tracking_no": report.tracking_no,
        "status": "verified",
        "label": "Terverifikasi",
        "occurred_at": payload["occurred_at"],
        "agency": "pemkab-badung",
    }
    text = b"".join(b for _h, b in receiver.received).decode()
    for secret in ("Made Warga", "warga@example.test", "081234567890", "5103012345678901", report.title):
        assert secret not in text


def test_confidential_reports_are_never_sent(receiver, tree, make_report, django_capture_on_commit_callbacks):
    Webhook.objects.create(agency=tree["badung"], url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        make_report(is_confidential=True)
    assert receiver.received == []


def test_other_agencies_webhooks_hear_nothing(receiver, tree, make_report, django_capture_on_commit_callbacks):
    Webhook.objects.create(agency=tree["sleman"], url=receiver.url)
    Webhook.objects.create(agency=tree["badung"], url=receiver.url, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        make_report()
    assert receiver.received == []


def test_the_pushing_apps_agency_hears_about_its_reports(
    receiver, tree, badung_api, django_capture_on_commit_callbacks
):
    # The webhook of the agency whose application pushed the report hears its status changes.
    Webhook.objects.create(agency=tree["badung"], url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        assert badung_api.post("/api/v1/reports", report_payload()).status_code == 201
    assert [json.loads(b)["event"] for _h, b in receiver.received] == ["submit"]


def test_nothing_is_queued_before_commit(receiver, tree, make_report, django_capture_on_commit_callbacks):
    Webhook.objects.create(agency=tree["badung"], url=receiver.url)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_report()
    assert receiver.received == []
    assert callbacks


def _row(hook, **payload):
    return WebhookDelivery.objects.create(webhook=hook, payload={"tracking_no": "X", **payload})


def test_server_errors_are_retried_and_client_errors_are_not(tree):
    with Receiver(statuses=[503, 200]) as receiver:
        hook = Webhook.objects.create(agency=tree["badung"], url=receiver.url)
        row = _row(hook)
        with pytest.raises(webhooks.DeliveryFailed):
            webhooks.deliver(row.pk)
        row.refresh_from_db()
        assert (row.attempts, row.done_at) == (1, None) and "503" in row.last_error
        assert webhooks.deliver(row.pk) == 200
        row.refresh_from_db()
        assert row.done_at and row.last_status == 200 and row.attempts == 2
        assert webhooks.deliver(row.pk) is None  # finished rows are never sent again
        assert len(receiver.received) == 2
    with Receiver(statuses=[410]) as receiver:
        hook.url = receiver.url
        hook.save()
        row = _row(hook)
        assert webhooks.deliver(row.pk) == 410
        row.refresh_from_db()
        assert row.done_at and row.last_status == 410


def test_the_task_retries_with_backoff_on_transient_errors():
    assert webhooks.DeliveryFailed in tasks.deliver_webhook.autoretry_for
    assert tasks.deliver_webhook.retry_backoff and tasks.deliver_webhook.max_retries == 8


def test_a_dead_receiver_is_tried_once_in_embedded_mode(tree, make_report, django_capture_on_commit_callbacks):
    with Receiver(statuses=[503, 503, 503]) as receiver:
        Webhook.objects.create(agency=tree["badung"], url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            report = make_report()
    assert report.pk and len(receiver.received) == 1
    assert WebhookDelivery.objects.get().done_at is None  # left for the sweep


def test_a_broker_outage_loses_nothing_the_sweep_sends_it_later(
    tree, make_report, django_capture_on_commit_callbacks, receiver
):
    Webhook.objects.create(agency=tree["badung"], url=receiver.url)
    broken = mock.patch.object(tasks.deliver_webhook, "delay", side_effect=ConnectionError("broker down"))
    with broker_mode(), broken, django_capture_on_commit_callbacks(execute=True):
        report = make_report()
    assert report.pk and receiver.received == []
    row = WebhookDelivery.objects.get()
    assert webhooks.deliver_pending() == 0  # too fresh: its task may still be on the way
    WebhookDelivery.objects.filter(pk=row.pk).update(created_at=row.created_at - dt.timedelta(minutes=11))
    assert tasks.deliver_pending_webhooks.delay().get() == 1
    assert [json.loads(b)["tracking_no"] for _h, b in receiver.received] == [report.tracking_no]
    assert webhooks.deliver_pending() == 0


def test_the_sweep_gives_up_after_max_attempts_and_prunes_old_rows(tree, settings):
    hook = Webhook.objects.create(agency=tree["badung"], url="https://hooks.example.test/")
    old = timezone.now() - dt.timedelta(days=40)
    WebhookDelivery.objects.create(webhook=hook, payload={}, created_at=old, attempts=settings.API_WEBHOOK_MAX_ATTEMPTS)
    WebhookDelivery.objects.create(webhook=hook, payload={}, created_at=old, done_at=old)
    assert webhooks.deliver_pending() == 0
    assert WebhookDelivery.objects.count() == 1


def test_private_addresses_are_refused_unless_allowed(receiver, tree, settings):
    hook = Webhook.objects.create(agency=tree["badung"], url=receiver.url)
    settings.API_WEBHOOK_ALLOW_PRIVATE = False
    assert not webhooks.target_allowed("http://169.254.169.254/latest")
    assert not webhooks.target_allowed("ftp://example.com/")
    assert webhooks.deliver(_row(hook).pk) is None
    assert receiver.received == []


def test_redirects_are_not_followed(tree):
    with Receiver(statuses=[302]) as receiver:
        hook = Webhook.objects.create(agency=tree["badung"], url=receiver.url)
        assert webhooks.deliver(_row(hook).pk) == 302
        assert len(receiver.received) == 1


def test_with_a_broker_the_task_is_queued_after_commit(tree, make_report, django_capture_on_commit_callbacks):
    Webhook.objects.create(agency=tree["badung"], url="https://hooks.example.test/lapor")
    with broker_mode(), mock.patch.object(tasks.deliver_webhook, "delay") as delay:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            report = make_report()
        delay.assert_not_called()
        for callback in callbacks:
            callback()
    row = WebhookDelivery.objects.get()
    delay.assert_called_once_with(row.pk)
    assert row.payload["tracking_no"] == report.tracking_no
