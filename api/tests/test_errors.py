"""Item 8 of #14: every answer under /api/ and /open311/ is the surface's own error format."""

import pytest
from django.test import Client

from api.tests.conftest import report_payload


@pytest.fixture
def csrf_client():
    return Client(enforce_csrf_checks=True)


def _is_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["detail"] and body["title"]
    assert body["error"]["status"] == status and body["error"]["message"] == body["detail"]
    return body


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("post", "/api/v1/reports/ABCD1234", 405),  # was Django's CSRF page
        ("delete", "/api/v1/reports", 405),
        ("get", "/api/v1/no-such-thing", 404),
        ("post", "/api/v1/no-such-thing", 404),
        ("get", "/api/", 404),
        ("get", "/api/v2/reports", 404),
        ("post", "/api/v1/openapi.json", 405),
        ("put", "/api/v1/open-data/", 405),
        ("get", "/api/v1/open-data/lapor-2020-01-01.csv", 404),
    ],
)
def test_v1_errors_are_problem_details(csrf_client, badung_key, method, path, status):
    headers = {"Authorization": f"Bearer {badung_key[1]}"}
    response = getattr(csrf_client, method)(path, headers=headers)
    _is_problem(response, status)
    if status == 405:
        assert response["Allow"]


def test_posting_a_report_needs_no_csrf_token(csrf_client, badung_key):
    response = csrf_client.post(
        "/api/v1/reports",
        report_payload(),
        content_type="application/json",
        headers={"Authorization": f"Bearer {badung_key[1]}"},
    )
    assert response.status_code == 201


def test_a_body_that_is_not_json_is_415(badung_api):
    _is_problem(badung_api.post("/api/v1/reports", raw="a=b", content_type="application/x-www-form-urlencoded"), 415)


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("post", "/open311/v2/discovery.json", 405),
        ("put", "/open311/v2/requests.json", 405),
        ("delete", "/open311/v2/services.json", 405),
        ("post", "/open311/v2/services/kesehatan-puskesmas.json", 405),
        ("patch", "/open311/v2/requests/ABC.json", 405),
        ("get", "/open311/v2/nothing.json", 404),
        ("get", "/open311/", 404),
    ],
)
def test_open311_errors_are_the_specs_error_list(csrf_client, method, path, status):
    response = getattr(csrf_client, method)(path)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == [{"code": status, "description": response.json()[0]["description"]}]
    assert response.json()[0]["description"]


def test_open311_xml_errors_are_xml(csrf_client):
    response = csrf_client.post("/open311/v2/discovery.xml")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("text/xml")
    assert b"<errors><error><code>405</code>" in response.content


def test_an_unexpected_failure_answers_json_not_a_500_page(client, badung_key, monkeypatch):
    from api import views

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "report_for_key", boom)
    client.raise_request_exception = False
    response = client.get("/api/v1/reports/ABCD1234", headers={"Authorization": f"Bearer {badung_key[1]}"})
    body = _is_problem(response, 500)
    assert "boom" not in str(body)
