"""The public map filtered by category: a btree on (category, longitude, latitude) of the public reports
with a pin, partial like report_public_map (complaints.places.point_query with the list's category
filter reads only the category's pins of the box instead of every pin of a dense town).

On PostgreSQL it is built CONCURRENTLY (writes to the reports go on while it is built: about a minute
at 2,000,000 reports, see docs/benchmarks.md), so this migration is not atomic; an invalid index left by
an interrupted build is dropped and built again. SQLite builds a plain partial index."""

from django.db import migrations, models

from lapor.indexes import AddIndexConcurrently

INDEX = models.Index(
    fields=["category", "longitude", "latitude"],
    name="report_public_map_category",
    condition=models.Q(is_confidential=False, verified_at__isnull=False, latitude__isnull=False),
)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0028_map_facets")]

    operations = [
        AddIndexConcurrently("complaints", "report", INDEX),
    ]
