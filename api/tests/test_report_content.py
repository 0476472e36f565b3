"""Item 2 of #14: the handling agency reads a report's content as its staff see it in the admin."""

import base64
import io

from PIL import Image

from api.tests.conftest import report_payload
from complaints import workflow
from complaints.models import Report

URL = "/api/v1/reports"
REPORTER = {"name": "Ketut Pelapor", "email": "ketut@example.test", "phone": "081299990000"}


def _png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _push(api, **extra):
    response = api.post(URL, report_payload(**extra))
    assert response.status_code == 201, response.content
    return Report.objects.get(tracking_no=response.json()["tracking_no"])


def test_the_handling_agency_gets_text_place_reporter_and_attachment_links(badung_api, client):
    report = _push(
        badung_api,
        reporter=REPORTER,
        latitude=-8.651234,
        longitude=115.216789,
        attachments=[{"name": "foto.png", "content_base64": _png()}],
    )
    body = badung_api.get(f"{URL}/{report.tracking_no}").json()
    content = body["content"]
    assert content["title"] == "Lampu jalan mati" and content["body"].startswith("Lampu jalan")
    assert content["reporter"]["name"] == "Ketut Pelapor" and content["reporter"]["identity_shown"] is True
    assert (content["latitude"], content["longitude"]) == (-8.651234, 115.216789)
    [attachment] = content["attachments"]
    assert attachment["content_type"] == "image/png"
    download = badung_api.get(attachment["url"].replace("http://testserver", ""))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png" and download["Cache-Control"] == "private, no-store"
    assert b"".join(download.streaming_content).startswith(b"\x89PNG")
    # Without the key, or with another agency's, the link is refused.
    path = attachment["url"].replace("http://testserver", "")
    assert client.get(path).status_code == 401


def test_an_anonymous_reporter_stays_anonim_for_the_agency(badung_api):
    report = _push(badung_api, reporter=REPORTER, is_anonymous=True)
    response = badung_api.get(f"{URL}/{report.tracking_no}")
    reporter = response.json()["content"]["reporter"]
    assert reporter == {"name": "Anonim", "email": "", "phone": "", "nik": "", "identity_shown": False}
    for value in REPORTER.values():
        assert value not in response.content.decode()


def test_internal_notes_and_draft_files_are_in_the_handlers_timeline(badung_api, national_admin, tree, agency_admin):
    report = _push(badung_api)
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    workflow.add_note(report, by=agency_admin, note="Cek gudang dulu.")
    timeline = badung_api.get(f"{URL}/{report.tracking_no}").json()["timeline"]
    note = timeline[-1]
    assert note["action"] == "note" and note["internal_note"] == "Cek gudang dulu." and note["is_public"] is False


def test_another_agency_gets_neither_the_report_nor_its_files(badung_api, sleman_api):
    report = _push(badung_api, attachments=[{"name": "foto.png", "content_base64": _png()}])
    attachment = report.attachments.get()
    assert sleman_api.get(f"{URL}/{report.tracking_no}").status_code == 404
    assert sleman_api.get(f"{URL}/{report.tracking_no}/attachments/{attachment.pk}").status_code == 404
    assert badung_api.get(f"{URL}/{report.tracking_no}/attachments/999999").status_code == 404


def test_a_report_handed_to_a_unit_keeps_identity_for_the_parent_key_as_in_the_admin(
    badung_api, national_admin, tree, agency_admin, dinkes_key_api
):
    report = _push(badung_api, reporter=REPORTER)
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    workflow.forward(report, by=agency_admin, to_agency=tree["dinkes"])
    # The unit's own key sees it too (its subtree holds it), with the identity the unit's staff see.
    content = dinkes_key_api.get(f"{URL}/{report.tracking_no}").json()["content"]
    assert content["reporter"]["name"] == "Ketut Pelapor"
    assert badung_api.get(f"{URL}/{report.tracking_no}").json()["content"]["reporter"]["identity_shown"] is True


def test_the_detail_has_a_fixed_number_of_queries(badung_api, django_assert_max_num_queries, national_admin):
    report = _push(badung_api, attachments=[{"name": "foto.png", "content_base64": _png()}])
    for _ in range(5):
        workflow.add_note(report, by=national_admin, note="catatan")
    with django_assert_max_num_queries(12):
        assert badung_api.get(f"{URL}/{report.tracking_no}").status_code == 200
