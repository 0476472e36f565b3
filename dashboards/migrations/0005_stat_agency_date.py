"""A subtree's period of the dashboards' day rows, read by agency first: (agency, date) on DailyStat and
DurationStat. The figures scope by `agency_id = ANY(the subtree's ids)` (figures.in_scope); with only
(date, agency) and (date) the planner read every row of the period in the country (76,045 at 100,000
reports for 31 days, about twenty times as many at 2,000,000) to keep the scope's few.

On PostgreSQL built CONCURRENTLY (the day rebuilds write on meanwhile), so this migration is not atomic;
an invalid index left by an interrupted build is dropped and built again. SQLite builds plain indexes."""

from django.db import migrations, models

from lapor.indexes import AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("dashboards", "0004_stat_kecamatan")]

    operations = [
        AddIndexConcurrently(
            "dashboards", "dailystat", models.Index(fields=["agency", "date"], name="dailystat_agency_date")
        ),
        AddIndexConcurrently(
            "dashboards", "durationstat", models.Index(fields=["agency", "date"], name="durationstat_agency_date")
        ),
    ]
