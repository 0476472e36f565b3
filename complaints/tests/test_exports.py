"""The staff CSV export: the changelist's scope and filters, streamed, with the same redaction."""

import csv
import io

import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse

from complaints import workflow

pytestmark = pytest.mark.django_db
EXPORT = "admin:complaints_report_export"


def rows(response):
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_follows_the_changelist_filters(client, make_report, agency_admin):
    make_report(title="Menunggu verifikasi")
    held = make_report(title="Menunggu pelapor")
    workflow.hold(held, by=agency_admin, note="Lengkapi foto.")
    client.force_login(agency_admin)
    data = rows(client.get(reverse(EXPORT), {"antrean": "on_hold"}))
    assert [r[1] for r in data[1:]] == ["Menunggu pelapor"]
    assert len(rows(client.get(reverse(EXPORT)))) == 3


def test_export_is_scoped_to_the_staff_subtree(client, make_report, sibling_admin, tree):
    make_report(title="Di Badung")
    make_report(title="Di Sleman", suggested_agency=tree["sleman"])
    client.force_login(sibling_admin)
    assert [r[1] for r in rows(client.get(reverse(EXPORT)))[1:]] == ["Di Sleman"]


def test_export_redacts_anonymous_reporters_for_agency_roles(client, make_report, agency_admin, national_admin):
    make_report(title="Anonim", is_anonymous=True)
    make_report(title="Bernama")
    client.force_login(agency_admin)
    by_title = {r[1]: r for r in rows(client.get(reverse(EXPORT)))[1:]}
    assert by_title["Anonim"][-3:] == ["Anonim", "", ""]
    assert by_title["Bernama"][-3:-1] == ["Made Warga", "warga@example.test"]
    client.force_login(national_admin)
    by_title = {r[1]: r for r in rows(client.get(reverse(EXPORT)))[1:]}
    assert by_title["Anonim"][-3:-1] == ["Made Warga", "warga@example.test"]


def test_export_neutralises_spreadsheet_formulas(client, make_report, agency_admin):
    make_report(title='=HYPERLINK("http://x")')
    client.force_login(agency_admin)
    assert rows(client.get(reverse(EXPORT)))[1][1] == '\'=HYPERLINK("http://x")'


def test_export_link_keeps_the_current_filters(client, make_report, agency_admin):
    make_report()
    client.force_login(agency_admin)
    content = client.get(reverse("admin:complaints_report_changelist"), {"antrean": "submitted"}).content.decode()
    assert reverse(EXPORT) + "?antrean=submitted" in content
