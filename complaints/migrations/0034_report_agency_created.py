"""The dashboards' funnel read from one index: (agency, created_at) with the status, the Rahasia flag and the
district, real reports only (dashboards/figures.py compute_funnel: an agency subtree's reports filed in a
period, by their status now). Through the agency index alone it read every report the subtree ever held and
kept the period's (2,955 rows for 959 at 2,000,000 reports, 2.9–3.6 ms; 0.2 ms at 100,000).

On PostgreSQL it is built CONCURRENTLY (writes to the reports go on while it is built), so this migration
is not atomic; an invalid index left by an interrupted build is dropped and built again. SQLite builds a
plain partial index (without the included columns)."""

from django.db import migrations, models

from lapor.indexes import AddIndexConcurrently

INDEX = models.Index(
    fields=["agency", "created_at"],
    include=["status", "is_confidential", "kecamatan"],
    name="report_agency_created",
    condition=models.Q(sandbox__isnull=True),
)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0033_report_agency_open")]

    operations = [
        AddIndexConcurrently("complaints", "report", INDEX),
    ]
