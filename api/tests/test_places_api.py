"""Districts and villages through the machines' doors (#18 item 1): the v1 API and Open311 take a
district and village by Kemendagri code, give them back, and refuse an inconsistent pair with the
field at fault named, in the client's language (Accept-Language)."""

import pytest

from api.tests.conftest import report_payload
from complaints import workflow
from complaints.models import Report

URL = "/api/v1/reports"
OPEN311 = "/open311/v2/requests.json"


@pytest.fixture(autouse=True)
def _areas(areas):
    return areas


def test_v1_round_trip_of_district_and_village(badung_api):
    response = badung_api.post(URL, report_payload(district_code="51.03.01", village_code="51.03.01.1001"))
    assert response.status_code == 201, response.content
    report = Report.objects.get(tracking_no=response.json()["tracking_no"])
    assert (report.kecamatan_id, report.kelurahan_id) == ("51.03.01", "51.03.01.1001")
    body = badung_api.get(f"{URL}/{report.tracking_no}").json()
    assert (body["regency_code"], body["district_code"], body["village_code"]) == ("51.03", "51.03.01", "51.03.01.1001")


def test_v1_a_village_alone_brings_its_district(badung_api):
    response = badung_api.post(URL, report_payload(village_code="51.03.01.1003"))
    assert response.status_code == 201, response.content
    body = badung_api.get(f"{URL}/{response.json()['tracking_no']}").json()
    assert (body["district_code"], body["village_code"]) == ("51.03.01", "51.03.01.1003")


def test_v1_without_district_both_codes_are_null(badung_api):
    number = badung_api.post(URL, report_payload()).json()["tracking_no"]
    body = badung_api.get(f"{URL}/{number}").json()
    assert (body["district_code"], body["village_code"]) == (None, None)


@pytest.mark.parametrize(
    "codes, field, indonesian, english",
    [
        (
            {"district_code": "51.03.02", "village_code": "51.03.01.1001"},
            "village_code",
            "Tuban tidak berada di Kecamatan Mengwi.",
            "Tuban is not in the district of Mengwi.",
        ),
        (
            {"district_code": "34.04.01"},
            "district_code",
            "Kecamatan Gamping tidak berada di Kabupaten Badung.",
            "The district of Gamping is not in Kabupaten Badung.",
        ),
        (
            {"village_code": "99.99.99.9999"},
            "village_code",
            "Kode kelurahan/desa 99.99.99.9999 tidak dikenal.",
            "Unknown village code 99.99.99.9999.",
        ),
    ],
)
def test_v1_refuses_an_inconsistent_place_naming_the_field_in_the_clients_language(
    badung_api, codes, field, indonesian, english
):
    payload = report_payload(**codes)
    refused = badung_api.post(URL, payload)
    assert refused.status_code == 422, refused.content
    assert refused.json()["fields"] == {field: indonesian}
    assert indonesian in refused.json()["detail"]
    badung_api.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    in_english = badung_api.post(URL, payload)
    assert in_english.status_code == 422 and in_english.json()["fields"] == {field: english}
    assert not Report.objects.exists()


def _open311_post(client, key, **attributes):
    return client.post(
        OPEN311,
        {
            "api_key": key,
            "service_code": "kesehatan-puskesmas",
            "description": "Jembatan rusak",
            "address_string": "Jl. Raya Tuban",
            "attribute[classification]": "complaint",
            **{f"attribute[{k}]": v for k, v in attributes.items()},
        },
    )


def test_open311_round_trip_of_district_and_village(client, badung_key, national_admin):
    posted = _open311_post(client, badung_key[1], district_code="51.03.01", village_code="51.03.01.1001")
    assert posted.status_code == 201, posted.content
    report = Report.objects.get(tracking_no=posted.json()[0]["service_request_id"])
    workflow.verify(report, by=national_admin)  # public from here: Open311 lists it
    item = client.get(OPEN311, {"service_request_id": report.tracking_no, "extensions": "true"}).json()[0]
    assert (item["extended_attributes"]["district_code"], item["extended_attributes"]["village_code"]) == (
        "51.03.01",
        "51.03.01.1001",
    )
    assert "Tuban" in item["address"]


def test_open311_refuses_an_inconsistent_place_in_the_clients_language(client, badung_key):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    refused = _open311_post(client, badung_key[1], district_code="51.03.02", village_code="51.03.01.1001")
    assert refused.status_code == 400
    assert refused.json()[0]["description"] == "Tuban is not in the district of Mengwi."
    assert not Report.objects.exists()
