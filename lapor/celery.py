import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")

# Work is queued after the commit by lapor.queue.after_commit (tasks named, never imported, by the domain).
# Serialization (JSON only), time limits, acks_late and broker timeouts come from the CELERY_*
# settings in lapor/settings.py; the schedule lives here, in code.
# Tasks are Celery's DjangoTask whose delay() publishes without Celery's per-call machinery (lapor/broker.py).
app = Celery("lapor", task_cls="lapor.broker:DirectTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "refresh-home-counters": {
        "task": "complaints.tasks.refresh_home_counters",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "run-clocks": {"task": "complaints.tasks.run_clocks", "schedule": 120.0, "options": {"expires": 110}},
    # The outboxes: every row that was not queued (broker down), lost with a killed worker or left by
    # a killed sweep leaves within about a minute, a backlog at the mail server's pace.
    "deliver-pending-notifications": {
        "task": "complaints.tasks.deliver_pending_notifications",
        "schedule": 30.0,
        "options": {"expires": 28},
    },
    # 06:30 WIB (CELERY_TIMEZONE is UTC): before the working day starts in the west.
    "daily-digests": {"task": "complaints.tasks.send_daily_digests", "schedule": crontab(hour=23, minute=30)},
    "rebuild-recent-stats": {"task": "dashboards.tasks.rebuild_recent_stats", "schedule": 600.0},
    # The public map's counts per grid cell for wide views (complaints.places.refresh_map_cells).
    "refresh-map-cells": {"task": "complaints.tasks.refresh_map_cells", "schedule": 900.0, "options": {"expires": 890}},
    "rebuild-reopen-window-stats": {"task": "dashboards.tasks.rebuild_reopen_window_stats", "schedule": 86400.0},
    "deliver-new-webhooks": {
        "task": "api.tasks.deliver_pending_webhooks",
        "schedule": 60.0,
        "kwargs": {"retries": False},
        "options": {"expires": 55},
    },
    "deliver-pending-webhooks": {"task": "api.tasks.deliver_pending_webhooks", "schedule": 600.0},
    "reap-stale-exports": {
        "task": "complaints.tasks.reap_stale_exports",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    "purge-exports": {"task": "complaints.tasks.purge_exports", "schedule": crontab(hour=20, minute=0)},  # 03:00 WIB
    "export-open-data": {"task": "api.tasks.export_open_data", "schedule": crontab(hour=19, minute=30)},  # 02:30 WIB
    # The routing model learns from the week's verifications (Sunday 01:00 WIB).
    "train-routing-model": {
        "task": "complaints.tasks.train_routing_model",
        "schedule": crontab(hour=18, minute=0, day_of_week="sat"),
    },
    # Messaging channels (each adapter only when configured): fetch the mailbox and Gammu's inbox, then
    # the inbound and outbound sweeps for rows whose task was never queued (broker down) or failed.
    "poll-channels": {"task": "channels.tasks.poll_channels", "schedule": 30.0, "options": {"expires": 28}},
    "process-pending-messages": {
        "task": "channels.tasks.process_pending_messages",
        "schedule": 30.0,
        "options": {"expires": 28},
    },
    "send-pending-messages": {
        "task": "channels.tasks.send_pending_messages",
        "schedule": 30.0,
        "options": {"expires": 28},
    },
}
