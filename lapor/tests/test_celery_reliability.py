"""Broker and outbox settings that keep work from being lost or doubled."""

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from complaints import notifications
from complaints.models import Notification
from lapor.celery import app as celery_app


def _project_tasks():
    celery_app.loader.import_default_modules()
    return [t for name, t in celery_app.tasks.items() if not name.startswith("celery.")]


def test_visibility_timeout_exceeds_the_longest_task_time_limit():
    tasks = _project_tasks()
    assert {"complaints.tasks.build_export", "api.tasks.export_open_data"} <= {t.name for t in tasks}
    longest = max((t.time_limit or celery_app.conf.task_time_limit) for t in tasks)
    assert longest >= 3 * 3600  # exports
    visibility = celery_app.conf.broker_transport_options["visibility_timeout"]
    assert visibility > longest
    for task in tasks:
        soft, hard = (
            task.soft_time_limit or celery_app.conf.task_soft_time_limit,
            (task.time_limit or celery_app.conf.task_time_limit),
        )
        assert soft < hard, task.name
    # What kombu's Redis transport reads:
    with celery_app.connection_for_write() as conn:
        assert conn.transport_options["visibility_timeout"] == visibility


def test_outboxes_run_often_enough_to_clear_a_backlog_in_minutes():
    schedule = celery_app.conf.beat_schedule
    assert schedule["deliver-pending-notifications"]["schedule"] <= 30
    assert schedule["deliver-new-webhooks"]["schedule"] <= 60


@pytest.mark.django_db
def test_one_outbox_run_clears_a_backlog_of_thousands_each_mail_once(make_report, agency_admin):
    report = make_report()
    Notification.objects.all().delete()
    old = timezone.now() - dt.timedelta(minutes=5)
    Notification.objects.bulk_create(
        Notification(user=agency_admin, report=report, kind="submit", subject=f"Laporan {i}", body="-", created_at=old)
        for i in range(1200)
    )
    mail.outbox.clear()
    assert notifications.deliver_pending() == 1200
    assert notifications.deliver_pending() == 0
    assert sorted(m.subject for m in mail.outbox) == sorted(f"Laporan {i}" for i in range(1200))
