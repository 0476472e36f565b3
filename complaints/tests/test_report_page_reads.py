"""The report page's reads, compiled once per process (complaints/views.py, lapor/prepared.py): only
their SQL is kept, so every request reads afresh — a change is seen at once, each visitor gets their
own support state, and the access rule still decides on the row read by its number."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from complaints import workflow
from complaints.models import Clock, ClockKind, Comment, Report, Support
from complaints.tests.portal import png_upload, published


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
    # The report (with its merged count, the visitor's support, whether it has files or comments, its open
    # clocks and public steps), its comments (it has no file) and the user.
    assert len(executed) >= 3, [q["sql"][:80] for q in queries.captured_queries]
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


def test_files_comments_and_open_clocks_are_read_whenever_the_row_says_there_are(
    client, other_citizen, make_report, national_admin, agency_admin, tree
):
    """The page's row says whether the report has any file, visible comment and open clock, and the page
    reads them only then: each appears as soon as there is one, and goes when there is none."""
    from complaints.uploads import check_upload

    report = published(make_report, national_admin, title="Lampu jalan padam")
    client.force_login(other_citizen)
    page = _page(client, report)
    assert "bukti-jawaban.png" not in page and "Belum ada komentar." in page
    clocks = [c for c in Clock.objects.filter(report=report) if c.is_open]
    assert clocks
    shown = f'<dt class="col-sm-3">{clocks[0].get_kind_display()}</dt>'
    assert shown in page
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    workflow.respond(report, by=agency_admin, note="Sudah", attachments=[check_upload(png_upload("bukti-jawaban.png"))])
    Comment.objects.create(report=report, author=other_citizen, body="Sudah tiga malam gelap")
    page = _page(client, report)
    assert "bukti-jawaban.png" in page and "Sudah tiga malam gelap" in page
    Comment.objects.filter(report=report).update(is_hidden=True)
    Clock.objects.filter(report=report).update(stopped_at=timezone.now())
    page = _page(client, report)
    assert "Sudah tiga malam gelap" not in page and "Belum ada komentar." in page and "bukti-jawaban.png" in page
    assert not any(f'<dt class="col-sm-3">{label}</dt>' in page for _kind, label in ClockKind.choices)


def test_a_report_without_files_or_comments_costs_the_signed_in_page_two_reads(
    client, other_citizen, make_report, national_admin, django_assert_max_num_queries
):
    """The user and the report's row (with its merged count, the visitor's support, whether it has files or
    comments, its open clocks and its public steps); the session too where it is not cached."""
    report = published(make_report, national_admin, title="Lampu jalan padam")
    assert [c for c in Clock.objects.filter(report=report) if c.is_open]  # a report with a running clock
    client.force_login(other_citizen)
    _page(client, report)
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 3):
        assert "Lampu jalan padam" in _page(client, report)


def test_the_community_sections_kept_words_follow_the_visitors_language(
    client, other_citizen, make_report, national_admin
):
    report = published(make_report, national_admin, title="Lampu jalan padam")
    client.force_login(other_citizen)
    page = _page(client, report)
    assert "Dukungan dan komentar" in page and ">Kirim komentar</button>" in page and "</i> Dukung</button>" in page
    english = client.get(f"/en/laporan/{report.tracking_no}/").content.decode()
    assert "Support and comments" in english and ">Send comment</button>" in english
    assert "</i> Support</button>" in english and "Kirim komentar" not in english
    assert f'action="/en/laporan/{report.tracking_no}/dukung/"' in english


def test_the_open_clocks_read_with_the_row_are_the_clocks_the_orm_reads(
    other_citizen, make_report, national_admin, tree
):
    """Every column of every open clock, of the right type, in the clocks' order; no stopped clock, no other
    report's; none when there is none. A row read another way says nothing (its page reads them itself)."""
    from complaints import views

    report = published(make_report, national_admin, title="Lampu jalan padam")
    other = published(make_report, national_admin, title="Trotoar rusak")
    now = timezone.now()
    common = {"report": report, "limit_days": 5, "started_at": now, "due_at": now + dt.timedelta(days=5)}
    Clock.objects.create(kind=ClockKind.DETAILS, state="paused", paused_at=now, remaining_days=3, **common)
    Clock.objects.create(kind=ClockKind.RESOLUTION, calendar_days=True, agency=tree["badung"], **common)
    Clock.objects.create(kind=ClockKind.FIRST_FOLLOW_UP, stopped_at=now, state="met", **common)
    Clock.objects.create(kind=ClockKind.FIRST_FOLLOW_UP, **(common | {"report": other}))

    def columns(clocks):
        return [
            [(type(value), value) for value in (getattr(clock, f.attname) for f in Clock._meta.concrete_fields)]
            for clock in clocks
        ]

    expected = [c for c in Clock.objects.filter(report=report) if c.is_open]
    assert len(expected) == 3
    row = views._report_for_page(report.tracking_no, other_citizen)
    assert columns(views._open_clocks(row)) == columns(expected)
    Clock.objects.filter(report=report).update(stopped_at=now)
    assert views._open_clocks(views._report_for_page(report.tracking_no, other_citizen)) == []
    assert views._open_clocks(Report.objects.get(pk=report.pk)) is None


def _columns(instances, fields):
    return [[(type(value), value) for value in (getattr(i, f.attname) for f in fields)] for i in instances]


def test_the_public_steps_read_with_the_row_are_the_steps_the_orm_reads(
    other_citizen, make_report, national_admin, agency_admin, tree
):
    """Every column of every public step and of its agencies, of the right type, in the steps' order (the
    submission's routing data too); no internal step, no other report's; a row read another way says nothing."""
    from agencies.models import Agency
    from complaints import views
    from complaints.models import Event

    report = published(make_report, national_admin, title="Lampu jalan padam")
    other = published(make_report, national_admin, title="Trotoar rusak")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"], note="Diteruskan ke Badung")
    workflow.dispatch(other, by=national_admin, to_agency=tree["badung"])
    last = Event.objects.filter(report=report, is_public=True).order_by("-pk")[0]
    Event.objects.filter(pk=last.pk).update(data={"routing": "rule", "nested": {"a": [1, "b"]}})
    Event.objects.create(report=report, action="verify", is_public=False, internal_note="Catatan internal")

    expected = list(Event.objects.filter(report=report, is_public=True).select_related("agency", "target_agency"))
    assert len(expected) >= 3 and any(e.agency_id for e in expected)
    steps = views._public_steps_of(views._report_for_page(report.tracking_no, other_citizen))
    assert _columns(steps, Event._meta.concrete_fields) == _columns(expected, Event._meta.concrete_fields)
    fields = Agency._meta.concrete_fields
    for relation in ("agency", "target_agency"):
        made = [getattr(step, relation) for step in steps]
        read = [getattr(step, relation) for step in expected]
        assert [a is None for a in made] == [a is None for a in read]
        assert _columns([a for a in made if a], fields) == _columns([a for a in read if a], fields)
    assert all(step.report is not None and step.report.pk == report.pk for step in steps)
    assert views._public_steps_of(Report.objects.get(pk=report.pk)) is None
