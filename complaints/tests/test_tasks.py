"""Celery tasks, the beat schedule, Redis outages, and the sweep on PostgreSQL and a real worker.

The PostgreSQL and Redis tests need DATABASE_URL / REDIS_URL (they are skipped with a reason
otherwise). They commit for real (transactional_db), so they reload the reference data afterwards."""

import csv
import datetime as dt
import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse

from complaints import clocks, escalation, tasks, workflow
from complaints.models import ClockStep, ExportJob, Notification
from lapor.celery import app as celery_app

WITA = ZoneInfo("Asia/Makassar")
ROOT = Path(__file__).resolve().parents[2]
needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL: set DATABASE_URL=postgres://... (and DATABASE_TEST_NAME)",
)
needs_redis = pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL=redis://...")
CLOSED_PORT_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: the broker is "down"


@pytest.fixture
def reload_reference(django_db_blocker):
    """Request this BEFORE transactional_db: its teardown runs after the flush and restores the
    session's reference data for the tests that follow."""
    yield
    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)


def _use_broker(url: str | None, eager: bool) -> None:
    celery_app.conf.broker_url = url
    celery_app.conf.task_always_eager = eager
    celery_app._pool = None  # forget connections to the previous broker
    celery_app.amqp._producer_pool = None


@pytest.fixture
def broker():
    """Switch the broker for one test; restores the configured one afterwards."""
    before = (celery_app.conf.broker_url, celery_app.conf.task_always_eager)
    yield _use_broker
    _use_broker(*before)


def test_beat_schedule_runs_the_sweep_the_outbox_and_the_digest():
    schedule = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert schedule >= {
        "complaints.tasks.run_clocks",
        "complaints.tasks.deliver_pending_notifications",
        "complaints.tasks.send_daily_digests",
    }
    assert celery_app.conf.beat_schedule["run-clocks"]["schedule"] == 120.0
    assert celery_app.conf.task_serializer == "json" and celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.task_time_limit and celery_app.conf.task_soft_time_limit


def test_tasks_retry_transient_errors_with_backoff():
    for task in (tasks.run_clocks, tasks.deliver_notifications, tasks.send_daily_digests, tasks.recompute_open_clocks):
        assert ConnectionError in task.autoretry_for and task.retry_backoff


@pytest.mark.django_db
def test_run_clocks_task_returns_the_sweep_summary(make_report, agency_admin, broker):
    broker("memory://", True)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=WITA), tick=False):
        make_report()
    with time_machine.travel(dt.datetime(2026, 3, 6, 1, tzinfo=WITA), tick=False):
        summary = tasks.run_clocks.apply().get()
    assert summary["steps"] == {"escalate_agency": 1}


@pytest.mark.django_db
def test_run_clocks_command_accepts_now_and_rejects_nonsense(make_report, agency_admin, capsys):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=WITA), tick=False):
        make_report()
    call_command("run_clocks", now="2026-03-05T00:30+08:00")
    assert "'reminder': 1" in capsys.readouterr().out
    with pytest.raises(Exception, match="ISO"):
        call_command("run_clocks", now="kemarin")


@pytest.mark.django_db
def test_redis_down_at_submit_and_admin_action_still_succeeds_and_mail_follows_when_it_is_back(
    make_report, national_admin, agency_admin, citizen, broker, django_capture_on_commit_callbacks
):
    broker(CLOSED_PORT_BROKER, False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        report = make_report()
        workflow.verify(report, by=national_admin)
    assert report.status == "verified"
    assert mail.outbox == []
    pending = Notification.objects.filter(email_sent_at__isnull=True)
    assert pending.count() >= 2  # the citizen and Badung's admin heard nothing yet
    broker("memory://", True)  # Redis is back: the periodic outbox sweep runs
    with time_machine.travel(dt.timedelta(minutes=3)):
        tasks.deliver_pending_notifications.apply().get()
        assert tasks.deliver_pending_notifications.apply().get() == 0  # once
    assert sorted(m.to[0] for m in mail.outbox) == sorted(n.user.email for n in Notification.objects.all())
    assert not pending.exists()


@pytest.mark.django_db
def test_limit_change_with_the_broker_down_recomputes_in_process(
    make_report, broker, django_capture_on_commit_callbacks
):
    broker(CLOSED_PORT_BROKER, False)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=WITA), tick=False):
        report = make_report()
    from complaints.models import ClockLimit

    with django_capture_on_commit_callbacks(execute=True):
        ClockLimit.objects.create(kind="verification", days=4)
        clocks.queue_recompute(None, "verification")
    assert report.clocks.get().limit_days == 4


@pytest.mark.postgres
@needs_postgres
def test_two_concurrent_sweeps_on_postgresql_take_each_step_exactly_once(
    reload_reference, transactional_db, make_report, agency_admin, parent_admin, national_admin, broker
):
    broker("memory://", True)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=WITA), tick=False):
        reports = [make_report() for _ in range(8)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def sweep():
        try:
            barrier.wait()
            results.append(escalation.run_clocks(dt.datetime(2026, 3, 20, tzinfo=WITA), batch_size=3))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    taken = sum(sum(r.steps.values()) for r in results)
    assert taken == 3 * len(reports)  # agency, parent, national for each: no more, no less
    assert ClockStep.objects.count() == 3 * len(reports)
    assert ClockStep.objects.filter(done_at__isnull=True).count() == 0
    assert Notification.objects.filter(kind="escalate_agency").count() == len(reports)  # one admin each


def _start_worker(redis_url: str, tmp_path, **extra_env) -> subprocess.Popen:
    """A Celery worker process on our test database, a Redis database of our own (emptied), mail and
    private files under tmp_path (the same folder the test process's private storage uses)."""
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
    }
    env.pop("EMAIL_URL", None)
    env.update(extra_env)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lapor", "worker", "--pool=solo", "--concurrency=1", "-l", "WARNING"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        out, _ = worker.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
        out, _ = worker.communicate()
    if out:
        print(out.decode(errors="replace")[-3000:])


@pytest.mark.postgres
@pytest.mark.redis
@needs_postgres
@needs_redis
def test_a_real_worker_turns_a_missed_deadline_into_an_escalation_email(
    reload_reference, transactional_db, make_report, agency_admin, tmp_path, broker
):
    # A Redis database of our own, so other test runs' workers cannot take our tasks.
    redis_url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/13"
    broker(redis_url, False)
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=WITA), tick=False):
        report = make_report()  # long overdue by now (the worker sees the real clock)
    worker = _start_worker(redis_url, tmp_path)
    try:
        tasks.run_clocks.delay()
        deadline = time.monotonic() + 90
        found = ""
        while time.monotonic() < deadline and not found:
            time.sleep(0.5)
            for f in tmp_path.glob("*.log"):
                text = f.read_text()
                if "Tenggat terlewati" in text and "badung@example.test" in text:
                    found = text
        assert found, "no escalation mail from the worker"
        assert report.tracking_no in found
        assert ClockStep.objects.filter(report=report, step="escalate_agency", done_at__isnull=False).count() == 1
    finally:
        _stop_worker(worker)


@pytest.mark.postgres
@pytest.mark.redis
@needs_postgres
@needs_redis
def test_a_real_worker_builds_a_large_export_for_its_owner(
    reload_reference, transactional_db, client, make_report, agency_admin, tmp_path, broker, settings
):
    redis_url = os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/13"
    broker(redis_url, False)
    settings.LAPOR_EXPORT_INLINE_MAX = 1
    anonymous = make_report(title="Anonim", is_anonymous=True)
    make_report(title="Bernama")
    worker = _start_worker(redis_url, tmp_path)
    try:
        client.force_login(agency_admin)
        response = client.get(reverse("admin:complaints_report_export"))
        job = ExportJob.objects.get()
        assert response["Location"] == reverse("staff:export", args=[job.token])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and job.state in ("pending", "running"):
            time.sleep(0.5)
            job.refresh_from_db()
        assert (job.state, job.total) == ("done", 2)
    finally:
        _stop_worker(worker)
    text = b"".join(client.get(reverse("staff:export_download", args=[job.token])).streaming_content).decode(
        "utf-8-sig"
    )
    rows = {r[0]: r for r in csv.reader(io.StringIO(text))}
    assert rows[anonymous.tracking_no][-3:] == ["Anonim", "", ""]  # redacted by the worker too
    assert len(rows) == 3


@pytest.mark.postgres
@pytest.mark.redis
@needs_postgres
def test_a_worker_killed_mid_export_the_job_is_built_again_and_the_slot_freed(
    reload_reference, transactional_db, client, make_report, agency_admin, tmp_path, broker, settings
):
    import psycopg2
    from django.utils import timezone

    from complaints import exports
    from lapor.tests.throwaway_redis import REDIS_SERVER, ThrowawayRedis

    if REDIS_SERVER is None:
        pytest.skip("needs redis-server")
    redis = ThrowawayRedis(tmp_path)
    redis.start()
    broker(redis.url, False)
    make_report(title="Satu")
    make_report(title="Dua")
    job = ExportJob.objects.create(user=agency_admin, format="csv", language="id")
    db = connection.settings_dict
    # Another session locks the reports: the build claims its job, then waits on its first query.
    locker = psycopg2.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"], host=db["HOST"], port=db["PORT"]
    )
    worker = _start_worker(redis.url, tmp_path)
    try:
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE complaints_report IN ACCESS EXCLUSIVE MODE")
        tasks.build_export.delay(job.pk)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and job.state != "running":
            time.sleep(0.2)
            job.refresh_from_db()
        assert job.state == "running" and job.heartbeat_at is not None
        time.sleep(0.5)
        worker.kill()  # the whole worker, mid-export: no chance to clean up
        worker.wait(10)
    finally:
        locker.rollback()
        locker.close()
        _stop_worker(worker)
    job.refresh_from_db()
    assert job.state == "running"  # holding one of the owner's slots, until ...
    later = timezone.now() + dt.timedelta(seconds=settings.LAPOR_EXPORT_STALE_SECONDS + 1)
    assert exports.reap_stale(now=timezone.now()) == {"retried": 0, "failed": 0}  # not yet: heartbeat fresh
    worker = _start_worker(redis.url, tmp_path)
    try:
        assert exports.reap_stale(now=later) == {"retried": 1, "failed": 0}  # ... its heartbeat is missed
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and job.state != "done":
            time.sleep(0.5)
            job.refresh_from_db()
        assert (job.state, job.total, job.attempts) == ("done", 2, 2)
    finally:
        _stop_worker(worker)
        redis.stop()
    client.force_login(agency_admin)
    text = b"".join(client.get(reverse("staff:export_download", args=[job.token])).streaming_content)
    assert b"Satu" in text and b"Dua" in text
