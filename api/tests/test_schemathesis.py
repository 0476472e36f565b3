"""The running API against its own OpenAPI document (schemathesis, property-based): no 500, and
every answer — status, content type, headers and body — is one the document describes.

Bounded for CI: a few examples per operation (SCHEMATHESIS_EXAMPLES, default 8), derandomized so a
run is repeatable."""

import os

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.models import ApiKey
from api.openapi import SCHEMA
from complaints import workflow

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_dict(SCHEMA)
schema.app = WSGIHandler()


@pytest.fixture
def keep_connection():
    """WSGIHandler closes the database connection after each request (request_finished); the test
    client switches that off for the test's transaction, and so does this test."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def raw_key(keep_connection, tree, settings, make_report, national_admin):
    settings.API_RATE_LIMIT = 100_000
    settings.API_BAD_KEY_LIMIT = 100_000
    # A report the key handles, so that some generated tracking numbers could hit one.
    report = make_report()
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    return ApiKey.issue(agency=tree["badung"], name="schemathesis")[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_the_api_answers_as_its_openapi_document_says(case, raw_key):
    case.call_and_validate(
        base_url="http://testserver/api/v1",
        # identity: the WSGI transport hands back the raw body, and gzip is transport, not the document
        headers={"Authorization": f"Bearer {raw_key}", "Host": "testserver", "Accept-Encoding": "identity"},
        checks=CHECKS,
    )
