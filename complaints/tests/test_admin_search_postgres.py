"""The report admin's search box on PostgreSQL: every word found through an index (migration 0040 and the
tracking number's unique index), never by reading every report the user may see."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import workflow
from complaints.models import Report
from complaints.tests.portal import crowd

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]

CHANGELIST = "admin:complaints_report_changelist"


@pytest.fixture
def reports(make_report, national_admin, tree):
    """Three reports: one verified and dispatched, one not yet verified, one Rahasia — the staff search
    spans all three, so the index must hold every report."""
    dispatched = make_report(title="Lampu jalan padam di Kuta")
    workflow.verify(dispatched, by=national_admin, complaint_kind="normative")
    workflow.dispatch(dispatched, by=national_admin, to_agency=tree["badung"])
    waiting = make_report(title="Saluran air tersumbat")
    secret = make_report(title="Pungutan liar di kantor desa", is_confidential=True)
    return dispatched, waiting, secret


def _titles(client, term) -> set[str]:
    response = client.get(reverse(CHANGELIST), {"q": term})
    assert response.status_code == 200
    return {r.title for r in response.context["cl"].result_list}


def test_a_word_is_found_as_a_tracking_number_or_in_a_title(client, national_admin, reports):
    dispatched, waiting, secret = reports
    client.force_login(national_admin)
    assert _titles(client, dispatched.tracking_no) == {dispatched.title}
    assert _titles(client, waiting.tracking_no.lower()) == {waiting.title}  # typed in lower case
    assert _titles(client, "TERSUMBAT") == {waiting.title}  # any case, any part of the title
    assert _titles(client, "liar") == {secret.title}
    assert _titles(client, "lampu kuta") == {dispatched.title}  # every word
    assert _titles(client, f"lampu {waiting.tracking_no}") == set()
    assert _titles(client, "padam jalan") == {dispatched.title}
    assert _titles(client, '"padam jalan"') == set()  # a quoted phrase is one word, as in Django
    assert _titles(client, '"jalan padam di"') == {dispatched.title}


def _plans(client, term) -> list[str]:
    """The plans PostgreSQL chooses for the changelist's statements that search for `term` (its page and
    its count)."""
    with CaptureQueriesContext(connection) as ctx:
        client.get(reverse(CHANGELIST), {"q": term})
    statements = [q["sql"] for q in ctx.captured_queries if '"complaints_report"."title"::text) LIKE' in q["sql"]]
    assert statements
    with connection.cursor() as cursor:
        plans = []
        for sql in statements:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


@pytest.mark.parametrize("term", ["tracking", "lower", "title"])
def test_a_national_admins_search_reads_no_report_it_does_not_find(client, national_admin, reports, term):
    """A national admin's scope is every report (2,000,000 in the national system): with real statistics
    (5,000 more reports), each word is looked up in the tracking number's unique index and the title's
    trigram index (report_title_search) — a BitmapOr of the two — never compared row by row."""
    crowd(reports[0], 5_000)
    words = {"tracking": reports[0].tracking_no, "lower": reports[1].tracking_no.lower(), "title": "tersumbat"}
    client.force_login(national_admin)
    try:
        plans = _plans(client, words[term])
    finally:
        # ANALYZE writes the table's size in place, outside the test's transaction: leave it as it was
        # for the tests that follow (their plans are chosen by it too)
        Report.objects.exclude(pk__in=[r.pk for r in reports]).delete()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE complaints_report")
    for plan in plans:
        assert "Seq Scan on complaints_report" not in plan, plan
        assert "BitmapOr" in plan, plan
        assert "complaints_report_tracking_no_key" in plan and "report_title_search" in plan, plan


def test_the_title_index_holds_every_report(db):
    """Migration 0040: the trigram index on UPPER(title), no condition (the staff search spans unverified
    and Rahasia reports too)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'report_title_search'")
        (definition,) = cursor.fetchone()
    assert "gin (upper((title)::text) gin_trgm_ops)" in definition and "WHERE" not in definition
