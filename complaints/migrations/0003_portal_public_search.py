"""Full-text search over reports' title and body: a GIN expression index, on PostgreSQL only.

The expression must stay identical to complaints.filters.search_vector() (SearchVector("title",
"body", config="simple")) or PostgreSQL will not use the index. SQLite has no such index; the feed
falls back to icontains there.
"""

from django.db import migrations

INDEX = "report_search"
CREATE = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON complaints_report USING gin "
    "(to_tsvector('simple'::regconfig, COALESCE(title, '') || ' ' || COALESCE(body, '')))"
)
DROP = f"DROP INDEX IF EXISTS {INDEX}"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_triage_report_due_index")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
