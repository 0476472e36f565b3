"""The durations' histogram of a subtree's period read from an index alone: (agency, date) INCLUDE (measure,
days, count) on DurationStat, in place of (agency, date). figures.compute sums `count` by (measure, days)
over the subtree's rows of the period; through (agency, date) each row was read from the table, and a day's
rows lie on as many heap pages as there are rows (at 2,000,000 reports a regency's 1,024 rows of 31 days were
on 918 pages: 0.6 ms warm, 5.3 ms when they were not in shared buffers).

On PostgreSQL built and dropped CONCURRENTLY (lapor/indexes.py; the day rebuilds write on meanwhile), so this
migration is not atomic. SQLite builds and drops plainly."""

from django.db import migrations, models

from lapor.indexes import AddIndexConcurrently, RemoveIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE/DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("dashboards", "0005_stat_agency_date")]

    operations = [
        AddIndexConcurrently(
            "dashboards",
            "durationstat",
            models.Index(
                fields=["agency", "date"], include=["measure", "days", "count"], name="durationstat_agency_date_cover"
            ),
        ),
        RemoveIndexConcurrently(
            "dashboards", "durationstat", models.Index(fields=["agency", "date"], name="durationstat_agency_date")
        ),
    ]
