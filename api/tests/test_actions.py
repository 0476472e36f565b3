"""Item 3 of #14: an agency's app works a report through complaints.workflow, idempotently."""

import pytest

from api.models import IdempotencyRecord
from api.tests.conftest import report_payload
from complaints import workflow
from complaints.models import Event, Report

URL = "/api/v1/reports"


@pytest.fixture
def dispatched(badung_api, national_admin, tree):
    tracking_no = badung_api.post(URL, report_payload()).json()["tracking_no"]
    report = Report.objects.get(tracking_no=tracking_no)
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    return report


def _post(api, report, action, data, **headers):
    return api.client.post(
        f"{URL}/{report.tracking_no}/{action}",
        data,
        content_type="application/json",
        headers={**api._headers(), **headers},
    )


def test_forward_to_a_unit_of_the_keys_subtree(badung_api, dispatched, tree):
    response = _post(badung_api, dispatched, "forwards", {"to_agency_code": "dinkes-badung", "note": "Ke Dinkes."})
    assert response.status_code == 201, response.content
    dispatched.refresh_from_db()
    assert dispatched.agency == tree["dinkes"]
    assert response.json()["event"]["action"] == "forward"
    refused = _post(badung_api, dispatched, "forwards", {"to_agency_code": "pemkab-sleman"})
    assert refused.status_code == 422 and "to_agency_code" in refused.json()["fields"]


def test_return_as_not_our_authority(badung_api, dispatched):
    response = _post(badung_api, dispatched, "returns", {"reason": "Bukan wewenang kabupaten."})
    assert response.status_code == 201, response.content
    dispatched.refresh_from_db()
    assert dispatched.status == "returned"
    assert _post(badung_api, dispatched, "returns", {"reason": " "}).status_code == 400


def test_hold_and_ask_for_details(badung_api, dispatched):
    response = _post(badung_api, dispatched, "holds", {"note": "Mohon foto lokasi."})
    assert response.status_code == 201
    assert response.json()["status"] == "on_hold"


def test_draft_then_approve_an_answer(badung_api, dispatched):
    draft = _post(badung_api, dispatched, "draft-responses", {"note": "Lampu akan diganti pekan ini."})
    assert draft.status_code == 201 and draft.json()["status"] == "dispatched"
    approved = _post(badung_api, dispatched, "approvals", {})
    assert approved.status_code == 201 and approved.json()["status"] == "responded"
    assert dispatched.events.get(action="approve_response").public_note == "Lampu akan diganti pekan ini."
    again = _post(badung_api, dispatched, "approvals", {})
    assert again.status_code == 409  # the workflow: nothing left to approve


def test_an_action_the_workflow_refuses_is_409(badung_api, national_admin):
    tracking_no = badung_api.post(URL, report_payload()).json()["tracking_no"]
    report = Report.objects.get(tracking_no=tracking_no)
    response = _post(badung_api, report, "returns", {"reason": "Bukan wewenang."})
    assert response.status_code == 409 and response.json()["detail"]


def test_a_retry_with_the_same_idempotency_key_acts_once_and_replays_the_answer(badung_api, dispatched):
    first = _post(badung_api, dispatched, "follow-ups", {"note": "Petugas meninjau."}, **{"Idempotency-Key": "k-1"})
    second = _post(badung_api, dispatched, "follow-ups", {"note": "Petugas meninjau."}, **{"Idempotency-Key": "k-1"})
    assert (first.status_code, second.status_code) == (201, 201)
    assert second.json() == first.json() and second["Idempotent-Replayed"] == "true"
    assert Event.objects.filter(report=dispatched, action="follow_up").count() == 1
    # Another request under the same key is refused; a new key acts again.
    other = _post(badung_api, dispatched, "follow-ups", {"note": "Lain."}, **{"Idempotency-Key": "k-1"})
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["fields"]
    assert (
        _post(badung_api, dispatched, "follow-ups", {"note": "Lagi."}, **{"Idempotency-Key": "k-2"}).status_code == 201
    )
    assert Event.objects.filter(report=dispatched, action="follow_up").count() == 2


def test_a_refused_action_stores_no_answer_so_the_key_can_be_retried(badung_api, dispatched, tree):
    bad = _post(badung_api, dispatched, "forwards", {"to_agency_code": "nope"}, **{"Idempotency-Key": "k-9"})
    assert bad.status_code == 422
    assert not IdempotencyRecord.objects.exists()


def test_keys_are_per_api_key(badung_api, dinkes_key_api, dispatched, tree, agency_admin):
    workflow.forward(dispatched, by=agency_admin, to_agency=tree["dinkes"])
    a = _post(badung_api, dispatched, "follow-ups", {"note": "A"}, **{"Idempotency-Key": "same"})
    b = _post(dinkes_key_api, dispatched, "follow-ups", {"note": "A"}, **{"Idempotency-Key": "same"})
    assert (a.status_code, b.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in b


def test_unknown_action_is_404_and_another_agency_cannot_act(badung_api, sleman_api, dispatched):
    assert _post(badung_api, dispatched, "destroy", {}).status_code == 404
    assert _post(sleman_api, dispatched, "holds", {"note": "x"}).status_code == 404


def test_an_overlong_idempotency_key_is_400(badung_api, dispatched):
    response = _post(badung_api, dispatched, "holds", {"note": "x"}, **{"Idempotency-Key": "k" * 256})
    assert response.status_code == 400
