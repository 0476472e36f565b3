"""Property: whatever body an application sends, the intake answers with a message, never 500, and
a refused request creates nothing."""

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from api.intake import REPORT_FIELDS
from api.tests.conftest import VALID
from complaints.models import Report

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
field_names = st.sampled_from(sorted(REPORT_FIELDS)) | st.text(min_size=1, max_size=12)
# Start from a valid body, then overwrite, add or remove fields with arbitrary JSON values.
bodies = st.builds(
    lambda base, changes, removed: {**{k: v for k, v in base.items() if k not in removed}, **changes},
    st.just(VALID),
    st.dictionaries(field_names, json_values, max_size=4),
    st.sets(st.sampled_from(sorted(VALID)), max_size=2),
)
raw_bodies = st.one_of(bodies.map(json.dumps), st.text(max_size=60), st.binary(max_size=60))


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=raw_bodies)
def test_any_body_gets_an_answer_with_a_message_and_refusals_create_nothing(badung_api, body, settings):
    settings.API_RATE_LIMIT = 10_000
    before = Report.objects.count()
    response = badung_api.post("/api/v1/reports", raw=body)
    assert response.status_code in (200, 201, 400, 409, 413, 415, 422), response.content
    if response.status_code >= 400:
        assert response.json()["error"]["message"]
        assert Report.objects.count() == before
    else:
        assert response.json()["tracking_no"]


open311_fields = st.sampled_from(
    ["service_code", "lat", "long", "description", "attribute[classification]", "attribute[event_date]", "email"]
) | st.text(min_size=1, max_size=12)
open311_forms = st.dictionaries(open311_fields, st.text(max_size=40), max_size=6)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=open311_forms)
def test_any_open311_post_gets_a_spec_error_or_a_request_id(client, badung_key, form, settings):
    settings.API_RATE_LIMIT = 10_000
    before = Report.objects.count()
    response = client.post("/open311/v2/requests.json", {**form, "api_key": badung_key[1]})
    assert response.status_code in (201, 400, 403, 413), response.content
    data = response.json()
    if response.status_code == 201:
        assert data[0]["service_request_id"]
    else:
        assert data[0]["code"] == response.status_code and data[0]["description"]
        assert Report.objects.count() == before
