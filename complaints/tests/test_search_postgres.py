"""Full-text search on PostgreSQL uses the GIN expression index of migration 0002."""

import pytest
from django.db import connection
from django.urls import reverse

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


def test_search_query_uses_the_gin_index(db):
    qs = search_reports(Report.objects.all(), "jalan")
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "report_search" in plan
