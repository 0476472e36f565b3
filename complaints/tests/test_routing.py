"""Default routing (complaints.routing): every report reaches an agency, the same way on every channel."""

import datetime as dt
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from agencies.models import Agency, Region
from api.models import ApiKey
from complaints import workflow
from complaints.models import Category, Report, RoutingRule
from complaints.routing import Reason, route
from lapor import celery_app

pytestmark = pytest.mark.django_db


def place(code):
    regency = Region.objects.get(code=code)
    return regency.parent, regency


def routed(category_code, regency_code):
    agency, reason = route(Category.objects.get(code=category_code), *place(regency_code))
    return (agency.code if agency else None), reason


def test_every_regency_and_city_has_a_government_under_its_province():
    governments = Agency.objects.filter(kind=Agency.Kind.REGENCY).select_related("parent", "region")
    by_region = {a.region_id: a for a in governments}
    regencies = Region.objects.filter(level=Region.Level.REGENCY)
    assert regencies.count() == 514 and set(by_region) == set(regencies.values_list("code", flat=True))
    for agency in by_region.values():
        assert agency.parent.kind == Agency.Kind.PROVINCE and agency.parent.region_id == agency.region.parent_id
        assert agency.timezone == agency.parent.timezone
    # Codes follow the pilot rows of agencies.csv.
    assert by_region["13.71"].code == "pemkot-padang" and by_region["13.71"].name == "Pemerintah Kota Padang"
    assert by_region["11.01"].code == "pemkab-aceh-selatan"
    assert by_region["51.03"].code == "pemkab-badung" and by_region["36.71"].code == "pemkot-tangerang"
    assert by_region["95.01"].timezone == "Asia/Jayapura"


def test_a_regency_category_goes_to_the_regency_government_everywhere():
    for regency in Region.objects.filter(level=Region.Level.REGENCY).exclude(
        code__in=["51.03", "34.04", "36.71", "61.09"]
    )[::37]:
        assert routed("infrastruktur-jalan", regency.code) == (
            Agency.objects.get(kind="regency", region=regency).code,
            Reason.REGENCY,
        )


@pytest.mark.parametrize(
    ("category", "regency", "expected"),
    [
        # The pilot regions: the OPD that handles the category.
        ("kesehatan-puskesmas", "51.03", ("dinkes-badung", Reason.RULE)),
        ("infrastruktur-jalan", "51.03", ("dinas-pupr-badung", Reason.RULE)),
        ("pendidikan-ppdb", "34.04", ("disdik-sleman", Reason.RULE)),
        ("kependudukan-ktp", "36.71", ("disdukcapil-kota-tangerang", Reason.RULE)),
        ("sosial-bansos", "61.09", ("dinsos-sekadau", Reason.RULE)),
        ("ketertiban-keamanan", "51.03", ("polres-badung", Reason.RULE)),
        # Province-level categories: the province's OPD in a pilot province, else its government.
        ("lingkungan-hutan", "34.04", ("dlh-prov-diy", Reason.RULE)),
        ("lingkungan-hutan", "13.71", ("dlh-prov-sumbar", Reason.RULE)),
        ("energi-tambang", "11.01", ("pemprov-aceh", Reason.PROVINCE)),
        # National-level categories: the institution, or its regional office where one is listed.
        ("pertanahan-sertifikat", "11.01", ("atr-bpn", Reason.NATIONAL)),
        ("pertanahan-sertifikat", "51.71", ("kanwil-bpn-bali", Reason.RULE)),
        ("pertanahan-sertifikat", "51.03", ("kantah-badung", Reason.RULE)),
        # Outside the pilots, a regency-level category: the regency/city government.
        ("kesehatan-puskesmas", "13.71", ("pemkot-padang", Reason.REGENCY)),
        ("kesehatan-puskesmas", "51.71", ("pemkot-denpasar", Reason.REGENCY)),
    ],
)
def test_route(category, regency, expected):
    assert routed(category, regency) == expected


def test_rules_are_data_and_an_inactive_agency_is_passed_over():
    category = Category.objects.get(code="kesehatan-puskesmas")
    padang = Agency.objects.get(code="pemkot-padang")
    rule = RoutingRule.objects.create(category=category, region_id="13.71", agency=Agency.objects.get(code="kemenkes"))
    assert routed("kesehatan-puskesmas", "13.71") == ("kemenkes", Reason.RULE)
    Agency.objects.filter(pk=rule.agency_id).update(is_active=False)
    assert routed("kesehatan-puskesmas", "13.71") == ("pemkot-padang", Reason.REGENCY)
    Agency.objects.filter(pk=padang.pk).update(is_active=False)
    assert routed("kesehatan-puskesmas", "13.71") == ("pemprov-sumbar", Reason.PROVINCE)
    Category.objects.filter(pk=category.pk).update(level=Category.Level.PROVINCE)
    Agency.objects.filter(code="pemprov-sumbar").update(is_active=False)
    assert routed("kesehatan-puskesmas", "13.71") == (None, Reason.NONE)


def test_routing_table_kept_in_memory_sees_every_change_at_once(django_assert_num_queries):
    """The rules and governments are kept with the reference data (one query a route: which
    candidate is active); a saved or deleted rule or agency is seen by the next route, and an agency
    switched off by a queryset update (no signal) is passed over at once."""
    category, (province, regency) = Category.objects.get(code="kesehatan-puskesmas"), place("13.71")
    assert routed("kesehatan-puskesmas", "13.71") == ("pemkot-padang", Reason.REGENCY)  # the table is kept now
    with django_assert_num_queries(1):
        assert route(category, province, regency)[0].code == "pemkot-padang"
    rule = RoutingRule.objects.create(category=category, region_id="13.71", agency=Agency.objects.get(code="kemenkes"))
    assert routed("kesehatan-puskesmas", "13.71") == ("kemenkes", Reason.RULE)
    Agency.objects.filter(code="kemenkes").update(is_active=False)
    assert routed("kesehatan-puskesmas", "13.71") == ("pemkot-padang", Reason.REGENCY)
    Agency.objects.filter(code="kemenkes").update(is_active=True)
    rule.delete()
    assert routed("kesehatan-puskesmas", "13.71") == ("pemkot-padang", Reason.REGENCY)
    padang = Agency.objects.get(code="pemkot-padang")
    padang.kind = Agency.Kind.OPD  # no longer the city's government: saved, so the table is rebuilt
    padang.save()
    assert routed("kesehatan-puskesmas", "13.71") == ("pemprov-sumbar", Reason.PROVINCE)


def test_load_reference_keeps_a_rule_an_admin_changed(tree):
    from django.core.management import call_command

    rule = RoutingRule.objects.get(category__code="kesehatan-puskesmas", region_id="51.03")
    rule.agency = tree["badung"]
    rule.save()
    RoutingRule.objects.filter(category__code="pendidikan-ppdb", region_id="51.03").delete()
    call_command("load_reference", verbosity=0)
    assert RoutingRule.objects.get(pk=rule.pk).agency == tree["badung"]
    assert RoutingRule.objects.get(category__code="pendidikan-ppdb", region_id="51.03").agency.code == "disdik-badung"


# --- One report per channel, with the default choice ---

ROAD = {"province": "13", "regency": "13.71", "category_code": "infrastruktur-jalan"}  # Kota Padang: no pilot


def _lands(report, agency_code, reason=Reason.REGENCY):
    report.refresh_from_db()
    assert report.agency.code == agency_code and report.status == "submitted"
    assert report.suggested_agency == report.agency
    submit = report.events.get(action="submit")
    assert submit.agency == report.agency and submit.data["routing"] == reason
    assert report.handlings.get().agency == report.agency  # in that agency's queue (staff scoping)


@pytest.fixture
def _locmem_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "routing"}}
    cache.clear()


@pytest.fixture
def eager_celery():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_web_form_default_choice(client, citizen, _locmem_cache):
    client.force_login(citizen)
    category = Category.objects.get(code=ROAD["category_code"])
    response = client.post(
        reverse("complaints:submit"),
        {
            "classification": "complaint",
            "title": "Jalan berlubang di Jalan Sudirman",
            "body": "Lubang besar di depan pasar sejak dua minggu.",
            "event_date": "2026-01-05",
            "province": ROAD["province"],
            "regency": ROAD["regency"],
            "category": str(category.pk),
            "agency": "",
            "submission_key": "web-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    _lands(Report.objects.get(reporter=citizen), "pemkot-padang")


def test_staff_entry_default_choice(client, agency_admin, tree):
    client.force_login(agency_admin)
    category = Category.objects.get(code=ROAD["category_code"])
    response = client.post(
        reverse("admin:complaints_report_entry"),
        {
            "channel": "walk_in",
            "reporter_name": "Wayan Datang",
            "reporter_contact": "0812-000-111",
            "classification": "complaint",
            "title": "Jalan rusak di Padang",
            "body": "Warga Padang melapor di loket Badung.",
            "event_date": "2026-01-10",
            "province": ROAD["province"],
            "regency": ROAD["regency"],
            "category": category.pk,
            "suggested_agency": "",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    _lands(Report.objects.get(title="Jalan rusak di Padang"), "pemkot-padang")


def test_staff_may_not_choose_an_agency_outside_their_subtree_but_lapor_may_route_there(agency_admin, tree):
    category = Category.objects.get(code=ROAD["category_code"])
    province, regency = place("13.71")
    entry = {
        "by": agency_admin,
        "classification": "complaint",
        "title": "Jalan rusak",
        "body": "Isi",
        "event_date": dt.date(2026, 1, 5),
        "province": province,
        "regency": regency,
        "category": category,
        "reporter_name": "Wayan",
        "channel": "walk_in",
    }
    with pytest.raises(workflow.ActionNotAllowed):
        workflow.submit(**entry, suggested_agency=Agency.objects.get(code="pemkot-padang"))
    assert workflow.submit(**entry).agency.code == "pemkot-padang"


def test_api_default_choice(client, tree, eager_celery):
    _key, raw = ApiKey.issue(agency=tree["badung"], name="SIMPEL Badung")
    body = {
        "external_id": "SIMPEL-R1",
        "classification": "complaint",
        "title": "Jalan rusak",
        "body": "Lubang besar.",
        "event_date": "2026-01-05",
        "regency_code": ROAD["regency"],
        "category_code": ROAD["category_code"],
    }
    response = client.post(
        "/api/v1/reports", json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get(tracking_no=response.json()["tracking_no"])
    _lands(report, "pemkot-padang")
    # The key still reads the report its application pushed, outside its subtree.
    again = client.get(f"/api/v1/reports/{report.tracking_no}", headers={"Authorization": f"Bearer {raw}"})
    assert again.json()["agency"]["code"] == "pemkot-padang"


def test_open311_default_choice(client, tree, eager_celery):
    _key, raw = ApiKey.issue(agency=tree["badung"], name="SIMPEL Badung")
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": raw,
            "service_code": "kesehatan-puskesmas",
            "description": "Antrean puskesmas sangat panjang",
            "address_string": "Jl. Raya Kuta",
            "attribute[classification]": "complaint",
        },
    )
    assert response.status_code == 201, response.content
    # No regency given: the key agency's own (Badung), where a rule names Dinas Kesehatan.
    _lands(Report.objects.get(tracking_no=response.json()[0]["service_request_id"]), "dinkes-badung", Reason.RULE)


def test_national_admins_edit_the_rules_and_levels_in_the_admin(client, national_admin, django_assert_max_num_queries):
    client.force_login(national_admin)
    with django_assert_max_num_queries(20):  # one page of rules: no query per row
        response = client.get("/admin/complaints/routingrule/", {"q": "badung"})
    html = response.content.decode()
    assert response.status_code == 200 and "Dinas Kesehatan Kabupaten Badung" in html and "Sleman" not in html
    national = client.get("/admin/complaints/category/", {"level__exact": "national"})
    listed = national.context["cl"].queryset
    assert "Sertifikat Tanah dan PTSL" in national.content.decode()
    assert set(listed.values_list("level", flat=True)) == {"national"} and listed.count() == 22
    rule = RoutingRule.objects.get(category__code="kesehatan-puskesmas", region_id="51.03")
    page = client.get(f"/admin/complaints/routingrule/{rule.pk}/change/")
    assert page.status_code == 200 and 'name="agency"' in page.content.decode()
