"""SMS through a hosted HTTP gateway (fake on loopback), and how the channels run: the beat's tasks
and `run_clocks --loop` in embedded mode."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from channels.models import Message
from complaints.models import Channel, Report

pytestmark = pytest.mark.django_db
NUMBER = "6281234500003"


def gateway_post(client, committed, payload, token="sms-token"):
    return committed(
        client.post,
        reverse("channels:sms"),
        data=payload,
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


def test_gateway_messages_and_delivery_reports(client, committed, sms_gateway, tree):
    assert gateway_post(client, committed, {"id": "g1", "from": NUMBER, "text": "x"}, token="wrong").status_code == 403
    response = gateway_post(
        client, committed, {"id": "g1", "from": NUMBER, "text": "Sampah tidak diangkut di Kota Denpasar"}
    )
    assert response.status_code == 200 and response.json() == {"stored": True}
    report = Report.objects.get()
    assert report.channel == Channel.SMS
    assert report.tracking_no in " ".join(sms_gateway.texts(NUMBER))
    assert all(item["path"] == "/sms" for item in sms_gateway.sent)

    # Redelivered by the gateway: stored once, nothing filed or sent twice.
    sent = len(sms_gateway.sent)
    again = gateway_post(
        client, committed, {"id": "g1", "from": NUMBER, "text": "Sampah tidak diangkut di Kota Denpasar"}
    )
    assert again.json() == {"stored": False} and Report.objects.count() == 1 and len(sms_gateway.sent) == sent

    out = Message.objects.filter(direction="out").first()
    assert out.provider_id.startswith("sms-")
    gateway_post(client, committed, {"id": out.provider_id, "status": "delivered"})
    out.refresh_from_db()
    assert out.state == "delivered"


def test_webhook_is_off_until_configured(client):
    response = client.post(reverse("channels:sms"), {"id": "1", "from": NUMBER, "text": "x"})
    assert response.status_code == 404


def test_beat_runs_the_channels():
    from lapor.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {
        "channels.tasks.poll_channels",
        "channels.tasks.process_pending_messages",
        "channels.tasks.send_pending_messages",
    } <= tasks
    app.loader.import_default_modules()
    assert "channels.tasks.poll_channels" in app.tasks


def test_run_clocks_loop_runs_the_channels_in_embedded_mode(client, sms_gateway, tree, monkeypatch):
    from complaints.management.commands import run_clocks

    # A message stored while nothing processed it (a broker outage, a killed worker).
    monkeypatch.setattr("channels.conversation.queue_processing", lambda message_id: None)
    client.post(
        reverse("channels:sms"),
        data={"id": "g9", "from": NUMBER, "text": "Jalan berlubang di Kabupaten Badung"},
        content_type="application/json",
        headers={"Authorization": "Bearer sms-token"},
    )
    assert Message.objects.get().state == "pending"

    def stop(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(run_clocks.time, "sleep", stop)
    call_command("run_clocks", loop=60)
    assert Report.objects.count() == 1
    assert Report.objects.get().tracking_no in " ".join(sms_gateway.texts(NUMBER))
