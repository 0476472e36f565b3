"""Indexes no query needs, dropped from the tables a submission writes (issue #15, goal 1: every INSERT
maintains every index of its table; at 2,000,000 reports each is one more leaf page to find, dirty and log).

- Foreign keys' own indexes that a composite index starting with the same column already serves (the
  planner reads the composite for the same lookups, the deletions' collectors included): the report's
  agency (report_queue: agency, status, due_at), reporter (report_reporter: reporter, -created_at) and
  regency (report_regency_recent: regency, -created_at); the handling row's report (report_agency_unique:
  report, agency, kind) and agency (report_agency_queue: agency, status, report); the event's report
  (event_timeline: report, created_at); the clock's report (clock_report_kind: report, kind); the
  notification's user (notification_user: user, -created_at). Their fields say db_index=False.
- The LIKE indexes (varchar_pattern_ops) PostgreSQL's schema editor adds beside a character column's index:
  nothing filters the report's tracking number, submission key or region codes (nor the audit chain's
  name) by a prefix, and the planner answers their equality lookups from the plain or unique index as
  cheaply.

Measured on the bench copies (EXPLAIN (ANALYZE, BUFFERS, WAL) of the submission's five INSERTs, 300
alternating rounds, with 0036): shared buffers touched 281 -> 159 and WAL records 69.5 -> 53 a submission
at both 100,000 and 2,000,000 reports; their execution 0.02-0.13 ms less, within the machine's noise for
the whole request.

On PostgreSQL they are dropped CONCURRENTLY (no lock on the reports while a page reads them), so this
migration is not atomic; reversing it builds them again, concurrently."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from lapor.indexes import RemoveFieldIndexConcurrently, RemoveLikeIndexConcurrently


class Migration(migrations.Migration):
    atomic = False  # DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [
        ("agencies", "0007_membership_role"),
        ("complaints", "0034_report_agency_created"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        RemoveFieldIndexConcurrently(
            "complaints",
            "clock",
            "report",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="clocks",
                to="complaints.report",
            ),
        ),
        RemoveFieldIndexConcurrently(
            "complaints",
            "event",
            "report",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="events",
                to="complaints.report",
            ),
        ),
        RemoveFieldIndexConcurrently(
            "complaints",
            "notification",
            "user",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="notifications",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        RemoveFieldIndexConcurrently(
            "complaints",
            "report",
            "agency",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reports",
                to="agencies.agency",
                verbose_name="instansi penangan",
            ),
        ),
        RemoveFieldIndexConcurrently(
            "complaints",
            "report",
            "regency",
            models.ForeignKey(
                db_index=False,
                limit_choices_to={"level": "regency"},
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reports",
                to="agencies.region",
                verbose_name="kabupaten/kota",
            ),
        ),
        RemoveFieldIndexConcurrently(
            "complaints",
            "report",
            "reporter",
            models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="reports",
                to=settings.AUTH_USER_MODEL,
                verbose_name="pelapor",
            ),
        ),
        RemoveFieldIndexConcurrently(
            "complaints",
            "reportagency",
            "agency",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="handlings",
                to="agencies.agency",
            ),
        ),
        RemoveFieldIndexConcurrently(
            "complaints",
            "reportagency",
            "report",
            models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="handlings",
                to="complaints.report",
            ),
        ),
        *(
            RemoveLikeIndexConcurrently("complaints", "report", name)
            for name in ("tracking_no", "submission_key", "province", "kecamatan", "kelurahan")
        ),
        RemoveLikeIndexConcurrently("complaints", "auditchain", "name"),
    ]
