""" "My reports" by tab: a btree on (reporter, status, created_at DESC, id DESC), from which a page of a
citizen's tab is picked status by status and each tab counted up to its cap (complaints/own_reports.py),
whatever the number of the citizen's reports.

On PostgreSQL it is built CONCURRENTLY (writes to the reports go on while it is built), so this migration
is not atomic; an invalid index left by an interrupted build is dropped and built again. SQLite builds a
plain index."""

from django.db import migrations, models

from lapor.indexes import AddIndexConcurrently

INDEX = models.Index(fields=["reporter", "status", "-created_at", "-id"], name="report_reporter_status")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0031_notification_unread")]

    operations = [
        AddIndexConcurrently("complaints", "report", INDEX),
    ]
