"""Handling rows carry their report's due time and practice flag (ReportAgency.due_at, .is_practice),
like its status, and the (agency, status, report) index covers both: an agency's queue tabs count their
subtree's open and overdue reports from that index alone (admin.queue_counts), without reading one report.

Both columns are added without rewriting the table (nullable, and a constant default); the rows of
reports with a due time or of a training sandbox are then filled in batches of BATCH reports, each batch
its own short transaction; then the new index is built and the old one dropped, CONCURRENTLY on
PostgreSQL (writes go on meanwhile), so this migration is not atomic. Interrupted, it can be run again:
the fill is idempotent and an index left invalid is dropped and built again. A report changed by code
still running the old version between its batch and the deploy is put right by
`manage.py sync_handling_rows` (run it once after the deploy)."""

from django.db import migrations, models

from lapor.indexes import add_concurrently, remove_concurrently

BATCH = 50_000
OLD = models.Index(fields=["agency", "status", "report"], name="report_agency_status")
NEW = models.Index(fields=["agency", "status", "report"], include=["due_at", "is_practice"], name="report_agency_queue")


def fill(apps, schema_editor):
    handling = schema_editor.quote_name(apps.get_model("complaints", "ReportAgency")._meta.db_table)
    report = apps.get_model("complaints", "Report")
    table = schema_editor.quote_name(report._meta.db_table)
    last = report.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    for low in range(0, last, BATCH):
        # A range of report ids on both sides: each batch reads its reports and their handling rows by
        # index (a join on the ids alone read the whole reports table once a batch).
        schema_editor.execute(
            f"UPDATE {handling} SET due_at = r.due_at, is_practice = (r.sandbox_id IS NOT NULL) "  # noqa: S608
            f"FROM {table} r WHERE r.id = {handling}.report_id AND r.id > %s AND r.id <= %s "
            f"AND {handling}.report_id > %s AND {handling}.report_id <= %s "
            "AND (r.due_at IS NOT NULL OR r.sandbox_id IS NOT NULL)",
            [low, low + BATCH, low, low + BATCH],
        )


def create(apps, schema_editor):
    handling = apps.get_model("complaints", "ReportAgency")
    add_concurrently(schema_editor, handling, NEW)
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(handling, OLD)
        return
    schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{OLD.name}"')
    # The filled rows' pages are marked all-visible again, so the tabs' index-only scan reads no table.
    schema_editor.execute(f"VACUUM (ANALYZE) {schema_editor.quote_name(handling._meta.db_table)}")


def drop(apps, schema_editor):
    handling = apps.get_model("complaints", "ReportAgency")
    add_concurrently(schema_editor, handling, OLD)
    remove_concurrently(schema_editor, handling, NEW)


class Migration(migrations.Migration):
    atomic = False  # batches in their own transactions; CREATE INDEX CONCURRENTLY outside any

    dependencies = [("complaints", "0029_report_public_map_category")]

    operations = [
        migrations.AddField(
            model_name="reportagency",
            name="due_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="reportagency",
            name="is_practice",
            field=models.BooleanField(db_default=False, default=False, editable=False),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveIndex(model_name="reportagency", name=OLD.name),
                migrations.AddIndex(model_name="reportagency", index=NEW),
            ],
            database_operations=[migrations.RunPython(create, drop)],
        ),
    ]
