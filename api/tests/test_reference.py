"""Item 4 of #14: regions, categories and agencies — the codes the intake accepts — with ETags."""

import pytest

from agencies.models import Agency


@pytest.mark.parametrize("name", ["regions", "categories", "agencies"])
def test_reference_lists_are_public_and_revalidate_with_an_etag(client, name, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(f"/api/v1/{name}")
    assert response.status_code == 200
    assert response["ETag"].startswith('"') and "max-age=3600" in response["Cache-Control"]
    assert response.json()["results"]
    again = client.get(f"/api/v1/{name}", headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304 and again.content == b"" and again["ETag"] == response["ETag"]
    stale = client.get(f"/api/v1/{name}", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_the_codes_are_the_ones_the_intake_accepts(client):
    regions = {r["code"]: r for r in client.get("/api/v1/regions").json()["results"]}
    assert regions["51.03"]["level"] == "regency" and regions["51.03"]["parent_code"] == "51"
    categories = {c["code"]: c for c in client.get("/api/v1/categories").json()["results"]}
    assert categories["kesehatan-puskesmas"]["accepts_reports"] is True
    assert categories[categories["kesehatan-puskesmas"]["parent_code"]]["accepts_reports"] is False
    agencies = {a["code"]: a for a in client.get("/api/v1/agencies").json()["results"]}
    assert agencies["dinkes-badung"]["parent_code"] == "pemkab-badung"


def test_a_change_changes_the_etag_and_inactive_agencies_are_left_out(client, tree):
    before = client.get("/api/v1/agencies")
    Agency.objects.filter(pk=tree["sleman"].pk).update(is_active=False)
    after = client.get("/api/v1/agencies", headers={"If-None-Match": before["ETag"]})
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert "pemkab-sleman" not in {a["code"] for a in after.json()["results"]}


def test_reference_lists_refuse_other_methods(client):
    assert client.post("/api/v1/regions").status_code == 405
