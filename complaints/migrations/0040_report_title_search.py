"""The staff's report search served by indexes: a trigram GIN index on UPPER(title), report_title_search
(issue #15's "every query designed for 2,000,000 reports").

The report admin's search box finds a word as a tracking number or in the title (ReportAdmin.
search_fields): `UPPER(title) LIKE UPPER('%word%')`, Django's icontains. No index held it, so a
national admin's search read every report: 1.5 s a statement at 2,000,000 reports, and a page runs two
(its rows and its capped count). pg_trgm's GIN operator class serves LIKE with a pattern anywhere in the
string (a word of at least three characters gives trigrams to look up). The tracking number is compared
as stored, on its unique index (models.TypedTrackingNumber, not this migration).

Every report is in it (the staff search spans unverified and Rahasia reports within each one's scope),
so a submission writes it: through the pending list (fastupdate), at most 256 kB like the full-text
index's (0038). Built CONCURRENTLY (0037's _build: an invalid leftover is built again), the table then
analyzed. Nothing on SQLite. The expression must stay what Django writes for `title__icontains`."""

import importlib

from django.db import migrations

dated = importlib.import_module("complaints.migrations.0037_report_search_dated")

NAME = "report_title_search"
CREATE = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON complaints_report "
    "USING gin ((UPPER(title::text)) gin_trgm_ops) WITH (gin_pending_list_limit = 256)"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        dated._build(cursor, NAME, CREATE)
        cursor.execute("ANALYZE complaints_report")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}")


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0039_report_search_public")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
