""""My reports" by tab: a btree on (reporter, status, created_at DESC, id DESC), from which a page of a
citizen's tab is picked status by status and each tab counted up to its cap (complaints/own_reports.py),
whatever the number of the citizen's reports.

On PostgreSQL it is built CONCURRENTLY (writes to the reports go on while it is built), so this migration
is not atomic; an invalid index left by an interrupted build is dropped and built again. SQLite builds a
plain index."""

from django.db import migrations, models

INDEX = models.Index(fields=["reporter", "status", "-created_at", "-id"], name="report_reporter_status")


def create(apps, schema_editor):
    report = apps.get_model("complaints", "Report")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(report, INDEX)
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
    schema_editor.add_index(report, INDEX, concurrently=True)


def drop(apps, schema_editor):
    report = apps.get_model("complaints", "Report")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(report, INDEX)
        return
    schema_editor.remove_index(report, INDEX, concurrently=True)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0031_notification_unread")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="report", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        )
    ]
