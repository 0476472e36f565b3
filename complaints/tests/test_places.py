"""Where a report happened (#18): district/village choices that cascade with and without JavaScript,
a pin that fills an empty region, the public map's bounding-box endpoint (scope, filters, Rahasia
never, Anonim coarsened), "near me" and Open311's lat/long/radius search."""

import json
import math
from decimal import Decimal

import pytest
from django.core.cache import cache

from agencies.models import District, Village
from api.models import ApiKey
from complaints import holders, places, workflow
from complaints.models import Category, MapCell, Report
from complaints.tests.portal import published

FORM = "/laporan/baru/"
MAP = "/laporan/peta.json"
BADUNG_BOX = "115.1,-8.8,115.25,-8.68"  # west,south,east,north (Kuta, 0.018 square degrees)


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "places"}}
    cache.clear()


@pytest.fixture
def data(areas):
    return {
        "classification": "complaint",
        "title": "Jembatan rusak di Tuban",
        "body": "Jembatan kayu di dekat balai banjar patah sejak banjir.",
        "event_date": "2026-01-05",
        "province": "",
        "regency": "",
        "category": Category.objects.get(code="kesehatan-puskesmas").pk,
        "submission_key": "k" * 32,
    }


# --- Choices: the server-rendered cascade and search (no JavaScript) ---


def test_search_box_lists_matching_villages_without_javascript(client, data):
    response = client.post(FORM, {**data, "place_q": "tuban", "search_place": "1"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="51.03.01.1001">Tuban — Kuta, Kabupaten Badung</option>' in html
    assert 'role="status" id="place-search-status"' in html  # announced to screen readers
    assert not Report.objects.exists()  # a search files nothing


def test_search_is_narrowed_to_the_chosen_regency(client, data):
    html = client.post(FORM, {**data, "regency": "34.04", "place_q": "tuban", "search_place": "1"}).content.decode()
    assert "51.03.01.1001" not in html


def test_the_step_lists_the_districts_of_the_regency_and_villages_of_the_district(client, data):
    html = client.post(
        FORM, {**data, "province": "51", "regency": "51.03", "kecamatan": "51.03.01", "search_place": "1"}
    ).content.decode()
    assert '<option value="51.03.02">Mengwi</option>' in html  # a district of Badung
    assert '<option value="51.03.01.1003">Kedonganan</option>' in html  # a village of Kuta
    assert "51.03.02.2001" not in html  # not a village of another district
    assert html.count("<option") < 1000  # never the 84,000 villages


def test_a_village_alone_files_the_report_with_its_district_regency_and_province(client, citizen, data):
    client.force_login(citizen)
    response = client.post(FORM, {**data, "kelurahan": "51.03.01.1001"})
    assert response.status_code == 302
    report = Report.objects.get()
    assert (report.province_id, report.regency_id, report.kecamatan_id, report.kelurahan_id) == (
        "51",
        "51.03",
        "51.03.01",
        "51.03.01.1001",
    )


def test_a_district_outside_the_regency_is_refused_and_the_form_kept(client, citizen, data):
    client.force_login(citizen)
    html = client.post(
        FORM, {**data, "province": "34", "regency": "34.04", "kecamatan": "51.03.01", "title": "Tetap di sini"}
    ).content.decode()
    assert "Kecamatan Kuta tidak berada di Kabupaten Sleman." in html
    assert 'value="Tetap di sini"' in html
    assert not Report.objects.exists()


def test_a_village_outside_the_district_is_refused(client, citizen, data):
    client.force_login(citizen)
    html = client.post(FORM, {**data, "kecamatan": "51.03.02", "kelurahan": "51.03.01.1001"}).content.decode()
    assert "Tuban tidak berada di Kecamatan Mengwi." in html
    assert not Report.objects.exists()


def test_without_any_place_the_regency_is_asked_for(client, citizen, data):
    client.force_login(citizen)
    html = client.post(FORM, data).content.decode()
    assert "Pilih kabupaten/kota, atau cari kecamatan atau kelurahan/desa di bawah." in html
    assert not Report.objects.exists()


# --- Choices with JavaScript: the small cached lists ---


def test_area_lists_are_small_cached_json(client, areas, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        response = client.get("/laporan/wilayah/51.03/")
    assert response["Cache-Control"] == "public, max-age=86400"
    names = [d["name"] for d in response.json()["results"]]
    assert "Kuta" in names and "Mengwi" in names and len(names) == 6
    villages = client.get("/laporan/wilayah/51.03.01/").json()["results"]
    assert {"code": "51.03.01.1001", "name": "Tuban"} in villages
    assert client.get("/laporan/wilayah/zzz/").status_code == 404


# --- The pin ---


# Well-known places on different islands (coordinates of their centres) and the regency they are in.
KNOWN_PLACES = [
    ("Medan (Sumatra)", 3.5952, 98.6722, "12", "12.71"),
    ("Kota Yogyakarta (Java)", -7.7956, 110.3695, "34", "34.71"),
    ("Sleman, inland (Java)", -7.7167, 110.3553, "34", "34.04"),
    ("Kota Surabaya (Java)", -7.2575, 112.7521, "35", "35.78"),
    ("Kota Denpasar (Bali)", -8.6705, 115.2126, "51", "51.71"),
    ("Kuta, Badung (Bali)", -8.7222, 115.1723, "51", "51.03"),
    ("Kota Pontianak (Kalimantan)", -0.0263, 109.3425, "61", "61.71"),
    ("Kota Makassar (Sulawesi)", -5.1477, 119.4327, "73", "73.71"),
    ("Kota Jayapura (Papua)", -2.5337, 140.7181, "91", "91.71"),
    ("Kota Kupang (Timor)", -10.1772, 123.6070, "53", "53.71"),
]


@pytest.mark.parametrize("label,lat,lng,province,regency", KNOWN_PLACES, ids=[p[0] for p in KNOWN_PLACES])
def test_a_pin_alone_fills_province_and_regency(client, citizen, data, label, lat, lng, province, regency):
    client.force_login(citizen)
    response = client.post(FORM, {**data, "latitude": str(lat), "longitude": str(lng)})
    assert response.status_code == 302, label
    report = Report.objects.get()
    assert (report.province_id, report.regency_id) == (province, regency), label
    assert report.latitude == Decimal(str(lat)).quantize(Decimal("0.000001"))


def test_pins_fill_the_region_across_the_country(areas):
    """Every regency/city has reference points (Pagar Alam its GeoNames town, the eight neither source
    places their seat: scripts/build_regions.py PLACE_REGENCIES, SEAT_POINTS), and a pin on one of a
    regency's points finds that regency."""
    from agencies.models import Region, RegionPoint

    regencies = Region.objects.filter(level=Region.Level.REGENCY)
    with_points = set(RegionPoint.objects.filter(region__level="regency").values_list("region_id", flat=True))
    assert len(with_points) == regencies.count() == 514
    seat = RegionPoint.objects.filter(region_id="81.03").first()  # Kepulauan Tanimbar, renamed in 2019
    assert places.region_for_point(seat.latitude, seat.longitude).pk == "81.03"


@pytest.mark.parametrize(
    "code,lat,lng",
    [
        ("13.74", -0.4667, 100.4167),  # Kota Padang Panjang
        ("16.72", -4.0251, 103.2469),  # Kota Pagar Alam (GeoNames' Pagar Alam, was filed under Lahat)
        ("31.71", -6.1754, 106.8272),  # Monas, Jakarta Pusat
        ("31.73", -6.1667, 106.7500),  # Jakarta Barat
        ("31.74", -6.2667, 106.8167),  # Jakarta Selatan
        ("31.75", -6.2167, 106.9000),  # Jakarta Timur
        ("62.10", -1.1167, 113.8833),  # Kuala Kurun, Gunung Mas
        ("63.72", -3.4333, 114.8333),  # Banjarbaru
        ("74.11", -4.0000, 121.9000),  # Tirawuta, Kolaka Timur
    ],
)
def test_a_pin_at_the_seat_of_a_regency_without_towns_finds_it(areas, code, lat, lng):
    assert places.region_for_point(lat, lng).pk == code


def test_a_pin_in_jakarta_fills_the_province_and_asks_for_the_city(client, citizen, data):
    """GeoNames names no city for central Jakarta: the province is filled, the city asked for."""
    client.force_login(citizen)
    html = client.post(FORM, {**data, "latitude": "-6.2146", "longitude": "106.8451"}).content.decode()
    assert "Pilih kabupaten/kota" in html
    assert not Report.objects.exists()
    region = client.get("/laporan/sekitar/", {"lat": "-6.2146", "lng": "106.8451"}).json()["region"]
    assert region == {"province": "31", "regency": "", "name": "DKI Jakarta"}


def test_a_pin_far_out_at_sea_fills_nothing(client, citizen, data):
    client.force_login(citizen)
    html = client.post(FORM, {**data, "latitude": "-15.0", "longitude": "100.0"}).content.decode()
    assert "Pilih provinsi" in html
    assert 'name="latitude" value="-15.0"' in html  # the pin is kept
    assert not Report.objects.exists()


def test_a_chosen_region_wins_over_the_pin(client, citizen, data):
    client.force_login(citizen)
    client.post(FORM, {**data, "province": "34", "regency": "34.04", "latitude": "-5.6", "longitude": "106.55"})
    assert Report.objects.get().regency_id == "34.04"


# --- One rule of coarsening ---


def test_coarsen_is_about_110_metres_for_anonim_only():
    assert places.coarsen(Decimal("-8.651234"), Decimal("115.216789"), True) == (-8.651, 115.217)
    assert places.coarsen(Decimal("-8.651234"), Decimal("115.216789"), False) == (-8.651234, 115.216789)
    assert places.coarsen(None, None, True) == (None, None)


# --- The public map ---


@pytest.fixture
def mapped(make_report, national_admin, areas):
    """Public, Anonim, Rahasia and unverified reports with pins in Badung, one public in Sleman."""
    pin = {"latitude": Decimal("-8.723456"), "longitude": Decimal("115.171234")}
    return {
        "public": published(
            make_report, national_admin, title="Publik", kecamatan=District.objects.get(pk="51.03.01"), **pin
        ),
        "anonim": published(make_report, national_admin, title="Anonim", is_anonymous=True, **pin),
        "rahasia": published(make_report, national_admin, title="Rahasia", is_confidential=True, **pin),
        "unverified": make_report(title="Belum", **pin),
        "sleman": published(
            make_report,
            national_admin,
            title="Sleman",
            province=District.objects.get(pk="34.04.01").regency.parent,
            regency=District.objects.get(pk="34.04.01").regency,
            latitude=Decimal("-7.7"),
            longitude=Decimal("110.37"),
        ),
    }


def test_map_endpoint_shows_public_reports_only_and_coarsens_anonim(client, mapped, django_assert_max_num_queries):
    client.get(MAP, {"bbox": BADUNG_BOX})  # the filters' options are cached after the first request
    with django_assert_max_num_queries(1):
        response = client.get(MAP, {"bbox": BADUNG_BOX})
    points = {p["title"]: p for p in response.json()["points"]}
    assert set(points) == {"Publik", "Anonim"}  # never Rahasia, never unverified, not outside the box
    assert (points["Publik"]["lat"], points["Publik"]["lng"]) == (-8.723456, 115.171234)
    assert (points["Anonim"]["lat"], points["Anonim"]["lng"]) == (-8.723, 115.171)
    assert points["Anonim"]["id"] == mapped["anonim"].tracking_no
    assert "Rahasia" not in response.content.decode()


def test_map_endpoint_takes_the_list_filters(client, mapped):
    titles = lambda params: {p["title"] for p in client.get(MAP, params).json()["points"]}  # noqa: E731
    assert titles({"bbox": BADUNG_BOX}) == {"Publik", "Anonim"}
    assert titles({"bbox": BADUNG_BOX, "kabupaten": "34.04"}) == set()
    assert titles({"bbox": BADUNG_BOX, "kecamatan": "51.03.01"}) == {"Publik"}
    assert client.get(MAP, {"bbox": "nonsense"}).status_code == 400


# --- Clusters: wide or crowded views are counted per grid cell on the server ---

COUNTRY_BOX = "94,-11.5,141.5,6.5"


def counts(response) -> dict:
    """{(rounded lat, rounded lng): count} of a clustered answer."""
    body = response.json()
    assert body["points"] == []
    return {(round(c["lat"], 1), round(c["lng"], 1)): c["count"] for c in body["clusters"]}


def test_a_wide_box_answers_clusters_of_public_reports_only(client, mapped, django_assert_max_num_queries):
    client.get(MAP, {"bbox": COUNTRY_BOX})  # the filters' options are cached after the first request
    with django_assert_max_num_queries(3):  # the grid is empty: its check, then the live GROUP BY
        live = client.get(MAP, {"bbox": COUNTRY_BOX})
    # Badung: Publik and Anonim (never Rahasia, never unverified); Sleman: one.
    assert counts(live) == {(-8.7, 115.2): 2, (-7.7, 110.4): 1}
    assert "Rahasia" not in live.content.decode() and "Publik" not in live.content.decode()
    # The precounted grid (beat, every few minutes) answers the same, in one query.
    places.refresh_map_cells()
    with django_assert_max_num_queries(1):
        grid = client.get(MAP, {"bbox": COUNTRY_BOX})
    assert grid.json() == live.json()


def test_the_grid_is_read_only_without_filters_and_as_fresh_as_its_last_refresh(
    client, mapped, make_report, national_admin
):
    places.refresh_map_cells()
    sleman = mapped["sleman"]
    published(
        make_report, national_admin, title="Sleman 2", province=sleman.province, regency=sleman.regency,
        latitude=Decimal("-7.71"), longitude=Decimal("110.36"),
    )  # fmt: skip
    assert counts(client.get(MAP, {"bbox": COUNTRY_BOX}))[(-7.7, 110.4)] == 1  # until the next refresh
    # A filter the grid counts (MapFacet): as fresh as the refresh too; one it cannot: live.
    assert counts(client.get(MAP, {"bbox": COUNTRY_BOX, "kabupaten": "34.04"})) == {(-7.7, 110.4): 1}
    assert counts(client.get(MAP, {"bbox": COUNTRY_BOX, "dari": "2000-01-01"}))[(-7.7, 110.4)] == 2
    places.refresh_map_cells()
    assert counts(client.get(MAP, {"bbox": COUNTRY_BOX}))[(-7.7, 110.4)] == 2
    assert counts(client.get(MAP, {"bbox": COUNTRY_BOX, "kabupaten": "34.04"})) == {(-7.7, 110.4): 2}


# A report leaving public() leaves the grid when that commits, not at the next refresh (DESIGN: Rahasia
# reports never reach the public): each of its cells, every GRID_SIZES level, counted again exactly.
MEDAN = {"latitude": Decimal("3.595123"), "longitude": Decimal("98.672234")}
# Boxes answered from each grid level: 1.0 (the country), 0.1 and 0.01 (both wider than MAP_MAX_AREA).
MEDAN_BOXES = {1.0: COUNTRY_BOX, 0.1: "98,3,99.5,4.5", 0.01: "98.5,3.45,98.8,3.75"}


def grid_answers(client) -> dict:
    """{grid level: the clusters of its Medan box}, checking each is answered from that level."""
    answers = {}
    for level, bbox in MEDAN_BOXES.items():
        box = places.parse_box(bbox)
        assert places.cell_size(box) >= level and (box[2] - box[0]) * (box[3] - box[1]) > places.MAP_MAX_AREA
        clusters = client.get(MAP, {"bbox": bbox}).json()["clusters"]
        answers[level] = [(c["count"], c["lat"], c["lng"]) for c in clusters if c["lng"] < 100]  # Sumatra
    return answers


def leave_public(how: str, report: Report, national_admin) -> None:
    if how == "removed":  # the admin's "Hapus" action form
        workflow.act("remove", report, by=national_admin, reason="spam")
    elif how == "rahasia":  # no workflow action makes a verified report Rahasia: a loaded report saved
        loaded = Report.objects.get(pk=report.pk)
        loaded.is_confidential = True
        loaded.save()
    else:  # deleted as a queryset (a single instance.delete() sends the same post_delete)
        Report.objects.filter(pk=report.pk).delete()


@pytest.mark.parametrize("how", ["removed", "rahasia", "deleted"])
def test_a_report_leaving_public_leaves_the_grid_on_commit(
    client, mapped, make_report, national_admin, how, django_capture_on_commit_callbacks
):
    medan = published(make_report, national_admin, title="Medan", **MEDAN)
    places.refresh_map_cells()
    assert grid_answers(client) == {level: [(1, 3.595123, 98.672234)] for level in MEDAN_BOXES}
    with django_capture_on_commit_callbacks(execute=True):
        leave_public(how, medan, national_admin)
    assert not Report.objects.public().filter(pk=medan.pk).exists()
    # Before any refresh: no cluster, no point, at any level; the rest of the grid untouched.
    assert grid_answers(client) == {level: [] for level in MEDAN_BOXES}
    assert "98.672" not in client.get(MAP, {"bbox": COUNTRY_BOX}).content.decode()
    assert counts(client.get(MAP, {"bbox": COUNTRY_BOX})) == {(-8.7, 115.2): 2, (-7.7, 110.4): 1}
    grid = sorted(MapCell.objects.values_list("size", "row", "col", "count", "sum_lat", "sum_lng"))
    places.refresh_map_cells()
    assert grid == sorted(MapCell.objects.values_list("size", "row", "col", "count", "sum_lat", "sum_lng"))


def test_a_shared_cell_is_counted_again_exactly(client, mapped, national_admin, django_capture_on_commit_callbacks):
    """Publik leaves the Badung cell it shares with Anonim: the cluster is Anonim's coarsened point alone."""
    places.refresh_map_cells()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.act("remove", mapped["public"], by=national_admin, reason="spam")
    clusters = client.get(MAP, {"bbox": COUNTRY_BOX}).json()["clusters"]
    assert [(c["count"], c["lat"], c["lng"]) for c in clusters if c["lng"] > 115] == [(1, -8.723, 115.171)]


def test_a_failing_recount_never_fails_the_action(mapped, national_admin, monkeypatch, caplog):
    from django.db import DatabaseError

    places.refresh_map_cells()

    def broken(*args):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(places, "_count_cell", broken)
    places.recount_map_cells((-8.723456, 115.171234))  # what the commit runs
    assert "Recounting the map grid" in caplog.text


def test_a_report_staying_public_is_not_recounted(
    mapped, national_admin, tree, monkeypatch, django_assert_num_queries, django_capture_on_commit_callbacks
):
    recounted = []
    monkeypatch.setattr(places, "recount_map_cells", recounted.append)
    report = Report.objects.get(pk=mapped["public"].pk)
    report.title = "Jalan berlubang di Kuta"
    with django_capture_on_commit_callbacks(execute=True) as callbacks, django_assert_num_queries(1):
        report.save()  # the UPDATE alone
    # Nothing to recount: the only thing left for the commit is the holders' version bump (complaints/holders.py,
    # written once at the commit since #15's tenth session), never a recount of the map's cells.
    assert [c for c in callbacks if not isinstance(c, holders._AtCommit)] == []
    assert recounted == []
    with django_capture_on_commit_callbacks(execute=True):
        workflow.dispatch(mapped["public"], by=national_admin, to_agency=tree["badung"])
        workflow.remove(mapped["unverified"], by=national_admin, reason="spam")  # never public
    assert recounted == []


def test_clusters_take_the_list_filters(client, mapped):
    assert counts(client.get(MAP, {"bbox": COUNTRY_BOX, "kabupaten": "34.04"})) == {(-7.7, 110.4): 1}
    assert counts(client.get(MAP, {"bbox": COUNTRY_BOX, "kecamatan": "51.03.01"})) == {(-8.7, 115.2): 1}
    assert counts(client.get(MAP, {"bbox": COUNTRY_BOX, "klasifikasi": "aspiration"})) == {}


@pytest.mark.parametrize("grid", [False, True], ids=["live", "grid"])
def test_a_cluster_never_shows_an_anonim_exact_pin(client, make_report, national_admin, mapped, grid):
    """A cluster's centre is the mean of its *public* points: one Anonim report alone shows its
    coarsened point, exactly as the single-point answer does (live GROUP BY and precounted grid)."""
    published(
        make_report, national_admin, title="Medan", is_anonymous=True,
        latitude=Decimal("3.595123"), longitude=Decimal("98.672234"),
    )  # fmt: skip
    if grid:
        places.refresh_map_cells()
    clusters = client.get(MAP, {"bbox": COUNTRY_BOX}).json()["clusters"]
    medan = [c for c in clusters if c["lng"] < 100]
    assert [(c["count"], c["lat"], c["lng"]) for c in medan] == [(1, 3.595, 98.672)]
    badung = next(c for c in clusters if c["lng"] > 115)  # Publik exact, Anonim coarsened, same pin
    assert (badung["lat"], badung["lng"]) == (round((-8.723456 - 8.723) / 2, 6), round((115.171234 + 115.171) / 2, 6))


def test_clusters_are_bounded_and_cells_fixed(client, mapped, monkeypatch):
    """At most MAP_MAX_CELLS cells per answer, whatever the box; cells come from fixed sizes."""
    for span in (0.001, 0.01, 0.3, 1, 7, 45, 180, 360):
        box = (-span / 4, 100 - span / 2, span / 4, 100 + span / 2)
        size = places.cell_size(box)
        cells = (math.floor(box[2] / size) - math.floor(box[0] / size) + 1) * (
            math.floor(box[3] / size) - math.floor(box[1] / size) + 1
        )
        assert size in places.MAP_CELL_SIZES and cells <= places.MAP_MAX_CELLS, span
    monkeypatch.setattr(places, "MAP_MAX_CELLS", 1)
    assert len(client.get(MAP, {"bbox": COUNTRY_BOX}).json()["clusters"]) == 1
    places.refresh_map_cells()
    assert [c["count"] for c in client.get(MAP, {"bbox": COUNTRY_BOX}).json()["clusters"]] == [2]  # the biggest


def test_a_narrow_box_with_too_many_points_answers_clusters(mapped):
    box = places.parse_box(BADUNG_BOX)
    assert len(places.map_points(Report.objects.public(), box)["points"]) == 2
    crowded = places.map_points(Report.objects.public(), box, limit=1)
    assert crowded["points"] == [] and [c["count"] for c in crowded["clusters"]] == [2]


def test_a_tiny_box_cannot_find_an_anonim_exact_pin(client, mapped):
    """Probing around the exact point of an Anonim report finds only what its coarsened point shows."""
    exact = "115.171200,-8.723500,115.171300,-8.723400"  # holds the exact pin, not the coarsened one
    titles = {p["title"] for p in client.get(MAP, {"bbox": exact}).json()["points"]}
    assert titles == {"Publik"}
    coarse = "115.170990,-8.723010,115.171010,-8.722990"  # holds the coarsened point only
    assert {p["title"] for p in client.get(MAP, {"bbox": coarse}).json()["points"]} == {"Anonim"}


def test_list_page_offers_the_map_with_the_same_filters(client, mapped):
    html = client.get("/laporan/", {"kabupaten": "51.03"}).content.decode()
    assert 'data-points-url="/laporan/peta.json?kabupaten=51.03"' in html
    # LAPOR's own map (static/js/report_map.js, css/map.css): no map library, not even named for later.
    assert "js/report_map.js" in html and "css/map.css" in html and "leaflet" not in html


# --- Near me ---


def test_nearby_suggests_open_public_reports_near_the_pin(client, mapped):
    found = client.get("/laporan/sekitar/", {"lat": "-8.7235", "lng": "115.1712"}).json()["results"]
    assert {r["title"] for r in found} == {"Publik", "Anonim"}
    far = client.get("/laporan/sekitar/", {"lat": "-8.80", "lng": "115.30"}).json()["results"]
    assert far == []


def test_nearby_by_village_without_a_pin(make_report, national_admin, areas):
    tuban = Village.objects.get(pk="51.03.01.1001")
    report = published(make_report, national_admin, kelurahan=tuban)
    assert places.nearby(kelurahan=tuban) == [report]
    assert places.nearby(kelurahan=Village.objects.get(pk="51.03.01.1002")) == []


def test_the_form_shows_nearby_reports_after_a_search(client, mapped, data):
    html = client.post(
        FORM, {**data, "latitude": "-8.7235", "longitude": "115.1712", "search_place": "1"}
    ).content.decode()
    assert "Laporan terbuka di sekitar lokasi ini" in html
    assert mapped["public"].tracking_no in html and mapped["rahasia"].tracking_no not in html


# --- Other channels: workflow, API, Open311 ---


def test_workflow_refuses_a_village_outside_the_regency(make_report, areas):
    with pytest.raises(workflow.InvalidInput):
        make_report(kelurahan=Village.objects.get(pk="34.04.01.2001"))


@pytest.fixture
def api_key(tree):
    key, raw = ApiKey.issue(agency=tree["badung"], name="Aplikasi Badung")
    return raw


def test_open311_post_accepts_district_and_village(client, api_key, areas):
    response = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "kesehatan-puskesmas",
            "description": "Jembatan rusak",
            "lat": "-8.7",
            "long": "115.17",
            "attribute[classification]": "complaint",
            "attribute[village_code]": "51.03.01.1001",
        },
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert (report.kecamatan_id, report.kelurahan_id) == ("51.03.01", "51.03.01.1001")
    refused = client.post(
        "/open311/v2/requests.json",
        {
            "api_key": api_key,
            "service_code": "kesehatan-puskesmas",
            "description": "Lain",
            "address_string": "Sleman",
            "attribute[classification]": "complaint",
            "attribute[district_code]": "34.04.01",
        },
    )
    assert refused.status_code == 400  # Open311 knows 400 (the v1 API answers 422)
    assert "tidak berada di Kabupaten Badung" in json.dumps(refused.json(), ensure_ascii=False)


def test_open311_radius_search(client, mapped):
    def found(**params):
        response = client.get("/open311/v2/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["description"] for r in response.json()]

    assert found(lat="-8.7235", long="115.1712", radius="200") == ["Publik", "Anonim"]  # nearest first
    assert found(lat="-7.7", long="110.37", radius="100") == ["Sleman"]
    assert found(lat="-8.0", long="112.0", radius="1000") == []
    assert client.get("/open311/v2/requests.json", {"lat": "x", "long": "1"}).status_code == 400
    assert client.get("/open311/v2/requests.json", {"lat": "1", "long": "1", "radius": "999999"}).status_code == 400


def test_duplicate_check_takes_the_regency_from_a_chosen_village(client, make_report, national_admin, data):
    """The verifier-tools duplicate lookup (complaints.duplicates) is fed the village's regency."""
    published(make_report, national_admin, title="Jembatan rusak di Tuban patah", body="Jembatan kayu patah.")
    html = client.post(FORM, {**data, "kelurahan": "51.03.01.1001", "check_duplicates": "1"}).content.decode()
    assert "Jembatan rusak di Tuban patah" in html


def test_csp_allows_the_tile_server_for_images_only(client, db):
    from lapor.settings import _tile_origin

    policy = client.get("/laporan/")["Content-Security-Policy"]
    img = next(part for part in policy.split(";") if part.strip().startswith("img-src"))
    assert "https://tile.openstreetmap.org" in img
    assert "tile.openstreetmap.org" not in policy.replace(img, "")  # scripts, styles, connections: self only
    assert _tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert _tile_origin("not a url") == ""


def test_feed_filtered_by_district_is_one_page_of_queries(
    client, make_report, national_admin, areas, django_assert_max_num_queries
):
    kuta, mengwi = District.objects.get(pk="51.03.01"), District.objects.get(pk="51.03.02")
    for i in range(30):
        published(make_report, national_admin, title=f"Kuta {i}", kecamatan=kuta if i % 3 else mengwi)
    params = {"kabupaten": "51.03", "kecamatan": "51.03.01"}
    client.get("/laporan/", params)  # the filters' options are cached after the first request
    with django_assert_max_num_queries(10):
        response = client.get("/laporan/", params)
    titles = [r.title for r in response.context["page"]]
    assert len(titles) == 20 and all(int(t.split()[1]) % 3 for t in titles)
    assert '<option value="51.03.02">Mengwi</option>' in response.content.decode()
