"""The handling rows of open reports only, by (agency, status, report) with their due time and practice
flag: a partial copy of report_agency_queue that the queue tabs' count (over the open statuses) and the
open queues' pages read, so their cost follows a subtree's open reports, not every report it ever held.

On PostgreSQL it is built CONCURRENTLY (writes go on meanwhile; 10 s at 2,000,000 reports, 1.56 million
handling rows, on the loaded benchmark machine: 30 MB), so this migration is not atomic; an invalid index
left by an interrupted build is dropped and built again. SQLite builds a plain partial index."""

from django.db import migrations, models

from lapor.indexes import AddIndexConcurrently

OPEN = ["submitted", "on_hold", "verified", "dispatched", "in_progress", "returned", "responded"]
INDEX = models.Index(
    fields=["agency", "status", "report"],
    include=["due_at", "is_practice"],
    name="report_agency_open",
    condition=models.Q(status__in=OPEN),
)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0032_report_reporter_status")]

    operations = [
        AddIndexConcurrently("complaints", "reportagency", INDEX),
    ]
