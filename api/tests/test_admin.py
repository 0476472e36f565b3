import pytest

from accounts.models import User
from agencies.models import Membership
from api.models import ApiKey, Webhook
from api.tests.conftest import ApiClient, report_payload


@pytest.fixture
def developer(tree):
    user = User.objects.create_user("dev@example.test", "lapor-test", full_name="Dev Badung", is_staff=True)
    Membership.objects.create(user=user, agency=tree["badung"], role=Membership.Role.DEVELOPER)
    return user


def test_developer_creates_a_key_shown_once_and_stored_hashed(client, developer, tree):
    client.force_login(developer)
    response = client.post("/admin/api/apikey/add/", {"agency": tree["dinkes"].pk, "name": "SIMPEL"}, follow=True)
    assert response.status_code == 200
    key = ApiKey.objects.get()
    raw = response.context["new_raw_key"]  # on the key's page, from the session (#21 item 16)
    assert raw.startswith(f"lapor_{key.prefix}_")
    assert raw.split("_", 2)[2] not in key.hashed_secret
    assert key.created_by == developer and key.agency == tree["dinkes"]
    assert not key.service_user.is_active and not key.service_user.has_usable_password()
    # The key acts with its creator's scope (#21 item 17): a developer files and handles no reports.
    refused = ApiClient(client, raw).post("/api/v1/reports", report_payload(suggested_agency_code="dinkes-badung"))
    assert refused.status_code == 409, refused.content
    page = client.get(f"/admin/api/apikey/{key.pk}/change/")
    assert raw not in page.content.decode()


def test_developer_sees_and_assigns_only_their_subtree(client, developer, tree, sleman_key):
    client.force_login(developer)
    own, _raw = ApiKey.issue(agency=tree["badung"], name="Milik Badung")
    listing = client.get("/admin/api/apikey/").content.decode()
    assert "Milik Badung" in listing and "Lapor Sleman" not in listing
    assert client.get(f"/admin/api/apikey/{sleman_key[0].pk}/change/").status_code == 302  # not found → redirect
    response = client.post("/admin/api/apikey/add/", {"agency": tree["sleman"].pk, "name": "Curang"})
    assert response.status_code == 200  # form error: agency not a valid choice
    assert not ApiKey.objects.filter(name="Curang").exists()
    hook = client.post(
        "/admin/api/webhook/add/", {"agency": tree["sleman"].pk, "url": "https://x.test/", "secret": "s"}
    )
    assert hook.status_code == 200 and not Webhook.objects.exists()


def test_revoke_action_disables_the_key(client, developer, badung_key):
    key, raw = badung_key
    client.force_login(developer)
    client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert not key.service_user.memberships.exists()
    assert ApiClient(client, raw).get("/api/v1/reports/ABC").status_code == 403


def test_citizens_and_other_roles_have_no_key_admin(client, citizen, head):
    for user in (citizen, head):
        client.force_login(user)
        assert client.get("/admin/api/apikey/").status_code in (302, 403)


def test_webhook_deliveries_are_listed_within_scope(client, developer, tree):
    from api.models import WebhookDelivery

    own = Webhook.objects.create(agency=tree["dinkes"], url="https://own.example.test/")
    other = Webhook.objects.create(agency=tree["sleman"], url="https://other.example.test/")
    for hook in (own, other):
        WebhookDelivery.objects.create(webhook=hook, payload={"tracking_no": "X"})
    client.force_login(developer)
    page = client.get("/admin/api/webhookdelivery/").content.decode()
    assert "own.example.test" in page and "other.example.test" not in page
