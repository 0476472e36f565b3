"""Item 16 of #14: RateLimit-* headers on keyed answers; sandbox keys write nothing."""

import pytest

from api.models import ApiKey, ExternalReference, IdempotencyRecord, Webhook, WebhookDelivery
from api.tests.conftest import ApiClient, report_payload
from api.tests.test_report_content import _png
from complaints import workflow
from complaints.models import Attachment, Event, Notification, Report

URL = "/api/v1/reports"


def test_every_keyed_answer_carries_ratelimit_headers(badung_api, settings):
    settings.API_RATE_LIMIT = 3
    first = badung_api.post(URL, report_payload())
    assert first["RateLimit-Limit"] == "3" and first["RateLimit-Remaining"] == "2"
    assert 0 < int(first["RateLimit-Reset"]) <= settings.API_RATE_WINDOW
    assert first["RateLimit-Policy"] == f"3;w={settings.API_RATE_WINDOW}"
    missing = badung_api.get(f"{URL}/NOPE1234")  # an error answer carries them too
    assert missing.status_code == 404 and missing["RateLimit-Remaining"] == "1"
    badung_api.get(URL)
    over = badung_api.get(URL)
    assert over.status_code == 429 and over["RateLimit-Remaining"] == "0" and over["Retry-After"]


@pytest.fixture
def sandbox_api(client, tree):
    return ApiClient(client, ApiKey.issue(agency=tree["badung"], name="Uji", is_sandbox=True)[1])


def test_a_sandbox_push_is_checked_and_answered_but_nothing_is_written(
    sandbox_api, tree, django_capture_on_commit_callbacks
):
    Webhook.objects.create(agency=tree["badung"], url="https://hooks.example.test/")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = sandbox_api.post(URL, report_payload(attachments=[{"name": "a.png", "content_base64": _png()}]))
    assert response.status_code == 201 and response.json()["sandbox"] is True and response["LAPOR-Sandbox"] == "true"
    assert response.json()["tracking_no"]
    assert callbacks == []
    for model in (Report, ExternalReference, Event, Attachment, WebhookDelivery, Notification):
        assert not model.objects.exists(), model
    assert sandbox_api.get(f"{URL}/{response.json()['tracking_no']}").status_code == 404
    # Refusals answer as for a real key.
    assert sandbox_api.post(URL, report_payload(regency_code="99.99")).status_code == 422


def test_a_sandbox_action_on_a_real_report_changes_nothing(sandbox_api, badung_api, national_admin, tree):
    tracking_no = badung_api.post(URL, report_payload()).json()["tracking_no"]
    report = Report.objects.get(tracking_no=tracking_no)
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    events = Event.objects.count()
    response = sandbox_api.client.post(
        f"{URL}/{tracking_no}/follow-ups",
        {"note": "Uji"},
        content_type="application/json",
        headers={**sandbox_api._headers(), "Idempotency-Key": "s-1"},
    )
    assert response.status_code == 201 and response.json()["status"] == "in_progress" and response.json()["sandbox"]
    report.refresh_from_db()
    assert report.status == "dispatched" and Event.objects.count() == events
    assert not IdempotencyRecord.objects.exists()


def test_a_sandbox_open311_post_writes_nothing(client, tree):
    _key, raw = ApiKey.issue(agency=tree["badung"], name="Uji 311", is_sandbox=True)
    data = {
        "api_key": raw,
        "service_code": "kesehatan-puskesmas",
        "lat": "-8.65",
        "long": "115.2167",
        "description": "Antrean panjang",
        "attribute[classification]": "complaint",
    }
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 201 and response.json()[0]["service_request_id"]
    assert response["LAPOR-Sandbox"] == "true" and not Report.objects.exists()
