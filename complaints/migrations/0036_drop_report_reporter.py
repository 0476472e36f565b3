"""The report's (reporter, created_at DESC) index dropped: no query reads it. "My reports" picks each tab
status by status from report_reporter_status (reporter, status, created_at DESC, id DESC, migration 0032),
and every other lookup by reporter (a submission's key or a tracking number with its reporter, the
admin's reporter filters and searches, a user's deletion) is served by that index's first column.
Plans of 806 distinct statements of the bench's pages (cold caches), the admin's filters and sorts, the
dashboards' first views, the exports, the API and the sweep at 2,000,000 reports: none reads it. Every
submission's INSERT maintained it (issue #15, goal 1).

On PostgreSQL it is dropped CONCURRENTLY, so this migration is not atomic; reversing it builds it again,
concurrently."""

from django.db import migrations, models

from lapor.indexes import RemoveIndexConcurrently

INDEX = models.Index(fields=["reporter", "-created_at"], name="report_reporter")


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0035_drop_redundant_indexes")]

    operations = [
        RemoveIndexConcurrently("complaints", "report", INDEX),
    ]
