"""The dated full-text index over public reports only: report_search_public, GIN over (the hour filed,
the search vector) WHERE the report is verified and not Rahasia (report_public_feed's condition),
replacing report_search_dated (migrations 0037, 0038), which held every report (issue #15, goals 3 and 5).

Every search that reads this index is a public one (complaints.filters: the feed's ReportFilter and the
map, both over Report.objects.public(), whose conditions imply the index's). At 2,000,000 reports a
fifth of them are not yet verified, and a busy hour's new reports are nearly all unverified: a search of
the newest hours (filters._recent_matches) read them in the index's entries of those hours only to leave
them out at the table. After a bench run's ~4,000 submissions the read of "jalan rusak"'s newest matches
cost 3.85 ms of index scan for 118 rows at 2M (and 4.6 → 7.4 ms of database CPU per search): what the
hours hold that nobody may find, not what the public may find. A report enters the index when it is
verified (an UPDATE of verified_at), not when it is filed: a submission's INSERT no longer writes it.

A partial index's expression has no statistics the planner uses for the whole table, and the planner's
estimate of a term's matches chooses the search's plan (filters.estimated_matches, _search_plan,
recent_span). So the vector's statistics are kept by an extended statistics object on the expression
(CREATE STATISTICS … ON (expr), PostgreSQL 14 and later): the same estimates as the old index's
statistics gave (e.g. "jalan" 205,310 of 2M before and after).

Built CONCURRENTLY (reads and writes go on), then the old index dropped CONCURRENTLY, then the table
analyzed (which fills the statistics object): not atomic. An invalid index left by an interrupted build is
dropped and built again (0037's _build). About 80 s at 2M. Nothing on SQLite. The vector's expression must
stay complaints.filters.search_vector()'s, the condition report_public_feed's."""

import importlib

from django.db import migrations

dated = importlib.import_module("complaints.migrations.0037_report_search_dated")

NAME = "report_search_public"
OLD = "report_search_dated"
STATISTICS = "report_search_words"
PUBLIC = "(NOT is_confidential) AND (verified_at IS NOT NULL)"  # report_public_feed's condition
PENDING = "WITH (gin_pending_list_limit = 256)"  # migration 0038
COLUMNS = f"USING gin ({dated.FILED}, ({dated.VECTOR})) {PENDING}"
CREATE = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} ON complaints_report {COLUMNS} WHERE {PUBLIC}"
CREATE_OLD = f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {OLD} ON complaints_report {COLUMNS}"


def _statistics(schema_editor, sql: str) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(sql)


def forwards(apps, schema_editor):
    _statistics(
        schema_editor, f"CREATE STATISTICS IF NOT EXISTS {STATISTICS} ON ({dated.VECTOR}) FROM complaints_report"
    )
    dated._swap(schema_editor, NAME, CREATE, OLD)


def backwards(apps, schema_editor):
    dated._swap(schema_editor, OLD, CREATE_OLD, NAME)
    _statistics(schema_editor, f"DROP STATISTICS IF EXISTS {STATISTICS}")


class Migration(migrations.Migration):
    atomic = False  # CREATE / DROP INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("complaints", "0038_report_search_pending_list")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
