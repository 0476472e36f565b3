"""Real reports per status (practice reports of training sandboxes are not counted) without
counting them: the national admin's queue tabs read these at every
request, and at two million reports a grouped COUNT of the open ones took 190-240 ms.

The workflow appends a -1 row for the status a report leaves and a +1 row for the one it enters, in
the action's transaction (`moved`; a filed report: +1 submitted; a deleted one: -1). Rows are never
updated, so concurrent actions never wait for a counter. `totals()` sums them (one small query) and,
once more than COMPACT_AT rows have gathered, folds them into one row per status. `rebuild()` counts
the reports table again (manage.py rebuild_status_counts; seed_scale calls it after its bulk load).
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection, transaction
from django.db.models import Count, Sum

from lapor.prepared import insert_rows

from .models import Report, StatusCount

COMPACT_AT = 500


def moved(from_status: str | None, to_status: str | None) -> None:
    """A report left `from_status` (None: it is new) for `to_status` (None: it was deleted)."""
    if from_status == to_status:
        return
    rows = [StatusCount(status=s, n=n) for s, n in ((from_status, -1), (to_status, 1)) if s]
    insert_rows(rows, later=True)  # bulk_create without compiling the INSERT each time (every workflow step)


def totals() -> dict[str, int]:
    """Reports per status (statuses without reports are missing)."""
    rows = list(StatusCount.objects.order_by().values("status").annotate(total=Sum("n"), rows=Count("pk")))
    if sum(r["rows"] for r in rows) > COMPACT_AT:
        compact()
    return {r["status"]: r["total"] for r in rows if r["total"]}


def compact() -> None:
    """Fold every row into one per status. The rows are taken by DELETE … RETURNING, so a row
    appended meanwhile, or taken by a concurrent compaction, is never counted twice."""
    table = connection.ops.quote_name(StatusCount._meta.db_table)
    with transaction.atomic():
        with connection.cursor() as cur:
            cur.execute(f"DELETE FROM {table} RETURNING status, n")  # noqa: S608 (a model's table name)
            sums = defaultdict(int)
            for status, n in cur.fetchall():
                sums[status] += n
        StatusCount.objects.bulk_create([StatusCount(status=s, n=n) for s, n in sums.items() if n])


def rebuild() -> dict[str, int]:
    """Count the reports again. Actions wait while it runs (PostgreSQL: the table is locked), so
    none is lost or counted twice."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute(f"LOCK TABLE {StatusCount._meta.db_table} IN EXCLUSIVE MODE")
        StatusCount.objects.all().delete()
        counts = dict(
            Report.objects.filter(sandbox__isnull=True).order_by().values_list("status").annotate(n=Count("pk"))
        )
        StatusCount.objects.bulk_create([StatusCount(status=s, n=n) for s, n in counts.items() if n])
    return counts
