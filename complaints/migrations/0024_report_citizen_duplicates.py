"""The citizen's duplicate lookup (complaints.duplicates.for_citizen, #16 item 8) on PostgreSQL: a
partial index of the open public reports only, by regency and newest first, carrying the title (and
id), so the lookup's first stage — the trigram similarity of one regency's recent titles — is an
index-only scan of the few rows it ranks, never a visit to the table's pages.

Built CONCURRENTLY (this migration is not atomic), so a 2,000,000-report table keeps taking writes
while it is built; an invalid index left by an interrupted build is dropped and built again. Nothing
on SQLite (the embedded mode scores its newest candidates in Python). The predicate is the one of
Report.objects.public() with OPEN_STATUSES: duplicates.for_citizen's filters imply it, and
complaints/tests/test_duplicates.py checks on PostgreSQL that the plan uses it.
"""

from django.db import migrations

NAME = "report_citizen_duplicates"
CREATE = f"""
CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON complaints_report (regency_id, created_at DESC)
INCLUDE (id, title)
WHERE status IN ('submitted', 'on_hold', 'verified', 'dispatched', 'in_progress', 'returned', 'responded')
AND NOT is_confidential AND verified_at IS NOT NULL AND sandbox_id IS NULL
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [NAME],
        )
        row = cursor.fetchone()
        if row and row[0]:  # left invalid by an interrupted concurrent build
            cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")
        cursor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("complaints", "0023_status_counts")]

    operations = [migrations.RunPython(create, drop)]
