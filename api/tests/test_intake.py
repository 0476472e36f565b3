import base64
import io

import pytest
from PIL import Image

from api.models import ExternalReference
from api.tests.conftest import ApiClient, report_payload
from complaints import workflow
from complaints.models import Attachment, Report

URL = "/api/v1/reports"
IDENTITY = ["Ketut Pelapor", "ketut@example.test", "081299990000", "reporter_name", "reporter_contact"]


def _png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def test_pushed_report_gets_a_tracking_number_and_is_routed_by_default(badung_api, badung_key, tree):
    response = badung_api.post(URL, report_payload())
    assert response.status_code == 201, response.content
    body = response.json()
    report = Report.objects.get(tracking_no=body["tracking_no"])
    assert body["status"] == "submitted"
    assert body["url"].endswith(f"/laporan/{report.tracking_no}/")
    assert report.channel == "integrated"
    assert report.agency == tree["dinkes"]  # routing.csv: Puskesmas in Badung → Dinas Kesehatan
    assert report.reporter is None
    assert report.entered_by == badung_key[0].service_user
    ref = ExternalReference.objects.get(report=report)
    assert (ref.source_agency, ref.external_id) == (tree["badung"], "SIMPEL-001")


def test_the_same_external_id_twice_files_one_report(badung_api):
    first = badung_api.post(URL, report_payload())
    second = badung_api.post(URL, report_payload())
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["tracking_no"] == second.json()["tracking_no"]
    assert Report.objects.count() == 1


def test_the_same_external_id_with_another_body_is_409_with_the_stored_report(badung_api):
    first = badung_api.post(URL, report_payload()).json()
    response = badung_api.post(URL, report_payload(title="Judul diubah"))
    assert response.status_code == 409
    body = response.json()
    assert body["report"] == {"tracking_no": first["tracking_no"], "status": "submitted"}
    assert "external_id" in body["fields"] and first["tracking_no"] in body["detail"]
    assert Report.objects.get().title == "Lampu jalan mati"  # nothing applied
    # Key order does not make a body different.
    again = badung_api.post(URL, dict(reversed(list(report_payload().items()))))
    assert again.status_code == 200


def test_the_same_external_id_from_another_agency_is_another_report(badung_api, sleman_api):
    badung_api.post(URL, report_payload())
    response = sleman_api.post(URL, report_payload(regency_code="34.04"))
    assert response.status_code == 201
    assert Report.objects.count() == 2


def test_anonymous_report_is_accepted_without_identity(badung_api):
    response = badung_api.post(URL, report_payload(is_anonymous=True))
    assert response.status_code == 201
    report = Report.objects.get()
    assert report.is_anonymous and report.reporter is None and report.reporter_name == ""


def test_reporter_identity_is_stored_but_never_returned(badung_api):
    reporter = {"name": "Ketut Pelapor", "email": "ketut@example.test", "phone": "081299990000"}
    response = badung_api.post(URL, report_payload(reporter=reporter, is_anonymous=True))
    assert response.status_code == 201
    report = Report.objects.get()
    assert report.reporter_name == "Ketut Pelapor"
    assert report.reporter_contact == "ketut@example.test / 081299990000"
    detail = badung_api.get(f"{URL}/{report.tracking_no}")
    assert detail.status_code == 200
    for value in IDENTITY:
        assert value not in detail.content.decode()
        assert value not in response.content.decode()


def test_attachments_are_checked_by_content_and_stored(badung_api):
    ok = badung_api.post(URL, report_payload(attachments=[{"name": "foto.png", "content_base64": _png()}]))
    assert ok.status_code == 201
    assert Attachment.objects.get().content_type == "image/png"
    fake = base64.b64encode(b"MZ not a picture").decode()
    refused = badung_api.post(
        URL, report_payload(external_id="X2", attachments=[{"name": "foto.png", "content_base64": fake}])
    )
    assert refused.status_code == 422
    assert "foto.png" in refused.json()["error"]["message"]
    assert Report.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"colour": "red"}, 400, "colour"),
        ({"is_anonymous": "yes"}, 400, "is_anonymous"),
        ({"latitude": "1.5"}, 400, "latitude"),
        ({"reporter": {"nik": "5103"}}, 400, "reporter.nik"),
        ({"event_date": "05/01/2026"}, 400, "event_date"),
        ({"classification": "rant"}, 400, "classification"),
        ({"title": "   "}, 400, "title"),
        ({"regency_code": "99.99"}, 422, "regency_code"),
        ({"category_code": "kesehatan"}, 422, "category_code"),
        ({"suggested_agency_code": "pemkab-sleman"}, 422, "pemkab-sleman"),
        ({"event_date": "2999-01-01"}, 422, "masa depan"),
        ({"attachments": [{"name": "a.png", "content_base64": "!!!"}]}, 400, "content_base64"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_creates_nothing(badung_api, change, status, needle):
    response = badung_api.post(URL, report_payload(**change))
    assert response.status_code == status, response.content
    assert needle in response.json()["error"]["message"]
    assert Report.objects.count() == 0


def test_missing_fields_are_all_named(badung_api):
    response = badung_api.post(URL, {"external_id": "A"})
    assert response.status_code == 400
    assert {"title", "body", "event_date", "regency_code"} <= set(response.json()["error"]["fields"])


@pytest.mark.parametrize("raw", ["{", "[1, 2]", "null", "\xff"])
def test_malformed_json_is_refused(badung_api, raw):
    response = badung_api.post(URL, raw=raw)
    assert response.status_code == 400
    assert response.json()["error"]["message"]


def test_non_json_content_type_is_refused(badung_api):
    response = badung_api.post(URL, raw="a=b", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_oversized_body_gets_413(badung_api, settings):
    settings.API_MAX_BODY_BYTES = 1000
    response = badung_api.post(URL, report_payload(body="x" * 2000))
    assert response.status_code == 413
    assert "MB" in response.json()["error"]["message"]  # the message names the limit
    assert Report.objects.count() == 0


def test_missing_unknown_and_revoked_keys_are_refused(client, badung_key):
    assert ApiClient(client, "").post(URL, report_payload()).status_code == 401
    assert ApiClient(client, "lapor_nothere_secret").post(URL, report_payload()).status_code == 403
    key, raw = badung_key
    assert ApiClient(client, raw[:-2] + "xx").post(URL, report_payload()).status_code == 403
    key.revoke()
    response = ApiClient(client, raw).post(URL, report_payload())
    assert response.status_code == 403
    assert "dicabut" in response.json()["error"]["message"]
    assert Report.objects.count() == 0


def test_guessing_keys_locks_the_guessing_address_out(client, badung_key, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "bad-key"}}
    settings.API_BAD_KEY_LIMIT = 3
    settings.LAPOR_TRUSTED_PROXIES = ["127.0.0.1"]
    guesser = {"HTTP_X_FORWARDED_FOR": "198.51.100.66"}
    for n in range(3):
        assert client.get(f"{URL}/NOPE", HTTP_AUTHORIZATION=f"Bearer lapor_guess{n}_x", **guesser).status_code == 403
    _key, raw = badung_key
    response = client.get(f"{URL}/NOPE", HTTP_AUTHORIZATION=f"Bearer {raw}", **guesser)
    assert response.status_code == 429  # even the right key, from that address, for the window
    assert int(response["Retry-After"]) == settings.API_BAD_KEY_WINDOW
    # Another address behind the same proxy is not punished for it.
    other = client.get(f"{URL}/NOPE", HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_X_FORWARDED_FOR="198.51.100.67")
    assert other.status_code == 404


def test_rate_limit_answers_429_with_retry_after(badung_api, settings):
    settings.API_RATE_LIMIT = 2
    assert badung_api.get(f"{URL}/NOPE").status_code == 404
    assert badung_api.get(f"{URL}/NOPE").status_code == 404
    response = badung_api.get(f"{URL}/NOPE")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "Batas" in response.json()["error"]["message"]


def test_a_key_reads_status_and_timeline_of_its_reports(badung_api, national_admin):
    tracking_no = badung_api.post(URL, report_payload()).json()["tracking_no"]
    report = Report.objects.get()
    workflow.verify(report, by=national_admin, note="Laporan valid.")
    workflow.add_note(report, by=national_admin, note="rahasia internal")
    body = badung_api.get(f"{URL}/{tracking_no.lower()}").json()
    assert body["status"] == "verified"
    assert body["external_id"] == "SIMPEL-001"
    # The handling agency sees the internal entry as its staff do in the admin, marked internal.
    assert [(e["action"], e["is_public"]) for e in body["timeline"]] == [
        ("submit", True),
        ("verify", True),
        ("note", False),
    ]
    assert body["timeline"][-1]["note"] == "" and body["timeline"][-1]["internal_note"] == "rahasia internal"


def test_another_agencys_key_gets_404_on_read_and_act(badung_api, sleman_api, make_report, agency_admin, tree):
    tracking_no = badung_api.post(URL, report_payload()).json()["tracking_no"]
    citizen_report = make_report()
    for tn in (tracking_no, citizen_report.tracking_no):
        assert sleman_api.get(f"{URL}/{tn}").status_code == 404
        for action in ("follow-ups", "responses"):
            response = sleman_api.post(f"{URL}/{tn}/{action}", {"note": "Sudah kami tangani."})
            assert response.status_code == 404
    assert badung_api.get(f"{URL}/{citizen_report.tracking_no}").status_code == 200


def test_confidential_reports_are_never_returned(badung_api):
    tracking_no = badung_api.post(URL, report_payload(is_confidential=True)).json()["tracking_no"]
    assert badung_api.get(f"{URL}/{tracking_no}").status_code == 404


def test_follow_up_and_response_go_through_the_workflow(badung_api, make_report, national_admin, tree):
    report = make_report()
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    path = f"{URL}/{report.tracking_no}"
    too_early = badung_api.post(f"{path}/responses", {"note": ""})
    assert too_early.status_code == 400
    follow = badung_api.post(f"{path}/follow-ups", {"note": "Petugas sudah meninjau lokasi."})
    assert follow.status_code == 201, follow.content
    assert follow.json()["status"] == "in_progress"
    answer = badung_api.post(f"{path}/responses", {"note": "Lampu sudah diganti."})
    assert answer.status_code == 201
    report.refresh_from_db()
    assert report.status == "responded"
    assert report.events.last().actor.api_key.agency == tree["badung"]


def test_a_refused_action_answers_409_with_the_workflow_message(badung_api, make_report):
    report = make_report()  # still submitted: no follow-up yet
    response = badung_api.post(f"{URL}/{report.tracking_no}/follow-ups", {"note": "Sedang dikerjakan."})
    assert response.status_code == 409
    assert "Tindak lanjut" in response.json()["error"]["message"]


def test_openapi_schema_is_served(client):
    body = client.get("/api/v1/openapi.json").json()
    assert body["openapi"].startswith("3.")
    assert "/reports" in body["paths"]


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["message"]


def test_wrong_method_gets_405_with_a_message(badung_api):
    response = badung_api.client.put(URL, headers=badung_api._headers())
    assert response.status_code == 405
    assert "POST" in response.json()["error"]["message"]


def test_nul_characters_are_bad_input_not_a_server_error(badung_api, client):
    response = badung_api.post(URL, report_payload(title="a\x00b"))
    assert response.status_code == 400 and "NUL" in response.json()["error"]["message"]
    assert badung_api.get(f"{URL}/AB%00CD").status_code == 404
    assert client.get("/open311/v2/requests.json", {"service_code": "a\x00"}).status_code == 400


def test_openapi_request_schema_matches_the_validator():
    from api.intake import REPORT_FIELDS
    from api.openapi import SCHEMA

    new_report = SCHEMA["components"]["schemas"]["NewReport"]
    assert set(new_report["properties"]) == set(REPORT_FIELDS)
    assert set(new_report["required"]) == {name for name, (_kind, required) in REPORT_FIELDS.items() if required}


def test_last_used_is_recorded_without_a_write_per_request(badung_api, badung_key, django_assert_num_queries):
    key = badung_key[0]
    badung_api.get(f"{URL}/NOPE")
    key.refresh_from_db()
    assert key.last_used_at is not None
    # Second request: key lookup and report lookup only, no UPDATE of last_used_at.
    with django_assert_num_queries(2):
        assert badung_api.get(f"{URL}/NOPE").status_code == 404
