"""The report page's reads, compiled once per process (complaints/views.py, lapor/prepared.py): only
their SQL is kept, so every request reads afresh — a change is seen at once, each visitor gets their
own support state, and the access rule still decides on the row read by its number."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from complaints import workflow
from complaints.models import Comment, Support
from complaints.tests.portal import published


def _page(client, report):
    return client.get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()


def _support(client, report):
    assert client.post(reverse("complaints:support", args=[report.tracking_no])).status_code == 302


@pytest.fixture
def third_citizen(db):
    return User.objects.create(email="ketiga@example.test", full_name="Ketut Tiga", is_active=True)


def test_each_citizen_sees_their_own_support_at_once(client, other_citizen, third_citizen, make_report, national_admin):
    first = published(make_report, national_admin, title="Lampu jalan padam")
    second = published(make_report, national_admin, title="Trotoar rusak")
    client.force_login(other_citizen)
    assert "Anda mendukung" not in _page(client, first)
    _support(client, first)
    assert "Anda mendukung" in _page(client, first)
    assert "Anda mendukung" not in _page(client, second)  # another report: not supported
    client.force_login(third_citizen)
    page = _page(client, first)
    assert "Anda mendukung" not in page and reverse("complaints:support", args=[first.tracking_no]) in page
    _support(client, first)
    assert "Anda mendukung" in _page(client, first)
    client.force_login(other_citizen)
    assert "Anda mendukung" not in _page(client, second)


def test_steps_comments_and_reports_are_read_afresh(client, other_citizen, make_report, national_admin, tree):
    first = published(make_report, national_admin, title="Lampu jalan padam")
    second = published(make_report, national_admin, title="Trotoar rusak")
    client.force_login(other_citizen)
    page = _page(client, first)
    assert "Lampu jalan padam" in page and "Belum ada komentar." in page
    workflow.dispatch(first, by=national_admin, to_agency=tree["badung"], note="Diteruskan ke Badung")
    Comment.objects.create(report=first, author=other_citizen, body="Sudah tiga malam gelap")
    page = _page(client, first)
    assert "Diteruskan ke Badung" in page and "Sudah tiga malam gelap" in page
    other_page = _page(client, second)  # the next report shows its own steps and comments only
    assert "Trotoar rusak" in other_page and "Lampu jalan padam" not in other_page
    assert "Diteruskan ke Badung" not in other_page and "Sudah tiga malam gelap" not in other_page
    assert "Belum ada komentar." in other_page
    Comment.objects.filter(report=first).update(is_hidden=True)
    assert "Sudah tiga malam gelap" not in _page(client, first)


def test_the_access_rule_decides_on_the_row_read_by_its_number(client, citizen, other_citizen, make_report):
    waiting = make_report(title="Belum diverifikasi", body="Isi yang belum boleh dibaca publik")
    secret = make_report(title="Laporan rahasia", body="Isi rahasia", is_confidential=True)
    for visitor in (None, other_citizen):
        client.logout()
        if visitor is not None:
            client.force_login(visitor)
        status_page = _page(client, waiting)  # whoever holds the number sees its status, never its text
        assert "Isi yang belum boleh dibaca publik" not in status_page
        response = client.get(reverse("complaints:detail", args=[secret.tracking_no]))
        assert response.status_code == 404 and "Isi rahasia" not in response.content.decode()
    client.force_login(citizen)  # the reporter reads both in full
    assert "Isi yang belum boleh dibaca publik" in _page(client, waiting)
    assert "Isi rahasia" in _page(client, secret)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are kept by PostgreSQL only")
def test_the_pages_reads_are_planned_once_per_connection(client, other_citizen, make_report, national_admin):
    """Each read by a key runs a plan PostgreSQL kept for the connection (lapor/prepared.py keep_plan), for
    every report and visitor: the second report's page prepares nothing, and shows its own rows."""
    first = published(make_report, national_admin, title="Lampu jalan padam")
    second = published(make_report, national_admin, title="Trotoar rusak")
    Comment.objects.create(report=second, author=other_citizen, body="Sudah tiga malam gelap")
    client.force_login(other_citizen)
    _page(client, first)
    with CaptureQueriesContext(connection) as queries:
        page = _page(client, second)
    assert "Trotoar rusak" in page and "Sudah tiga malam gelap" in page and "Lampu jalan padam" not in page
    executed = [q["sql"] for q in queries.captured_queries if "EXECUTE lapor_plan_" in q["sql"]]
    # The report (with its merged count and the visitor's support), its steps, files, clocks, comments (and
    # the user).
    assert len(executed) >= 6, [q["sql"][:80] for q in queries.captured_queries]
    assert not [q for q in queries.captured_queries if "PREPARE" in q["sql"].split("EXECUTE")[0]]


MERGED_TWO = "2 laporan lain tentang masalah yang sama digabungkan ke laporan ini."


def test_the_merged_count_and_each_visitors_support_are_read_with_the_row(
    client, citizen, other_citizen, third_citizen, make_report, national_admin, agency_admin
):
    """The report page's row brings how many duplicates were merged into it and whether *this* visitor
    supports it (one statement, not three): read afresh on every request, per visitor; staff, whose row
    comes from their own query, get the same answers."""
    main = published(make_report, national_admin, by=other_citizen, title="Lampu jalan padam")
    second = published(make_report, national_admin, by=other_citizen, title="Trotoar rusak")
    client.force_login(third_citizen)
    assert 'id="merged-count"' not in _page(client, main)
    for _i in range(2):
        workflow.merge(published(make_report, national_admin), by=agency_admin, into=main)
    assert MERGED_TWO in _page(client, main)
    assert 'id="merged-count"' not in _page(client, second)
    assert "Anda mendukung" not in _page(client, main)
    Support.add(main, third_citizen)
    assert "Anda mendukung" in _page(client, main) and "Anda mendukung" not in _page(client, second)
    client.force_login(citizen)  # another visitor of the same report: not their support
    page = _page(client, main)
    assert "Anda mendukung" not in page and MERGED_TWO in page
    client.logout()
    page = _page(client, main)
    assert "Anda mendukung" not in page and MERGED_TWO in page
    client.force_login(agency_admin)  # staff reach: the row by reports_visible_to, the answers by themselves
    page = _page(client, main)
    assert MERGED_TWO in page and 'id="merged-count"' not in _page(client, second)
