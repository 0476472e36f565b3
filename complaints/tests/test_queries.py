"""Every page that lists reports keeps a flat number of queries as the data grows."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from complaints import workflow
from complaints.counters import HOME_COUNTERS_KEY
from complaints.models import Comment, Report
from complaints.tests.portal import answered, png_upload, published
from complaints.uploads import check_upload

N = 3


@pytest.fixture
def grow(make_report, national_admin, agency_admin, tree, other_citizen):
    """grow(n): n more public reports in different states, with events, comments and files."""

    def more(n):
        for i in range(n):
            report = answered(make_report, national_admin, agency_admin, tree, title=f"Laporan {i}")
            if i % 2:
                workflow.reply(report, by=report.reporter, note="Belum beres", attachments=[check_upload(png_upload())])
            published(make_report, national_admin, title=f"Terverifikasi {i}", is_anonymous=bool(i % 2))
            Comment.objects.create(report=report, author=other_citizen, body="Dukung")

    return more


def _assert_flat(client, url, grow, limit, django_assert_max_num_queries, params=None):
    grow(N)
    client.get(url, params or {})  # a worker's first request reads the reference data into memory (lapor/refcache)
    cache.delete(HOME_COUNTERS_KEY)
    with django_assert_max_num_queries(limit):
        assert client.get(url, params or {}).status_code == 200
    grow(3 * N)
    cache.delete(HOME_COUNTERS_KEY)
    with django_assert_max_num_queries(limit):
        assert client.get(url, params or {}).status_code == 200


def test_home_queries_are_flat(client, grow, django_assert_max_num_queries):
    # counters (aggregate + agencies), latest reports with category/agency/regions,
    # and the embedded report form (regions, categories, the province list for the regency groups)
    _assert_flat(client, reverse("home"), grow, 6, django_assert_max_num_queries)


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"status": "responded", "klasifikasi": "complaint"},
        {"kategori": "kesehatan", "provinsi": "51", "kabupaten": "51.03", "instansi": "pemkab-badung"},
        {"q": "laporan", "dari": "2020-01-01", "sampai": "2099-12-31"},
    ],
)
def test_feed_queries_are_flat(client, grow, django_assert_max_num_queries, params):
    # choices of the category, province, regency and agency selects (4), the page of rows with
    # category/parent/agency/regions/reporter joined (1), and one look-up per chosen
    # category/province/regency/agency (up to 4)
    _assert_flat(client, reverse("complaints:list"), grow, 9, django_assert_max_num_queries, params)


def test_feed_queries_for_a_logged_in_citizen_are_flat(client, citizen, grow, django_assert_max_num_queries):
    client.force_login(citizen)
    # 5 as above, + session, user, unread notifications badge
    _assert_flat(client, reverse("complaints:list"), grow, 8, django_assert_max_num_queries)


def test_my_reports_queries_are_flat(client, citizen, grow, django_assert_max_num_queries):
    client.force_login(citizen)
    # session, user, tab counts, rows, latest events (one windowed query), running clocks, unread badge
    _assert_flat(client, reverse("complaints:mine"), grow, 7, django_assert_max_num_queries, {"tab": "semua"})


def test_notifications_queries_are_flat(client, citizen, grow, django_assert_max_num_queries):
    client.force_login(citizen)
    # session, user, page of notifications, unread badge
    _assert_flat(client, reverse("complaints:notifications"), grow, 4, django_assert_max_num_queries)


def test_report_page_queries_are_flat(
    client, citizen, other_citizen, make_report, national_admin, agency_admin, tree, django_assert_max_num_queries
):
    report = answered(make_report, national_admin, agency_admin, tree)
    url = reverse("complaints:detail", args=[report.tracking_no])

    def grow(n):
        for _i in range(n):
            workflow.reply(report, by=citizen, note="Belum", attachments=[check_upload(png_upload())])
            workflow.respond(report, by=agency_admin, note="Sudah", attachments=[check_upload(png_upload())])
            Comment.objects.create(report=report, author=other_citizen, body="Setuju")

    client.force_login(citizen)
    # session, user, report, events, event files, report files, clocks, comments, support,
    # memberships, missed clocks, unread badge
    limit = 12
    grow(N)
    client.get(url)  # a worker's first request reads the reference data into memory (lapor/refcache)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200
    grow(3 * N)
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200
    assert Report.objects.get(pk=report.pk).events.count() > 3 * N
