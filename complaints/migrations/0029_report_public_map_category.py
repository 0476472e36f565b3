"""The public map filtered by category: a btree on (category, longitude, latitude) of the public reports
with a pin, partial like report_public_map (complaints.places.point_query with the list's category
filter reads only the category's pins of the box instead of every pin of a dense town).

On PostgreSQL it is built CONCURRENTLY (writes to the reports go on while it is built: about a minute
at 2,000,000 reports, see docs/benchmarks.md), so this migration is not atomic; an invalid index left by
an interrupted build is dropped and built again. SQLite builds a plain partial index."""

from django.db import migrations, models

INDEX = models.Index(
    fields=["category", "longitude", "latitude"],
    name="report_public_map_category",
    condition=models.Q(is_confidential=False, verified_at__isnull=False, latitude__isnull=False),
)


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

    dependencies = [("complaints", "0028_map_facets")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="report", index=INDEX)],
            database_operations=[migrations.RunPython(create, drop)],
        )
    ]
