import contextlib
import datetime as dt
import hashlib
import hmac
import json
import threading
import time
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


def test_status_changes_are_posted_signed_by_the_sweep(
    receiver, tree, make_report, national_admin, django_capture_on_commit_callbacks
):
    hook = Webhook.objects.create(agency=tree["bali"], url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report(is_anonymous=True)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.verify(report, by=national_admin)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.add_note(report, by=national_admin, note="bukan perubahan status")
    assert receiver.received == []  # embedded mode: nothing is sent from the request
    assert webhooks.embedded_sweep() == 2
    assert len(receiver.received) == 2
    headers, body = sorted(receiver.received, key=lambda r: json.loads(r[1])["sequence"])[1]
    expected = "sha256=" + hmac.new(hook.secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Lapor-Signature"] == expected
    payload = json.loads(body)
    assert payload == {
        "type": "report.status_changed",
        "sequence": 2,
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
    webhooks.embedded_sweep()
    assert receiver.received == []


def test_other_agencies_webhooks_hear_nothing(receiver, tree, make_report, django_capture_on_commit_callbacks):
    Webhook.objects.create(agency=tree["sleman"], url=receiver.url)
    Webhook.objects.create(agency=tree["badung"], url=receiver.url, is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        make_report()
    webhooks.embedded_sweep()
    assert receiver.received == []


def test_the_pushing_apps_agency_hears_about_its_reports(
    receiver, tree, badung_api, django_capture_on_commit_callbacks
):
    # The webhook of the agency whose application pushed the report hears its status changes.
    Webhook.objects.create(agency=tree["badung"], url=receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        assert badung_api.post("/api/v1/reports", report_payload()).status_code == 201
    webhooks.embedded_sweep()
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


def test_embedded_mode_retries_a_failed_delivery_after_a_growing_pause(
    tree, make_report, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)
    with Receiver(statuses=[503, 503]) as receiver:
        Webhook.objects.create(agency=tree["badung"], url=receiver.url)
        with django_capture_on_commit_callbacks(execute=True):
            report = make_report()
        assert report.pk and receiver.received == []
        assert webhooks.embedded_sweep() == 1  # 503
        row = WebhookDelivery.objects.get()
        assert row.done_at is None and row.attempts == 1
        assert webhooks.embedded_sweep() == 0  # pausing (30 s)
        time_machine.shift(dt.timedelta(seconds=31))
        assert webhooks.embedded_sweep() == 1  # 503 again
        row.refresh_from_db()
        assert row.next_attempt_at - timezone.now() == dt.timedelta(seconds=60)
        time_machine.shift(dt.timedelta(seconds=61))
        assert webhooks.embedded_sweep() == 1  # 200
    row.refresh_from_db()
    assert row.done_at and row.last_status == 200 and row.attempts == 3
    ids = {h["Webhook-Id"] for h, _b in receiver.received}
    assert ids == {row.message_id}  # the same message id on every retry


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


def _verify_standard(hook, headers, body):
    """Verify with the reference library, as a receiver would."""
    from standardwebhooks.webhooks import Webhook as StandardWebhook

    lowered = {k.lower(): v for k, v in headers.items()}
    return StandardWebhook(hook.secret).verify(body, lowered)


def test_deliveries_follow_standard_webhooks_and_carry_a_sequence(
    receiver, tree, make_report, national_admin, django_capture_on_commit_callbacks
):
    hook = Webhook.objects.create(agency=tree["badung"], url=receiver.url)
    assert hook.secret.startswith("whsec_")
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report()
        workflow.verify(report, by=national_admin)
        workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    webhooks.embedded_sweep()
    seen = {}
    for headers, body in receiver.received:
        payload = _verify_standard(hook, headers, body)
        assert headers["Webhook-Id"].startswith("msg_") and abs(int(headers["Webhook-Timestamp"]) - time.time()) < 60
        seen[payload["sequence"]] = payload["status"]
    assert seen == {1: "submitted", 2: "verified", 3: "dispatched"}
    # A tampered body or another secret fails verification; so does a stale timestamp (replay).
    from standardwebhooks.webhooks import WebhookVerificationError

    headers, body = receiver.received[0]
    with pytest.raises(WebhookVerificationError):
        _verify_standard(hook, headers, body.replace(b"submitted", b"completed"))
    stale = {**headers, "Webhook-Timestamp": str(int(time.time()) - 3600)}
    with pytest.raises(WebhookVerificationError):
        _verify_standard(hook, stale, body)


def test_a_slow_receiver_never_delays_the_api_call(tree, badung_api, django_capture_on_commit_callbacks):
    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):
            time.sleep(3)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        Webhook.objects.create(agency=tree["badung"], url=f"http://127.0.0.1:{server.server_port}/")
        started = time.monotonic()
        with django_capture_on_commit_callbacks(execute=True):
            assert badung_api.post("/api/v1/reports", report_payload()).status_code == 201
        assert time.monotonic() - started < 2
        assert WebhookDelivery.objects.get().attempts == 0  # waits for the loop
    finally:
        server.shutdown()
        server.server_close()


def test_run_clocks_loop_sweeps_both_outboxes(tree, make_report, national_admin, receiver, mailoutbox, monkeypatch):
    from django.core.management import call_command

    from complaints.models import Notification

    Webhook.objects.create(agency=tree["badung"], url=receiver.url)
    report = make_report()
    workflow.verify(report, by=national_admin)
    Notification.objects.update(email_sent_at=None, created_at=timezone.now() - dt.timedelta(minutes=5))
    mailoutbox.clear()
    unsent = Notification.objects.filter(email_sent_at__isnull=True).count()

    def stop(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr("time.sleep", stop)
    monkeypatch.setattr("channels.delivery.run_once", lambda: {})
    call_command("run_clocks", loop=60)
    assert len(receiver.received) == 2
    assert unsent and len(mailoutbox) == unsent
    assert not Notification.objects.filter(email_sent_at__isnull=True).exists()


def test_admin_sends_a_test_delivery_and_resends_one(client, tree, receiver, national_admin):
    hook = Webhook.objects.create(agency=tree["badung"], url=receiver.url)
    client.force_login(national_admin)
    response = client.post("/admin/api/webhook/", {"action": "send_test", "_selected_action": [hook.pk]}, follow=True)
    assert response.status_code == 200
    webhooks.embedded_sweep()
    [(headers, body)] = receiver.received
    assert _verify_standard(hook, headers, body)["type"] == "webhook.test"
    first = WebhookDelivery.objects.get()
    client.post("/admin/api/webhookdelivery/", {"action": "resend", "_selected_action": [first.pk]}, follow=True)
    webhooks.embedded_sweep()
    assert len(receiver.received) == 2
    assert receiver.received[1][0]["Webhook-Id"] == headers["Webhook-Id"]  # the same message again
    assert WebhookDelivery.objects.count() == 2


def test_a_secret_typed_in_the_admin_must_be_a_standard_one(tree):
    from django.core.exceptions import ValidationError

    hook = Webhook(agency=tree["badung"], url="https://hooks.example.test/", secret="s3cret")
    with pytest.raises(ValidationError):
        hook.full_clean()
    hook.secret = Webhook._meta.get_field("secret").get_default()
    hook.full_clean()
