import re

from django.urls import reverse

from complaints.models import Category
from complaints.tests.portal import published

URL = reverse("complaints:track")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="\w+"')


def test_tracking_a_public_report_opens_it(client, make_report, national_admin):
    report = published(make_report, national_admin)
    response = client.get(URL, {"no": f" {report.tracking_no.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("complaints:detail", args=[report.tracking_no])


def test_reporter_tracks_own_unverified_report(client, citizen, make_report):
    report = make_report()
    client.force_login(citizen)
    assert client.get(URL, {"no": report.tracking_no}).status_code == 302


def _fresh(make_report, **overrides):
    """A report just filed by the citizen, with LAPOR's default routing (no agency chosen)."""
    return make_report(
        suggested_agency=None,
        category=Category.objects.get(code="kesehatan-puskesmas"),
        body="Nomor HP saya 0812-9999 dan rumah saya di gang 3.",
        **overrides,
    )


def test_anyone_with_the_number_sees_the_status_of_a_fresh_report(client, make_report):
    report = _fresh(make_report, title="Antrean puskesmas kacau", is_anonymous=True)
    response = client.get(URL, {"no": report.tracking_no.lower()})
    assert response.status_code == 302 and response["Location"] == reverse(
        "complaints:detail", args=[report.tracking_no]
    )
    html = client.get(response["Location"]).content.decode()
    assert report.tracking_no in html and "Belum Terverifikasi" in html
    # Where it is and why, and its public steps.
    assert "Dinas Kesehatan Kabupaten Badung" in html and "aturan disposisi" in html
    assert 'id="status-steps"' in html and html.count("<li>") >= 1
    # Never its text, nor (Anonim) its reporter.
    assert "Antrean puskesmas kacau" not in html and "0812-9999" not in html
    assert "Made Warga" not in html and "warga@example.test" not in html
    assert "Masuk untuk melihat seluruh laporan" in html


def test_a_stranger_logged_in_sees_the_status_too_but_not_the_text(client, other_citizen, make_report):
    report = _fresh(make_report)
    client.force_login(other_citizen)
    html = client.get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()
    assert "Belum Terverifikasi" in html and "0812-9999" not in html and report.title not in html
    assert "Masuk untuk melihat" not in html  # already logged in: not their report


def test_the_reporter_reads_the_whole_fresh_report(client, citizen, make_report):
    report = _fresh(make_report)
    client.force_login(citizen)
    html = client.get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()
    assert report.title in html and "0812-9999" in html


def test_a_rahasia_number_tells_a_stranger_nothing_and_asks_its_reporter_to_log_in(client, make_report, other_citizen):
    report = _fresh(make_report, is_confidential=True)

    def answers(number):
        by_form = client.get(URL, {"no": number})
        page = client.get(reverse("complaints:detail", args=[number]))
        return (
            by_form.status_code,
            page.status_code,
            [CSRF.sub("", r.content.decode()).replace(number, "NUMBER") for r in (by_form, page)],
        )

    rahasia, missing = answers(report.tracking_no), answers("ZZZZ2222")
    assert rahasia == missing  # the same answer as a number that does not exist
    status_form, status_page, (html, _page) = rahasia
    assert (status_form, status_page) == (200, 404)
    assert "tidak ditemukan" in html and "masuk untuk melihatnya" in html
    assert report.title not in html and "Belum Terverifikasi" not in html
    client.force_login(other_citizen)
    assert client.get(reverse("complaints:detail", args=[report.tracking_no])).status_code == 404


def test_unknown_number_keeps_what_was_typed(client, db):
    response = client.get(URL, {"no": "ZZZZ2222"})
    html = response.content.decode()
    assert "tidak ditemukan" in html and 'value="ZZZZ2222"' in html
