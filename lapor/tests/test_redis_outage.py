"""Redis stopped mid-test, on PostgreSQL with a real Celery worker: the citizen files a report, staff
act and the API answers while it is down; the worker survives the outages (stop, start, three times)
and every notification is mailed exactly once after Redis returns.

The Redis is a throwaway redis-server of this test's own (lapor/tests/throwaway_redis.py)."""

import json
import time
from email import message_from_string
from email.header import decode_header, make_header

import pytest
from django.core.cache import cache

from api.models import ApiKey
from complaints import tasks, workflow
from complaints.models import Category, Notification, Report
from complaints.tests.test_tasks import _start_worker, _stop_worker, broker, needs_postgres, reload_reference
from lapor.tests.throwaway_redis import HoldingSMTP, ThrowawayRedis, needs_redis_server

__all__ = ["broker", "reload_reference"]  # fixtures


def _wait(predicate, seconds=60, worker=None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        assert worker is None or worker.poll() is None, "the worker exited"
        time.sleep(0.3)
    return False


def _mails(folder) -> list[tuple[str, str]]:
    """(recipient, subject) of every mail the worker wrote (file backend: one file per connection)."""
    found = []
    for f in sorted(folder.glob("*.log")):
        for chunk in f.read_text().split("-" * 79):
            if chunk.strip():
                msg = message_from_string(chunk.strip())
                subject = str(make_header(decode_header(msg["Subject"])))
                found.append((msg["To"], " ".join(subject.split())))
    return found


def _form(category, key):
    return {
        "classification": "complaint",
        "title": "Antrean puskesmas sangat lama",
        "body": "Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan.",
        "event_date": "2026-01-05",
        "province": "51",
        "regency": "51.03",
        "category": str(category.pk),
        "submission_key": key,
    }


@pytest.mark.postgres
@pytest.mark.redis
@needs_postgres
@needs_redis_server
def test_redis_stopped_mid_test_nothing_lost_nothing_doubled(
    reload_reference, transactional_db, client, citizen, national_admin, agency_admin, tree, tmp_path, broker, settings
):
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    settings.CACHES = {
        "default": {"BACKEND": "lapor.cache.FailSafeRedisCache", "LOCATION": redis.url, "OPTIONS": {"DOWN_SECONDS": 0}}
    }
    broker(redis.url, False)
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    worker = _start_worker(redis.url, mail_dir)
    category = Category.objects.get(code="kesehatan-puskesmas")
    _, api_key = ApiKey.issue(agency=tree["badung"], name="SIMPEL Badung")
    try:
        # Redis up: a report, its mails delivered by the worker.
        client.force_login(citizen)
        assert client.post("/laporan/baru/", _form(category, "up-1")).status_code == 302
        assert Notification.objects.exists()
        assert _wait(lambda: not Notification.objects.filter(email_sent_at__isnull=True).exists(), 90, worker)

        for outage in range(3):
            redis.stop()
            # Redis down: the citizen's pages and submission, a staff action and the API all answer.
            assert client.get("/").status_code == 200
            assert client.get("/laporan/baru/").status_code == 200
            response = client.post("/laporan/baru/", _form(category, f"down-{outage}"))
            assert response.status_code == 302, response.content.decode()[:1000]
            report = Report.objects.order_by("-pk").first()
            workflow.verify(report, by=national_admin)
            workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
            api = client.post(
                "/api/v1/reports",
                json.dumps(
                    {
                        "external_id": f"SIMPEL-{outage}",
                        "classification": "complaint",
                        "title": "Lampu jalan mati",
                        "body": "Lampu jalan di Jalan Raya Kuta mati sejak seminggu.",
                        "event_date": "2026-01-05",
                        "regency_code": "51.03",
                        "category_code": "kesehatan-puskesmas",
                    }
                ),
                content_type="application/json",
                headers={"Authorization": f"Bearer {api_key}"},
            )
            assert api.status_code == 201, api.content[:500]
            assert Notification.objects.filter(email_sent_at__isnull=True).exists()  # nothing could be queued
            time.sleep(1 + outage)
            assert worker.poll() is None, "the worker exited during the outage"
            redis.start()
            # Redis is back: the beat's outbox sweep (every 30 s; here without the 30 s wait).
            assert _wait(lambda: _queued(tasks.deliver_pending_notifications, 0), 30, worker)
            assert _wait(lambda: not Notification.objects.filter(email_sent_at__isnull=True).exists(), 90, worker), (
                "the worker consumed nothing after Redis returned"
            )
            cache.set("lapor:outage-probe", outage)
            assert cache.get("lapor:outage-probe") == outage  # the cache is used again
        # Every notification mailed exactly once, even after one more sweep.
        tasks.deliver_pending_notifications.delay(0)
        time.sleep(3)
        expected = sorted((n.user.email, n.subject) for n in Notification.objects.select_related("user"))
        assert len(expected) >= 7
        assert sorted(_mails(mail_dir)) == expected
        assert worker.poll() is None
    finally:
        _stop_worker(worker)
        redis.stop()


def _queued(task, *args) -> bool:
    """Queue the task (False while the connection to the broker is being re-established)."""
    try:
        task.delay(*args)
    except Exception:
        return False
    return True


@pytest.mark.postgres
@pytest.mark.redis
@needs_postgres
@needs_redis_server
def test_a_mail_task_in_flight_when_redis_stops_the_worker_lives_on_and_each_mail_leaves_once(
    reload_reference, transactional_db, make_report, national_admin, agency_admin, tree, tmp_path, broker, settings
):
    """The task finishes (and acknowledges) while Redis is down: the worker must not exit."""
    smtp = HoldingSMTP()
    smtp.start()
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    settings.CACHES = {
        "default": {"BACKEND": "lapor.cache.FailSafeRedisCache", "LOCATION": redis.url, "OPTIONS": {"DOWN_SECONDS": 0}}
    }
    broker(redis.url, False)
    worker = _start_worker(redis.url, tmp_path, EMAIL_URL=smtp.url)
    try:
        smtp.released.clear()  # the mail server keeps the first session waiting
        report = make_report()  # its mail task is queued after the commit
        assert smtp.session_started.wait(90), "the worker did not start the mail task"
        redis.stop()  # ... while it is in flight
        time.sleep(2)
        smtp.released.set()  # the task finishes and acknowledges with Redis down
        time.sleep(3)
        assert worker.poll() is None, "the worker exited"
        redis.start()
        workflow.verify(report, by=national_admin)  # new work after the outage
        workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
        assert _wait(lambda: _queued(tasks.deliver_pending_notifications, 0), 30, worker)
        pending = Notification.objects.filter(email_sent_at__isnull=True)
        assert _wait(lambda: not pending.exists(), 90, worker), "the worker consumed nothing after Redis returned"
        time.sleep(2)
        sent = sorted(rcpt for rcpts, _data in smtp.messages for rcpt in rcpts)
        assert sent == sorted(n.user.email for n in Notification.objects.select_related("user"))  # each once
        assert worker.poll() is None
    finally:
        _stop_worker(worker)
        redis.stop()
        smtp.stop()
