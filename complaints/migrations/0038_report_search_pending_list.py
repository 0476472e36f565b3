"""The full-text index's pending list kept short (issue #15, goal 3).

report_search_dated is a GIN index with fastupdate on (PostgreSQL's default): a new report's entries go
to the index's unsorted *pending list*, merged into the index only when the list outgrows
gin_pending_list_limit (4 MB by default) or a VACUUM runs — and every search reads the whole pending list
besides the index. At 2,000,000 reports a table is vacuumed for its inserts every 400,000 of them, so the
list grows to its 4 MB: about 6,000 reports (384 pages at the 100k bench after its runs' submissions),
when a signed-in citizen's search of "jalan rusak" cost 11.2 ms of database CPU against 4.4 ms with the
list merged; and the submission that tips it over merges all 4 MB at once. With 256 kB the list holds
about 400 reports: a search reads at most ~32 pending pages, and the merge a submission now and then pays
is a sixteenth of the size.

ALTER INDEX … SET takes a SHARE UPDATE EXCLUSIVE lock (reads and writes go on). The list already pending is
merged by the next insert past the new limit, or by the next VACUUM (a deployment may run
`SELECT gin_clean_pending_list('report_search_dated')` right after). Nothing on SQLite."""

from django.db import migrations

NAME = "report_search_dated"
LIMIT_KB = 256


def _exists(cursor) -> bool:
    cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [NAME])
    return cursor.fetchone()[0]


def _alter(schema_editor, change: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        if _exists(cursor):
            cursor.execute(f"ALTER INDEX {NAME} {change}")


def forwards(apps, schema_editor):
    _alter(schema_editor, f"SET (gin_pending_list_limit = {LIMIT_KB})")


def backwards(apps, schema_editor):
    _alter(schema_editor, "RESET (gin_pending_list_limit)")


class Migration(migrations.Migration):
    dependencies = [("complaints", "0037_report_search_dated")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
