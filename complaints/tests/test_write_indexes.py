"""The indexes of the tables a submission writes (issue #15, goal 1): each INSERT maintains every index of
its table, so none may be a copy of another's reads. An index whose columns begin another index of the
same table, under the same condition, answers nothing the longer one does not (the planner reads the
longer one for the same lookups); and the lookups those dropped indexes used to serve still read an index."""

import pytest
from django.db import connection

from complaints.models import Clock, Event, Notification, Report, ReportAgency

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes and plans")

# Every table complaints.workflow.submit writes (the report, its clock, handling row, event, notifications,
# the status counter's row and the audit chain's head).
WRITTEN = [
    "complaints_report",
    "complaints_clock",
    "complaints_reportagency",
    "complaints_event",
    "complaints_notification",
    "complaints_statuscount",
    "complaints_auditchain",
]


def _btree_indexes(table: str) -> list[tuple[str, tuple[int, ...], str | None, bool]]:
    """(name, key columns' numbers, condition, unique) of each B-tree index of `table`."""
    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT c.relname, (i.indkey::int2[])[0:i.indnkeyatts - 1], pg_get_expr(i.indpred, i.indrelid),
                   i.indisunique
            FROM pg_index i
            JOIN pg_class c ON c.oid = i.indexrelid
            JOIN pg_am am ON am.oid = c.relam
            WHERE i.indrelid = %s::regclass AND am.amname = 'btree'
            """,
            [table],
        )
        return [(name, tuple(keys), condition, unique) for name, keys, condition, unique in cur.fetchall()]


def redundant_indexes(table: str) -> list[str]:
    """The indexes of `table` that another one serves: not unique, on no expression, their key columns the
    first columns of another B-tree index under the same condition (a LIKE index beside the plain or
    unique one on its column is one of these for the equality lookups)."""
    indexes = _btree_indexes(table)
    found = []
    for name, keys, condition, unique in indexes:
        if unique or 0 in keys:
            continue
        for other, other_keys, other_condition, _unique in indexes:
            if other != name and other_keys[: len(keys)] == keys and other_condition == condition:
                found.append(f"{name} (served by {other})")
                break
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("table", WRITTEN)
def test_no_index_of_a_table_the_submission_writes_is_served_by_another(table):
    assert redundant_indexes(table) == []


@pytest.mark.django_db
def test_a_foreign_key_index_beside_a_composite_one_is_found():
    """The check above, with the bug put in: the report's agency indexed on its own again."""
    with connection.cursor() as cur:
        cur.execute("CREATE INDEX test_report_agency ON complaints_report (agency_id)")
        cur.execute("CREATE INDEX test_report_tracking_like ON complaints_report (tracking_no varchar_pattern_ops)")
    assert sorted(redundant_indexes("complaints_report")) == [
        "test_report_agency (served by report_queue)",
        "test_report_tracking_like (served by complaints_report_tracking_no_key)",
    ]


# The lookups of the foreign keys whose own index was dropped (migration 0035), each as the pages, the
# deletions' collectors and the sweep ask it: (queryset, the table it reads).
LOOKUPS = {
    "a report's handler agency": (lambda: Report.objects.filter(agency_id__in=[1, 2]), "complaints_report"),
    "a citizen's reports": (lambda: Report.objects.filter(reporter_id=1), "complaints_report"),
    "a regency's reports": (lambda: Report.objects.filter(regency_id="51.03"), "complaints_report"),
    "a report's handling rows": (lambda: ReportAgency.objects.filter(report_id__in=[1, 2]), "complaints_reportagency"),
    "an agency's handling rows": (lambda: ReportAgency.objects.filter(agency_id=1), "complaints_reportagency"),
    "a report's events": (lambda: Event.objects.filter(report_id__in=[1, 2]), "complaints_event"),
    "a report's clocks": (lambda: Clock.objects.filter(report_id=1), "complaints_clock"),
    "a user's notifications": (lambda: Notification.objects.filter(user_id=1), "complaints_notification"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("lookup", sorted(LOOKUPS))
def test_a_lookup_whose_foreign_key_index_was_dropped_still_reads_an_index(lookup):
    make, table = LOOKUPS[lookup]
    sql, params = make().query.sql_with_params()
    with connection.cursor() as cur:
        # An empty table makes any scan cheapest: the question is whether an index can answer at all.
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN (COSTS OFF) " + sql, params)
        plan = "\n".join(row[0] for row in cur.fetchall())
    assert "Seq Scan" not in plan and table in plan, plan
