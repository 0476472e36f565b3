"""The unfiltered feed's first pages read by statements compiled once per process (complaints/views.py):
the same cards as the ORM's slice, read afresh on every request, and no query per card."""

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from complaints import fragments, views
from complaints.models import Report
from complaints.tests.portal import published

URL = reverse("complaints:list")


@pytest.fixture(autouse=True)
def no_page_cache():
    with override_settings(LAPOR_PAGE_CACHE_SECONDS=0):  # rendered pages (the page cache has its own tests)
        yield


def _titles(response):
    return [r.title for r in response.context["page"]]


def _orm_titles(start, stop):
    return [r.title for r in Report.objects.public().order_by("-created_at", "-pk")[start:stop]]


def test_the_first_pages_are_the_orms_and_read_afresh(
    client, make_report, national_admin, other_citizen, monkeypatch, django_assert_max_num_queries
):
    monkeypatch.setattr(views, "FEED_PAGES_PREPARED", 2)
    reports = [published(make_report, national_admin, title=f"Laporan {i}") for i in range(53)]
    for page, (start, stop) in {1: (0, 25), 2: (25, 50), 3: (50, 75)}.items():  # page 3: the ORM's own
        response = client.get(URL, {"page": page})
        assert _titles(response) == _orm_titles(start, stop)
        assert response.context["page"].has_next == (page < 3)
    assert (0, 26) in views._feed_pages and (25, 51) in views._feed_pages and (50, 76) not in views._feed_pages
    # A change is seen at once: a report made Rahasia leaves page 1, the next one moves up.
    Report.objects.filter(pk=reports[-1].pk).update(is_confidential=True)
    Report.objects.filter(pk=reports[-2].pk).update(title="Judul baru")
    fragments.clear_local()
    titles = _titles(client.get(URL))
    assert titles == _orm_titles(0, 25) and "Laporan 52" not in titles and titles[0] == "Judul baru"
    # Each card's category, regions, agency and reporter come with the page: no query per card.
    fragments.clear_local()
    with django_assert_max_num_queries(3):
        client.get(URL)
    client.force_login(other_citizen)  # signed in: the session's user, memberships and badge besides
    with django_assert_max_num_queries(6):
        client.get(URL, {"page": 2})


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are kept by PostgreSQL")
def test_the_feeds_first_pages_and_the_homes_latest_are_planned_once_per_connection(
    client, make_report, national_admin
):
    # Planning the feed's joins cost PostgreSQL more than running them (issue #15): the statement is
    # PREPAREd on the connection's first request and EXECUTEd after (lapor/prepared.py keep_plan).
    for i in range(3):
        published(make_report, national_admin, title=f"Laporan {i}")
    for path in (URL, reverse("home")):
        client.get(path)  # prepared on this connection
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        kept = [q["sql"] for q in queries if "*/ EXECUTE lapor_plan_" in q["sql"]]
        assert len(kept) == 1 and '"complaints_report"' in kept[0].split("*/")[0], [q["sql"][:80] for q in queries]
        assert b"Laporan 2" in response.content
