"""#21 items 16 and 17: a new raw key is shown once on its page from the session, never in the messages
cookie; a key acts at most with its creator's scope (a developer's key reads no content, takes no action)."""

import pytest
from django.contrib.messages import get_messages

from accounts.models import User
from agencies.models import Membership
from api.models import ApiKey
from api.tests.conftest import ApiClient, report_payload
from complaints import workflow
from complaints.models import Report

Role = Membership.Role


@pytest.fixture
def developer(tree):
    user = User.objects.create_user("dev@example.test", "lapor-test", full_name="Dev Badung", is_staff=True)
    Membership.objects.create(user=user, agency=tree["badung"], role=Role.DEVELOPER)
    return user


def _create_key(client, user, agency):
    client.force_login(user)
    response = client.post("/admin/api/apikey/add/", {"agency": agency.pk, "name": "SIMPEL"}, follow=True)
    assert response.status_code == 200
    return ApiKey.objects.get(name="SIMPEL"), response


def test_the_raw_key_is_shown_once_from_the_session_never_in_a_cookie(client, developer, tree):
    key, response = _create_key(client, developer, tree["dinkes"])
    raw = response.context["new_raw_key"]
    assert raw.startswith(f"lapor_{key.prefix}_") and raw in response.content.decode()
    assert response.redirect_chain[-1][0] == f"/admin/api/apikey/{key.pk}/change/"
    assert "no-store" in response["Cache-Control"]
    assert not any(raw in str(m) for m in get_messages(response.wsgi_request))
    assert all(raw not in morsel.value for morsel in client.cookies.values())  # messages cookie included
    assert raw not in client.get(f"/admin/api/apikey/{key.pk}/change/").content.decode()  # once only


def test_a_developers_key_is_capped_at_the_developer_role(
    client, developer, tree, national_admin, make_report, citizen
):
    key, response = _create_key(client, developer, tree["badung"])
    assert key.service_user.memberships.get().role == Role.DEVELOPER
    api = ApiClient(client, response.context["new_raw_key"])
    refused = api.post("/api/v1/reports", report_payload(reporter={"name": "Ketut Pelapor", "phone": "081299990000"}))
    assert refused.status_code == 409 and not Report.objects.exists()  # files no report for others
    report = make_report()
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    body = api.get(f"/api/v1/reports/{report.tracking_no}").json()
    assert body["content"] is None and citizen.email not in str(body) and report.body not in str(body)
    follow_up = api.post(f"/api/v1/reports/{report.tracking_no}/follow-ups", {"note": "Sedang dicek."})
    assert follow_up.status_code in (403, 404, 409)
    assert not report.events.filter(action="follow_up").exists()


@pytest.mark.parametrize("who", ["agency_admin", "parent_admin", "national_admin"])
def test_an_admins_key_acts_as_agency_admin_below_them(client, tree, who, request):
    user = request.getfixturevalue(who)
    key, _response = _create_key(client, user, tree["badung"])
    assert key.service_user.memberships.get().role == Role.AGENCY_ADMIN


def test_an_admin_of_another_branch_who_is_developer_here_gets_a_developer_key(tree, sibling_admin):
    Membership.objects.create(user=sibling_admin, agency=tree["badung"], role=Role.DEVELOPER)
    assert ApiKey.role_for(sibling_admin, tree["dinkes"]) == Role.DEVELOPER
