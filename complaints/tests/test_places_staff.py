"""Staff side of places (#18 item 5): the admin shows the pin, the queue filters by district, the
head's dashboard maps the open reports of its scope (and only those)."""

import json
from decimal import Decimal
from html import unescape

import pytest
from django.core.cache import cache

from agencies.models import District, Village
from complaints import workflow
from complaints.tests.portal import published

PIN = {"latitude": Decimal("-8.723456"), "longitude": Decimal("115.171234")}


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pstaff"}}
    cache.clear()


def _points(html: str) -> list[dict]:
    start = html.index('data-points="') + len('data-points="')
    return json.loads(unescape(html[start : html.index('"', start)]))


def test_admin_report_page_shows_the_pin(client, make_report, national_admin, areas):
    report = make_report(kecamatan=District.objects.get(pk="51.03.01"), **PIN)
    client.force_login(national_admin)
    html = client.get(f"/admin/complaints/report/{report.pk}/change/").content.decode()
    assert "data-staff-map" in html and "js/report_map.js" in html
    assert _points(html) == [{"lat": -8.723456, "lng": 115.171234, "title": report.title}]
    assert "Kuta" in html  # the district is shown with the location


def test_admin_queue_filters_by_district(client, make_report, agency_admin, areas):
    kuta = make_report(title="Di Kuta", kecamatan=District.objects.get(pk="51.03.01"))
    make_report(title="Di Mengwi", kecamatan=District.objects.get(pk="51.03.02"))
    client.force_login(agency_admin)
    html = client.get("/admin/complaints/report/", {"kecamatan": "51.03.01"}).content.decode()
    assert "Di Kuta" in html and "Di Mengwi" not in html
    assert kuta.tracking_no in html
    assert "?kecamatan=51.03.02" in html  # the filter offers Badung's districts


def test_heads_dashboard_maps_open_reports_in_scope_only(client, make_report, national_admin, head, tree, areas):
    mine = published(make_report, national_admin, title="Badung terbuka", **PIN)
    workflow.dispatch(mine, by=national_admin, to_agency=tree["badung"])
    elsewhere = published(make_report, national_admin, title="Sleman terbuka", suggested_agency=tree["sleman"], **PIN)
    workflow.dispatch(elsewhere, by=national_admin, to_agency=tree["sleman"])
    anonim = published(make_report, national_admin, title="Anonim Badung", is_anonymous=True, **PIN)
    workflow.dispatch(anonim, by=national_admin, to_agency=tree["badung"])
    client.force_login(head)
    html = client.get("/dasbor/").content.decode()
    points = {p["title"]: p for p in _points(html)}
    assert set(points) == {"Badung terbuka", "Anonim Badung"}
    assert (points["Anonim Badung"]["lat"], points["Anonim Badung"]["lng"]) == (-8.723, 115.171)


def test_dashboard_map_filters_by_district(client, make_report, national_admin, head, tree, areas):
    for title, code in (("Kuta", "51.03.01"), ("Mengwi", "51.03.02")):
        report = published(make_report, national_admin, title=title, kecamatan=District.objects.get(pk=code), **PIN)
        workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    client.force_login(head)
    html = client.get("/dasbor/", {"kecamatan": "51.03.02"}).content.decode()
    assert [p["title"] for p in _points(html)] == ["Mengwi"]
    assert '<option value="51.03.01">Kuta</option>' in html


def test_admin_pin_reads_without_the_map(client, make_report, agency_admin, areas, settings):
    """The text fallback (screen readers, tiles that fail): the point, its district and village, a link."""
    settings.LAPOR_MAP_LINK_URL = "https://peta.example/?lat={lat}&lng={lng}"
    village = Village.objects.get(pk="51.03.01.1001")
    report = make_report(kecamatan=village.district, kelurahan=village, **PIN)
    client.force_login(agency_admin)
    html = client.get(f"/admin/complaints/report/{report.pk}/change/").content.decode()
    assert "-8.723456, 115.171234 — Kuta, Tuban (" in html
    assert 'href="https://peta.example/?lat=-8.723456&amp;lng=115.171234"' in html
    unpinned = make_report(kecamatan=village.district)
    assert 'id="report-pin"' not in client.get(f"/admin/complaints/report/{unpinned.pk}/change/").content.decode()


def test_national_queue_offers_districts_only_under_a_chosen_regency(client, make_report, national_admin, areas):
    make_report(title="Di Kuta", kecamatan=District.objects.get(pk="51.03.01"))
    make_report(title="Di Mengwi", kecamatan=District.objects.get(pk="51.03.02"))
    client.force_login(national_admin)
    bare = client.get("/admin/complaints/report/").content.decode()
    assert "?kecamatan=" not in bare and "kabupaten=" not in bare  # no 7,000-item or 514-item sidebar
    in_bali = client.get("/admin/complaints/report/", {"provinsi": "51"}).content.decode()
    assert "kabupaten=51.03" in in_bali and "kecamatan=" not in in_bali  # Bali's regencies, no districts yet
    in_badung = client.get("/admin/complaints/report/", {"provinsi": "51", "kabupaten": "51.03"}).content.decode()
    assert "kecamatan=51.03.02" in in_badung and "kecamatan=34.04.01" not in in_badung
    assert in_badung.count("kecamatan=51.03.") < 40  # Badung's six, in links of a few filters at most
    typed = client.get("/admin/complaints/report/", {"kecamatan": "51.03.02"}).content.decode()
    assert "Di Mengwi" in typed and "Di Kuta" not in typed  # a code from a dashboard link filters too


def test_queue_district_filter_stays_within_the_staff_members_reports(client, make_report, sibling_admin, areas):
    make_report(title="Di Kuta", kecamatan=District.objects.get(pk="51.03.01"))  # Badung's
    client.force_login(sibling_admin)
    html = client.get("/admin/complaints/report/", {"kecamatan": "51.03.01"}).content.decode()
    assert "Di Kuta" not in html  # a district code never widens the scope
    assert "kecamatan=34.04.01" in html  # Sleman's own districts are offered
