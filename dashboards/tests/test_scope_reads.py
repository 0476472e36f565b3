"""What one head's first view of a period reads (#15 goal 5: the dashboard's cost flat in N): an agency
subtree's day rows of the period and its reports filed in the period, not the country's rows of the period
nor every row the subtree ever had. Judged by the rows PostgreSQL's plan reads (EXPLAIN ANALYZE), whatever
index it picks."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from agencies.models import Agency
from complaints.models import Report
from dashboards.figures import Scope, duration_sums, filed_in, stats_for
from dashboards.models import DailyStat, DurationStat

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")

SCANS = {"Seq Scan", "Index Scan", "Index Only Scan", "Bitmap Index Scan", "Bitmap Heap Scan"}


def _rows_read(queryset, table: str) -> int:
    """The most rows one scan of `table` (or of one of its indexes) read in the plan of `queryset`: the rows
    it returned and those it read and dropped (a filter, a bitmap's recheck)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [table])
        indexes = {name for (name,) in cur.fetchall()}
        cur.execute(f"ANALYZE {table}")
        # A test's few rows may make a sequential scan look cheapest: the question is which index reads.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        (plan,) = cur.fetchone()
    read = []

    def walk(node):
        if node["Node Type"] in SCANS and (node.get("Relation Name") == table or node.get("Index Name") in indexes):
            loops = node.get("Actual Loops", 1)
            dropped = node.get("Rows Removed by Filter", 0) + node.get("Rows Removed by Index Recheck", 0)
            read.append(node["Actual Rows"] * loops + dropped)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    assert read, plan
    return max(read)


@pytest.mark.parametrize("model", [DailyStat, DurationStat])
def test_a_subtrees_period_reads_only_its_day_rows_of_the_period(tree, model):
    """The flows: the 30 day rows of Badung's subtree in the period are read, not its 800 of other days (by
    the agency alone) nor other agencies' rows of the same days (by the date first)."""
    first, last = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    extra = {"measure": DurationStat.Measure.VERIFY, "days": 2, "count": 1} if model is DurationStat else {}
    rows = [
        model(date=first + dt.timedelta(days=n), agency=tree["dinkes"] if n % 2 else tree["badung"], **extra)
        for n in range(30)
    ]
    rows += [model(date=first - dt.timedelta(days=n), agency=tree["badung"], **extra) for n in range(1, 401)]
    rows += [model(date=last + dt.timedelta(days=n), agency=tree["dinkes"], **extra) for n in range(1, 401)]
    others = list(Agency.objects.exclude(path__startswith=tree["badung"].path).order_by("pk")[:500])
    rows += [
        model(date=first + dt.timedelta(days=n % 300 - 135), agency=others[n % len(others)], **extra)
        for n in range(5000)
    ]
    model.objects.bulk_create(rows, batch_size=500)

    in_scope = stats_for(Scope(tree["badung"]), first, last, model)
    assert in_scope.count() == 30
    assert _rows_read(in_scope.values("date"), model._meta.db_table) <= 30


def _copies(report, tag: str, agencies, created_at_sql: str, n: int) -> None:
    """`n` copies of `report`, held in turn by `agencies`, filed at `created_at_sql` (an SQL expression of g,
    1..n), their tracking numbers `tag` (one letter) and g."""
    fields = [f for f in Report._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    values = {c: c for c in columns}
    values |= {
        "tracking_no": "%(tag)s || lpad(g::text, 11, '0')",
        "submission_key": "NULL",
        "agency_id": "(%(agencies)s::bigint[])[1 + g %% %(count)s]",
        "created_at": created_at_sql,
    }
    sql = (
        f"INSERT INTO complaints_report ({', '.join(columns)}) "
        f"SELECT {', '.join(values[c] for c in columns)} FROM complaints_report, generate_series(1, %(n)s) g "
        "WHERE id = %(report)s"
    )
    with connection.cursor() as cur:
        params = {"tag": tag, "agencies": [a.pk for a in agencies], "count": len(agencies), "n": n, "report": report.pk}
        cur.execute(sql, params)


def test_the_funnel_reads_only_the_subtrees_reports_filed_in_the_period(tree, make_report):
    """The funnel (reports filed in the period, by their status now): Badung's 20 reports of the period are
    read, not its 300 filed before nor other agencies' of the same days."""
    report = make_report()
    now = timezone.now()
    first, last = (now - dt.timedelta(days=40)).date(), (now - dt.timedelta(days=10)).date()
    others = list(Agency.objects.exclude(path__startswith=tree["badung"].path).order_by("pk")[:500])
    _copies(report, "A", [tree["dinkes"]], "now() - interval '20 days' - g * interval '1 minute'", 20)
    _copies(report, "B", [tree["badung"]], "now() - interval '60 days' - g * interval '1 hour'", 300)
    _copies(report, "C", others, "now() - g * interval '2 hours'", 3000)

    funnel = filed_in(Scope(tree["badung"]), first, last)
    assert dict(funnel) == {report.status: 20}
    assert _rows_read(funnel, "complaints_report") <= 20


def _table_scans(queryset, table: str) -> list[str]:
    """The kinds of the scans that read `table`'s rows in the plan of `queryset` (an index-only scan reads
    the index alone), with the sequential and bitmap scans off: which columns the statement needs decides
    whether the index alone can answer it, not the test's few rows."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"ANALYZE {table}")
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("SET LOCAL enable_bitmapscan = off")
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        (plan,) = cur.fetchone()
    scans = []

    def walk(node):
        if node.get("Relation Name") == table:
            scans.append(node["Node Type"])
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return scans


def test_the_funnel_is_counted_from_its_index_alone(tree, make_report):
    """The funnel needs nothing of a report but what report_agency_created holds (its agency, filing time,
    status, Rahasia flag and district): its plan reads that index alone (an index-only scan), not the
    reports' rows, for a head's subtree and for its public page (a district's may take the district's index).
    Counting ids (COUNT(id)) read every report of the period from the table."""
    report = make_report()
    now = timezone.now()
    first, last = (now - dt.timedelta(days=40)).date(), (now - dt.timedelta(days=10)).date()
    _copies(report, "A", [tree["badung"], tree["dinkes"]], "now() - interval '20 days' - g * interval '1 minute'", 40)
    others = list(Agency.objects.exclude(path__startswith=tree["badung"].path).order_by("pk")[:500])
    _copies(report, "C", others, "now() - g * interval '20 minutes'", 3000)
    for scope in (Scope(tree["badung"]), Scope(tree["badung"], public=True)):
        funnel = filed_in(scope, first, last)
        assert _table_scans(funnel, "complaints_report") == ["Index Only Scan"], scope
    assert dict(filed_in(Scope(tree["badung"]), first, last)) == {report.status: 40}


def test_a_subtrees_durations_are_summed_from_their_index_alone(tree):
    """The histogram of working days (count summed by measure and days) needs nothing of a DurationStat row
    but what durationstat_agency_date_cover holds: its plan reads that index alone, not the rows (a day's
    rows lie on as many table pages as there are rows: 918 pages for 1,024 rows at 2,000,000 reports)."""
    first, last = dt.date(2026, 11, 1), dt.date(2026, 11, 30)
    verify = DurationStat.Measure.VERIFY
    rows = [
        DurationStat(date=first + dt.timedelta(days=n % 30), agency=tree["dinkes"], measure=verify, days=n % 5, count=1)
        for n in range(60)
    ]
    others = list(Agency.objects.exclude(path__startswith=tree["badung"].path).order_by("pk")[:500])
    rows += [
        DurationStat(
            date=first + dt.timedelta(days=n % 90 - 30), agency=others[n % len(others)], measure=verify, days=1
        )
        for n in range(3000)
    ]
    DurationStat.objects.bulk_create(rows, batch_size=500)

    histogram = duration_sums(Scope(tree["badung"]), first, last)
    assert {(r["measure"], r["days"]): r["n"] for r in histogram} == {(verify.value, d): 12 for d in range(5)}
    assert _table_scans(histogram, DurationStat._meta.db_table) == ["Index Only Scan"]
