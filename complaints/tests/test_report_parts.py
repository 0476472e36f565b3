"""The report page's parts kept per worker for every visitor who sees the same (complaints/report_parts.py):
a kept part equals the part drawn in full, every kind of change is seen on the next request, and no
visitor is shown a part kept for a visitor who sees more (the reporter's identity, their own notes and
withheld files)."""

import re

import pytest
from django.test import Client, override_settings

from accounts.testing import force_login
from complaints import report_parts, workflow
from complaints.models import Action, Attachment, Comment, Event, Report, Status, Support
from complaints.routing import Reason
from complaints.tests.portal import published

TOKEN = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")

# Rendered pages only: the whole-page cache for anonymous visitors (lapor/page_cache.py) has its own tests.
pytestmark = pytest.mark.usefixtures("no_page_cache")


@pytest.fixture
def no_page_cache():
    report_parts.clear_local()
    with override_settings(LAPOR_PAGE_CACHE_SECONDS=0):
        yield
    report_parts.clear_local()


def _client(user=None) -> Client:
    client = Client()
    if user is not None:
        force_login(client, user)
    return client


def _page(client, report, language="") -> str:
    response = client.get(f"{language}/laporan/{report.tracking_no}/")
    assert response.status_code == 200
    return TOKEN.sub("", response.content.decode())


def _withheld_file(report):
    return Attachment.objects.create(
        report=report,
        file="reports/x",
        original_name="ktp-made-warga.jpg",
        content_type="image/jpeg",
        size=10,
        withheld=True,
    )


@pytest.mark.parametrize("language", ["", "/en"])
def test_a_kept_part_is_the_part_drawn_in_full_for_each_visitor(
    db, citizen, other_citizen, agency_admin, national_admin, make_report, tree, monkeypatch, language
):
    report = published(make_report, national_admin, is_anonymous=True)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"], note="Diteruskan ke Badung")
    Comment.add(report, other_citizen, "Sudah tiga malam gelap")
    _withheld_file(report)
    visitors = [None, other_citizen, citizen, agency_admin, national_admin]
    # Each visitor after all the others: the parts the others' visits kept are reused where they apply.
    kept = [_page(_client(v), report, language) for v in visitors]
    kept += [_page(_client(v), report, language) for v in reversed(visitors)]
    monkeypatch.setattr(report_parts._parts, "get_or_render", lambda key, render: str(render()))
    full = [_page(_client(v), report, language) for v in visitors]
    assert kept[:5] == full and kept[5:] == full[::-1]


def test_the_reporters_identity_never_reaches_a_visitor_who_may_not_see_it(
    db, citizen, other_citizen, agency_admin, national_admin, make_report, tree
):
    named = published(make_report, national_admin, title="Lampu jalan padam")
    workflow.dispatch(named, by=national_admin, to_agency=tree["badung"])
    # The handling agency sees a named reporter in full; the public sees the public name only.
    assert "warga@example.test" in _page(_client(agency_admin), named)
    for visitor in (None, other_citizen):
        page = _page(_client(visitor), named)
        assert "Made" in page and "Made Warga" not in page and "warga@example.test" not in page
    # An Anonim reporter: only the reporter sees themself (with their note), the agency and the public never.
    hidden = published(make_report, national_admin, title="Pungli di kantor desa", is_anonymous=True)
    workflow.dispatch(hidden, by=national_admin, to_agency=tree["badung"])
    own = _page(_client(citizen), hidden)
    assert "Made Warga" in own and 'id="anonymous-note"' in own
    for visitor in (agency_admin, other_citizen, None):
        page = _page(_client(visitor), hidden)
        assert "Made" not in page and "warga@example.test" not in page and 'id="anonymous-note"' not in page


def test_a_withheld_file_is_listed_to_its_reporter_only(db, citizen, other_citizen, national_admin, make_report):
    report = published(make_report, national_admin)
    _withheld_file(report)
    assert "ktp-made-warga.jpg" in _page(_client(citizen), report)  # kept first for the reporter
    for visitor in (other_citizen, None):
        assert "ktp-made-warga.jpg" not in _page(_client(visitor), report)
    assert "ktp-made-warga.jpg" in _page(_client(citizen), report)


def test_every_kind_of_change_is_seen_on_the_next_request(
    db, citizen, other_citizen, agency_admin, national_admin, make_report, tree
):
    report = published(make_report, national_admin, title="Lampu jalan padam")
    visitor = _client(other_citizen)
    page = _page(visitor, report)
    assert "Belum ada komentar." in page and "Instansi ini dipilih saat laporan dikirim." in page

    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"], note="Diteruskan ke Badung")  # a step
    page = _page(visitor, report)
    assert "Diteruskan ke Badung" in page  # the timeline
    # The head: why the agency holds it.
    assert "Instansi ini dipilih saat laporan dikirim." not in page, re.search(r'id="holding-agency">.*', page)[0]

    Comment.add(report, citizen, "Sudah tiga malam gelap")  # a comment
    assert "Sudah tiga malam gelap" in _page(visitor, report)
    comment = Comment.objects.get(report=report)
    assert comment.set_hidden(True, by=national_admin)  # hidden by a moderator
    assert "Sudah tiga malam gelap" not in _page(visitor, report)

    assert Support.add(Report.objects.get(pk=report.pk), _user_supporting(), follow=False)  # a support
    assert "1 dukungan" in _page(visitor, report)

    status_before = Report.objects.get(pk=report.pk).get_status_display()
    workflow.respond(Report.objects.get(pk=report.pk), by=agency_admin, note="Lampu sudah diganti")  # a status
    after = Report.objects.get(pk=report.pk)
    page = _page(visitor, after)
    assert after.get_status_display() != status_before and after.get_status_display() in page
    assert "Lampu sudah diganti" in page

    Report.objects.filter(pk=report.pk).update(title="Lampu jalan padam di Jl. Kenanga")  # an edit
    assert "Lampu jalan padam di Jl. Kenanga" in _page(visitor, report)


def _user_supporting():
    from accounts.models import User

    return User.objects.create(email="pendukung@example.test", full_name="Putu Dukung", is_active=True)


def test_a_change_to_the_row_or_a_step_alone_is_seen_in_the_head(db, other_citizen, national_admin, make_report):
    """The head's own values, each changed with nothing else the page shows: its status, and why the agency
    holds it (the routing reason recorded on the submit step)."""
    report = published(make_report, national_admin)
    visitor = _client(other_citizen)
    page = _page(visitor, report)
    assert 'class="badge status-verified"' in page
    Report.objects.filter(pk=report.pk).update(status=Status.IN_PROGRESS)
    page = _page(visitor, report)
    assert 'class="badge status-in_progress"' in page and 'class="badge status-verified"' not in page
    assert "Instansi ini dipilih saat laporan dikirim." in page
    Event.objects.filter(report=report, action=Action.SUBMIT).update(data={"routing": Reason.REGENCY})
    page = _page(visitor, report)
    assert "Laporan diarahkan ke pemerintah kabupaten/kota" in page
    assert "Instansi ini dipilih saat laporan dikirim." not in page


def test_languages_are_kept_apart(db, other_citizen, national_admin, make_report):
    report = published(make_report, national_admin)
    visitor = _client(other_citizen)
    page = _page(visitor, report)
    assert ">Riwayat</h2>" in page and "Belum ada komentar." in page and ">Pelapor</dt>" in page
    page = _page(visitor, report, "/en")
    assert ">History</h2>" in page and "No comments yet." in page and ">Reporter</dt>" in page
    assert ">Riwayat</h2>" in _page(visitor, report)


def test_a_clocks_kind_label_is_its_kind_display_in_each_language():
    from django.utils import translation

    from complaints.models import Clock, ClockKind

    for language in ("id", "en"):
        with translation.override(language):
            for kind in [*ClockKind.values, "unknown"]:
                clock = Clock(kind=kind)
                assert clock.kind_label == clock.get_kind_display()
    with translation.override("en"):
        assert Clock(kind=ClockKind.RESOLUTION).kind_label != Clock(kind=ClockKind.VERIFICATION).kind_label
