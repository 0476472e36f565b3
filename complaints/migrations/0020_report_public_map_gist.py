"""The public map's bounding-box query on PostgreSQL: a GiST index on the pin as a point (built-in
geometric types, no PostGIS), partial like report_public_map. complaints.places.in_box adds the
matching `point(...) <@ box(...)` condition there; SQLite keeps the btree report_public_map."""

from django.db import migrations

CREATE = """
CREATE INDEX IF NOT EXISTS report_public_map_gist ON complaints_report
USING gist (point(longitude::float8, latitude::float8))
WHERE NOT is_confidential AND verified_at IS NOT NULL AND latitude IS NOT NULL
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS report_public_map_gist")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0019_routing_model")]

    operations = [migrations.RunPython(create, drop)]
