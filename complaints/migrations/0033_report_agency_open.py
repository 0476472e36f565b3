"""The handling rows of open reports only, by (agency, status, report) with their due time and practice
flag: a partial copy of report_agency_queue that the queue tabs' count (over the open statuses) and the
open queues' pages read, so their cost follows a subtree's open reports, not every report it ever held.

On PostgreSQL it is built CONCURRENTLY (writes go on meanwhile; 10 s at 2,000,000 reports, 1.56 million
handling rows, on the loaded benchmark machine: 30 MB), so this migration is not atomic; an invalid index
left by an interrupted build is dropped and built again. SQLite builds a plain partial index."""

from django.db import migrations, models

OPEN = ["submitted", "on_hold", "verified", "dispatched", "in_progress", "returned", "responded"]
INDEX = models.Index(
    fields=["agency", "status", "report"],
    include=["due_at", "is_practice"],
    name="report_agency_open",
    condition=models.Q(status__in=OPEN),
)


def create(apps, schema_editor):
    handling = apps.get_model("complaints", "ReportAgency")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(handling, INDEX)
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [INDEX.name],
        )
        found = cursor.fetchone()
    if found and found[0]:
        return
    if found:  # left invalid by an interrupted CREATE INDEX CONCURRENTLY
        schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX.name}"')
    schema_editor.add_index(handling, INDEX, concurrently=True)


def drop(apps, schema_editor):
    handling = apps.get_model("complaints", "ReportAgency")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(handling, INDEX)
        return
    schema_editor.remove_index(handling, INDEX, concurrently=True)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0032_report_reporter_status")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="reportagency", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        )
    ]
