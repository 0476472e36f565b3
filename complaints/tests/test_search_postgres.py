"""Full-text search on PostgreSQL uses the GIN expression index of migration 0002."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import filters
from complaints.filters import search_reports
from complaints.models import Report
from complaints.tests.portal import published

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"),
]


def test_search_finds_words_in_title_or_body(client, make_report, national_admin):
    published(make_report, national_admin, title="Sampah menumpuk", body="Di pasar Kuta belum diangkut.")
    published(make_report, national_admin, title="Jalan rusak", body="Aspal mengelupas dekat sekolah.")
    titles = [r.title for r in client.get(reverse("complaints:list"), {"q": "pasar kuta"}).context["page"]]
    assert titles == ["Sampah menumpuk"]
    # websearch syntax: quoted phrases and -exclusions do not break the query
    titles = [r.title for r in client.get(reverse("complaints:list"), {"q": '"jalan rusak" -sampah'}).context["page"]]
    assert titles == ["Jalan rusak"]


def test_search_probe_uses_the_gin_index(db):
    with CaptureQueriesContext(connection) as ctx:
        search_reports(Report.objects.all(), "jalan")
    # the bounded look-up (after the planner's estimate, itself an EXPLAIN) that picks the plan
    probe = next(q["sql"] for q in ctx.captured_queries if not q["sql"].startswith("EXPLAIN"))
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + probe)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "report_search" in plan


@pytest.mark.parametrize("rare_limit", [100, 1])  # rare words: GIN ids, common words: the dated walk
def test_rare_and_common_words_give_the_same_newest_first_results(
    client, make_report, national_admin, monkeypatch, rare_limit
):
    monkeypatch.setattr(filters, "RARE_MATCHES", rare_limit)
    for title in ("Jalan rusak satu", "Sampah", "Jalan rusak dua", "Jalan rusak tiga"):
        published(make_report, national_admin, title=title)
    titles = [r.title for r in client.get(reverse("complaints:list"), {"q": "jalan"}).context["page"]]
    assert titles == ["Jalan rusak tiga", "Jalan rusak dua", "Jalan rusak satu"]
