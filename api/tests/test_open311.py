import datetime as dt
import xml.etree.ElementTree as ET

import jsonschema
import pytest
from django.utils import timezone

from api.tests import open311_schemas as schemas
from complaints import workflow
from complaints.models import Report

BASE = "/open311/v2"
CHECKER = jsonschema.FormatChecker()


def validate(data, schema):
    jsonschema.validate(data, schema, format_checker=CHECKER)


@pytest.fixture
def public_reports(make_report, national_admin, tree):
    """A public report, a confidential one, an anonymous one (both verified), and an unverified one."""
    reports = {
        "public": make_report(latitude="-8.650000", longitude="115.216700"),
        "confidential": make_report(is_confidential=True, title="Rahasia: pungli"),
        "anonymous": make_report(is_anonymous=True),
        "unverified": make_report(),
    }
    for name in ("public", "confidential", "anonymous"):
        workflow.verify(reports[name], by=national_admin)
    workflow.dispatch(reports["public"], by=national_admin, to_agency=tree["badung"])
    return reports


def test_discovery_json_and_xml(client):
    validate(client.get(f"{BASE}/discovery.json").json(), schemas.DISCOVERY)
    root = ET.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert root.tag == "discovery"
    assert root.find("endpoints/endpoint/specification").text == "http://wiki.open311.org/GeoReport_v2"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["application/json", "text/xml"]


def test_services_are_child_categories_grouped_by_parent(client):
    services = client.get(f"{BASE}/services.json").json()
    validate(services, schemas.SERVICES)
    puskesmas = next(s for s in services if s["service_code"] == "kesehatan-puskesmas")
    assert puskesmas["group"] == "Kesehatan" and puskesmas["metadata"] is True
    assert "kesehatan" not in {s["service_code"] for s in services}
    root = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert root.tag == "services"
    assert len(root.findall("service")) == len(services)
    assert root.find("service/service_code").text == services[0]["service_code"]


def test_service_definition_has_classification_and_incident_date(client):
    definition = client.get(f"{BASE}/services/kesehatan-puskesmas.json").json()
    validate(definition, schemas.SERVICE_DEFINITION)
    attrs = {a["code"]: a for a in definition["attributes"]}
    assert attrs["classification"]["datatype"] == "singlevaluelist"
    assert {v["key"] for v in attrs["classification"]["values"]} == {"complaint", "aspiration", "information"}
    assert attrs["event_date"]["datatype"] == "datetime"
    root = ET.fromstring(client.get(f"{BASE}/services/kesehatan-puskesmas.xml").content)
    assert root.tag == "service_definition"
    assert root.find("attributes/attribute/values/value/key").text == "complaint"
    missing = client.get(f"{BASE}/services/nope.json")
    assert missing.status_code == 404
    validate(missing.json(), schemas.ERRORS)


def test_get_requests_lists_public_reports_only_without_identity(client, public_reports):
    response = client.get(f"{BASE}/requests.json")
    data = response.json()
    validate(data, schemas.SERVICE_REQUESTS)
    ids = {r["service_request_id"] for r in data}
    assert ids == {public_reports["public"].tracking_no, public_reports["anonymous"].tracking_no}
    text = response.content.decode()
    for secret in ("Made Warga", "warga@example.test", "081234567890", "5103012345678901", "Rahasia"):
        assert secret not in text
    item = next(r for r in data if r["service_request_id"] == public_reports["public"].tracking_no)
    assert item["status"] == "open"
    assert item["status_notes"] == "Terdisposisi – Belum Ditindaklanjuti"
    assert item["agency_responsible"] == "Pemerintah Kabupaten Badung"
    assert item["expected_datetime"] and item["lat"] == -8.65


def test_get_requests_xml_uses_the_spec_element_names(client, public_reports):
    root = ET.fromstring(client.get(f"{BASE}/requests.xml").content)
    assert root.tag == "service_requests"
    requests = root.findall("request")
    assert len(requests) == 2
    for field in ("service_request_id", "status", "status_notes", "agency_responsible", "requested_datetime"):
        assert requests[0].find(field) is not None


def test_get_requests_filters(client, public_reports):
    public, anonymous = public_reports["public"], public_reports["anonymous"]
    by_id = client.get(f"{BASE}/requests.json", {"service_request_id": f"{public.tracking_no},NOPE"}).json()
    assert [r["service_request_id"] for r in by_id] == [public.tracking_no]
    assert client.get(f"{BASE}/requests.json", {"service_code": "nope"}).json() == []
    assert client.get(f"{BASE}/requests.json", {"status": "closed"}).json() == []
    workflow.archive(anonymous, by=_admin(), reason="out_of_scope")
    closed = client.get(f"{BASE}/requests.json", {"status": "closed"}).json()
    assert [r["service_request_id"] for r in closed] == [anonymous.tracking_no]
    future = (timezone.now() + dt.timedelta(days=1)).isoformat()
    assert client.get(f"{BASE}/requests.json", {"start_date": future}).json() == []


def _admin():
    from accounts.models import User

    return User.objects.get(email="admin@example.test")


def test_default_window_is_90_days(client, public_reports):
    Report.objects.filter(pk=public_reports["public"].pk).update(created_at=timezone.now() - dt.timedelta(days=91))
    ids = {r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()}
    assert ids == {public_reports["anonymous"].tracking_no}


def test_get_requests_pages_with_page_and_page_size(client, public_reports):
    everything = [r["service_request_id"] for r in client.get(f"{BASE}/requests.json").json()]
    assert len(everything) == 2
    pages = [
        [r["service_request_id"] for r in client.get(f"{BASE}/requests.json", {"page_size": 1, "page": n}).json()]
        for n in (1, 2, 3)
    ]
    assert pages == [everything[:1], everything[1:], []]
    for bad in ({"page_size": 1001}, {"page_size": 0}, {"page": "x"}):
        response = client.get(f"{BASE}/requests.json", bad)
        assert response.status_code == 400 and response.json()[0]["description"]


def test_get_requests_ignores_unknown_parameters_such_as_api_key(client, public_reports):
    response = client.get(f"{BASE}/requests.json", {"api_key": "whatever", "jurisdiction_id": "x", "client": "1"})
    assert response.status_code == 200 and len(response.json()) == 2


def test_extensions_add_lapors_fields(client, public_reports):
    plain = client.get(f"{BASE}/requests.json").json()
    assert "extended_attributes" not in plain[0]
    extended = client.get(f"{BASE}/requests.json", {"extensions": "true"}).json()
    item = next(r for r in extended if r["service_request_id"] == public_reports["public"].tracking_no)
    assert item["extended_attributes"]["lapor_status"] == "dispatched"
    assert item["extended_attributes"]["agency_code"] == "pemkab-badung"
    detail = client.get(f"{BASE}/requests/{item['service_request_id']}.json", {"extensions": "true"}).json()
    assert detail[0]["extended_attributes"]["classification"] == "complaint"


def test_anonymous_reports_coordinates_are_coarsened_to_about_100_m(client, make_report, national_admin):
    report = make_report(is_anonymous=True, latitude="-8.651234", longitude="115.216789")
    workflow.verify(report, by=national_admin)
    item = client.get(f"{BASE}/requests/{report.tracking_no}.json").json()[0]
    assert (item["lat"], item["long"]) == (-8.651, 115.217)
    assert report.public_coordinates() == (-8.651, 115.217)
    named = make_report(latitude="-8.651234", longitude="115.216789")
    assert named.public_coordinates() == (-8.651234, 115.216789)


@pytest.mark.parametrize(
    ("params", "needle"),
    [({"status": "pending"}, "status"), ({"start_date": "kemarin"}, "start_date"), ({"page": "-1"}, "page")],
)
def test_bad_get_parameters_answer_400_in_the_spec_format(client, params, needle):
    response = client.get(f"{BASE}/requests.json", params)
    assert response.status_code == 400
    validate(response.json(), schemas.ERRORS)
    assert needle in response.json()[0]["description"]
    xml = client.get(f"{BASE}/requests.xml", params)
    root = ET.fromstring(xml.content)
    assert xml.status_code == 400 and root.tag == "errors"
    assert root.find("error/code").text == "400" and root.find("error/description").text


def test_one_request_and_404_for_confidential_or_unverified(client, public_reports):
    public = public_reports["public"]
    data = client.get(f"{BASE}/requests/{public.tracking_no}.json").json()
    validate(data, schemas.SERVICE_REQUESTS)
    assert data[0]["service_request_id"] == public.tracking_no
    root = ET.fromstring(client.get(f"{BASE}/requests/{public.tracking_no}.xml").content)
    assert root.find("request/service_request_id").text == public.tracking_no
    for name in ("confidential", "unverified"):
        response = client.get(f"{BASE}/requests/{public_reports[name].tracking_no}.json")
        assert response.status_code == 404
        validate(response.json(), schemas.ERRORS)


POST = {
    "service_code": "kesehatan-puskesmas",
    "lat": "-8.65",
    "long": "115.2167",
    "description": "Antrean puskesmas sangat panjang\nsejak pagi.",
    "attribute[classification]": "complaint",
    "attribute[event_date]": "2026-01-05T08:00:00+08:00",
}


def test_post_request_files_a_report_through_the_intake(client, badung_key):
    response = client.post(f"{BASE}/requests.json", {**POST, "api_key": badung_key[1], "first_name": "Wayan"})
    assert response.status_code == 201, response.content
    data = response.json()
    validate(data, schemas.POST_RESPONSE)
    report = Report.objects.get(tracking_no=data[0]["service_request_id"])
    assert report.title == "Antrean puskesmas sangat panjang"
    assert report.regency_id == "51.03" and report.channel == "integrated"
    assert report.reporter_name == "Wayan" and not report.is_anonymous
    tokens = client.get(f"{BASE}/tokens/{report.tracking_no}.json").json()
    validate(tokens, schemas.TOKENS)
    assert tokens[0]["service_request_id"] == report.tracking_no


def test_post_request_without_name_is_anonymous(client, badung_key):
    response = client.post(f"{BASE}/requests.xml", {**POST, "api_key": badung_key[1]})
    assert response.status_code == 201
    root = ET.fromstring(response.content)
    assert root.tag == "service_requests"
    tracking_no = root.find("request/service_request_id").text
    assert Report.objects.get(tracking_no=tracking_no).is_anonymous


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"api_key": "lapor_bad_key"}, 403),
        ({"api_key": ""}, 403),
        ({"service_code": "nope"}, 400),
        ({"description": ""}, 400),
        ({"lat": "", "long": ""}, 400),
        ({"lat": "utara"}, 400),
        ({"attribute[classification]": "rant"}, 400),
        ({"unknown_param": "1"}, 400),
        ({"media_url": "javascript:alert(1)"}, 400),
    ],
)
def test_bad_posts_answer_in_the_spec_format_and_create_nothing(client, badung_key, change, status):
    data = {**POST, "api_key": badung_key[1], **change}
    response = client.post(f"{BASE}/requests.json", data)
    assert response.status_code == status, response.content
    validate(response.json(), schemas.ERRORS)
    assert Report.objects.count() == 0


def test_revoked_key_cannot_post(client, badung_key):
    badung_key[0].revoke()
    response = client.post(f"{BASE}/requests.json", {**POST, "api_key": badung_key[1]})
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_requests_list_query_count_does_not_grow_with_rows(
    client, make_report, national_admin, django_assert_max_num_queries
):
    def grow(n):
        for _ in range(n):
            workflow.verify(make_report(), by=national_admin)

    grow(2)
    with django_assert_max_num_queries(2):
        assert len(client.get(f"{BASE}/requests.json").json()) == 2
    grow(5)
    with django_assert_max_num_queries(2):
        assert len(client.get(f"{BASE}/requests.json").json()) == 7


def test_unknown_open311_path_answers_in_the_spec_format(client):
    response = client.get(f"{BASE}/nothing.json")
    assert response.status_code == 404
    validate(response.json(), schemas.ERRORS)
    assert ET.fromstring(client.get(f"{BASE}/nothing.xml").content).tag == "errors"


def test_post_keeps_address_and_media_url_and_the_same_post_twice_is_one_request(client, badung_key, national_admin):
    data = {
        **POST,
        "api_key": badung_key[1],
        "address_string": "Jl. Raya Kuta 12",
        "media_url": "https://example.org/foto.jpg",
    }
    first = client.post(f"{BASE}/requests.json", data)
    second = client.post(f"{BASE}/requests.json", data)
    assert (first.status_code, second.status_code) == (201, 200)
    tracking_no = first.json()[0]["service_request_id"]
    assert second.json()[0]["service_request_id"] == tracking_no
    assert Report.objects.count() == 1
    workflow.verify(Report.objects.get(), by=national_admin)
    item = client.get(f"{BASE}/requests/{tracking_no}.json").json()[0]
    assert item["address"] == "Jl. Raya Kuta 12" and item["media_url"] == "https://example.org/foto.jpg"


def test_the_poster_follows_its_own_request_before_verification(client, badung_key, sleman_key):
    tracking_no = client.post(f"{BASE}/requests.json", {**POST, "api_key": badung_key[1]}).json()[0][
        "service_request_id"
    ]
    assert client.get(f"{BASE}/requests/{tracking_no}.json").status_code == 404  # not public yet
    own = client.get(f"{BASE}/requests/{tracking_no}.json", {"api_key": badung_key[1]})
    assert own.status_code == 200 and own.json()[0]["status_notes"] == "Belum Terverifikasi"
    assert client.get(f"{BASE}/requests/{tracking_no}.json", {"api_key": sleman_key[1]}).status_code == 404


def test_messages_follow_accept_language(client):
    english = client.get(f"{BASE}/services/nope.json", headers={"Accept-Language": "en"}).json()[0]["description"]
    indonesian = client.get(f"{BASE}/services/nope.json", headers={"Accept-Language": "id"}).json()[0]["description"]
    assert english != indonesian and "unknown" in english.lower()
    definition = client.get(f"{BASE}/services/kesehatan-puskesmas.json", headers={"Accept-Language": "en"}).json()
    assert definition["attributes"][0]["description"] != "Klasifikasi"


def test_listing_requests_has_a_fixed_number_of_queries(
    client, make_report, national_admin, badung_key, django_assert_max_num_queries
):
    for i in range(8):
        client.post(f"{BASE}/requests.json", {**POST, "description": f"Laporan {i}", "api_key": badung_key[1]})
    for report in Report.objects.all():
        workflow.verify(report, by=national_admin)
    with django_assert_max_num_queries(1):
        data = client.get(f"{BASE}/requests.json", {"extensions": "true"}).json()
    assert len(data) == 8 and all(r["address"] for r in data)
