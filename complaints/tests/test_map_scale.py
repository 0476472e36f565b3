"""The public map at scale (#18 item 6): the precounted grid written in SQL (the same cells as the
Python refresh it replaced), filtered wide views answered from MapFacet (scope, filters, Rahasia
never, Anonim coarsened), bounded live answers for the filters no grid counts, and the refresh's
safety against readers and against a second refresh (PostgreSQL)."""

import json
import math
import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, connections
from django.db.models import F
from django.utils import translation

from agencies.models import Region
from complaints import places, workflow
from complaints.filters import ReportFilter, category_ids
from complaints.models import Category, MapCell, MapFacet, Report
from complaints.tests.portal import crowd, published

MAP = "/laporan/peta.json"
COUNTRY_BOX = "94,-11.5,141.5,6.5"
REGENCY_BOX = "114.9,-9.0,115.6,-8.4"  # cells of 0.1°: answered from MapFacet's 0.1 level
# (latitude, longitude) of the fixture's pins: both signs, several cells of every size, two in one
# finest cell, none on a cell's edge.
PINS = [
    ("-8.723456", "115.171234"),
    ("-8.724111", "115.172345"),
    ("-8.412345", "115.315678"),
    ("-7.701234", "110.371234"),
    ("3.595123", "98.672234"),
    ("0.004567", "-0.004321"),
]


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "scale"}}
    cache.clear()


@pytest.fixture
def spread(make_report, national_admin):
    """Public reports on PINS (every other one Anonim, two classifications, two categories, one
    answered), plus a Rahasia, an unverified and a removed one on the first pin."""
    sleman = Region.objects.get(pk="34.04")
    categories = list(Category.objects.filter(parent__isnull=False).order_by("pk")[:2])
    reports = []
    for i, (lat, lng) in enumerate(PINS):
        where = {"province": sleman.parent, "regency": sleman} if lng.startswith("110") else {}
        reports.append(
            published(
                make_report,
                national_admin,
                title=f"Laporan {i}",
                latitude=Decimal(lat),
                longitude=Decimal(lng),
                is_anonymous=bool(i % 2),
                classification="aspiration" if i == 1 else "complaint",
                category=categories[i % 2],
                **where,
            )  # fmt: skip
        )
    pin = {"latitude": Decimal(PINS[0][0]), "longitude": Decimal(PINS[0][1])}
    published(make_report, national_admin, title="Rahasia", is_confidential=True, **pin)
    make_report(title="Belum", **pin)
    workflow.act(
        "remove", published(make_report, national_admin, title="Dihapus", **pin), by=national_admin, reason="spam"
    )
    return {"reports": reports, "categories": categories, "sleman": sleman}


def python_grid() -> dict:
    """The refresh as it was written before (#18, second session): one GROUP BY at 0.01° in the ORM, the
    coarser cells summed in Python. {(size, row, col): (count, sum_lat, sum_lng)}."""
    from django.db.models import Count, F, Sum
    from django.db.models.functions import Floor

    point = places._public_point_expressions()
    base = places.GRID_SIZES[0]
    finest = (
        Report.objects.public()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .order_by()
        .alias(plat=point["latitude"], plng=point["longitude"])
        .values(row=Floor(F("plat") / base), col=Floor(F("plng") / base))
        .annotate(count=Count("pk"), sum_lat=Sum("plat"), sum_lng=Sum("plng"))
        .values_list("row", "col", "count", "sum_lat", "sum_lng")
    )
    levels = {}
    for row, col, count, sum_lat, sum_lng in finest:
        for size in places.GRID_SIZES:
            k = round(size / base)
            cell = levels.setdefault((size, int(row) // k, int(col) // k), [0, 0.0, 0.0])
            cell[0] += count
            cell[1] += sum_lat
            cell[2] += sum_lng
    return {key: tuple(value) for key, value in levels.items()}


def python_facets() -> dict:
    """MapFacet as it must be: each public pinned report's public point, province and facet values,
    counted in Python. {(size, facet, value, province, row, col): (count, sum_lat, sum_lng)}."""
    facets = {}
    for report in Report.objects.public().filter(latitude__isnull=False):
        lat, lng = report.public_coordinates()
        for size in places.FACET_SIZES:
            row, col = math.floor(lat / size), math.floor(lng / size)
            for facet, column in places.FACET_COLUMNS.items():
                value = getattr(report, column)
                key = (size, facet, "" if value is None else str(value), report.province_id or "", row, col)
                cell = facets.setdefault(key, [0, 0.0, 0.0])
                cell[0] += 1
                cell[1] += lat
                cell[2] += lng
    return {key: tuple(value) for key, value in facets.items()}


def stored_grid() -> dict:
    return {
        (float(size), row, col): (n, sum_lat, sum_lng)
        for size, row, col, n, sum_lat, sum_lng in MapCell.objects.values_list(
            "size", "row", "col", "count", "sum_lat", "sum_lng"
        )
    }


def stored_facets() -> dict:
    return {
        (float(size), facet, value, province, row, col): (n, sum_lat, sum_lng)
        for size, facet, value, province, row, col, n, sum_lat, sum_lng in MapFacet.objects.values_list(
            "size", "facet", "value", "province", "row", "col", "count", "sum_lat", "sum_lng"
        )
    }


def same(stored: dict, expected: dict) -> None:
    assert set(stored) == set(expected)
    for key, (n, sum_lat, sum_lng) in expected.items():
        assert stored[key] == (n, pytest.approx(sum_lat, abs=1e-6), pytest.approx(sum_lng, abs=1e-6)), key


def test_the_sql_refresh_writes_the_cells_of_the_python_one(spread):
    written = places.refresh_map_cells()
    expected = python_grid()
    assert written == len(expected) == MapCell.objects.count()
    same(stored_grid(), expected)
    # One west of Greenwich and north of the equator: floor division, not truncation, below zero.
    assert (0.01, 0, -1) in stored_grid() and (1.0, 0, -1) in stored_grid()
    same(stored_facets(), python_facets())
    assert places.refresh_map_cells() == written  # again: replaced, not added
    same(stored_grid(), expected)


def test_a_recount_keeps_the_facets_exact(spread, national_admin, django_capture_on_commit_callbacks):
    places.refresh_map_cells()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.act("remove", spread["reports"][0], by=national_admin, reason="spam")
    same(stored_facets(), python_facets())
    same(stored_grid(), python_grid())


def clusters(client, **params) -> list:
    body = client.get(MAP, params).json()
    assert body["points"] == [] and not body["more"]
    return sorted((c["count"], c["lat"], c["lng"]) for c in body["clusters"])


FILTERS = [
    {},
    {"klasifikasi": "aspiration"},
    {"status": "verified"},
    {"provinsi": "34"},
    {"kabupaten": "51.03"},
    {"provinsi": "51", "klasifikasi": "complaint"},
]


@pytest.mark.parametrize("bbox", [COUNTRY_BOX, REGENCY_BOX], ids=["country", "regency"])
def test_filtered_wide_views_are_read_from_the_grid_and_equal_the_live_count(
    client, spread, bbox, django_assert_max_num_queries
):
    kinds = {"kategori": spread["categories"][1].code}
    live = {str(f): clusters(client, bbox=bbox, **f) for f in [*FILTERS, kinds]}
    places.refresh_map_cells()
    Report.objects.update(latitude=None, longitude=None)  # from now on only the grid can answer
    for f in [*FILTERS, kinds]:
        client.get(MAP, {"bbox": bbox, **f})  # the filters' options are cached after the first request
        with django_assert_max_num_queries(3):  # the category's children, the grid's rows, its emptiness
            assert clusters(client, bbox=bbox, **f) == live[str(f)], f
    assert live[str({"klasifikasi": "aspiration"})] == [(1, -8.724, 115.172)]  # Anonim: coarsened
    if bbox == COUNTRY_BOX:  # every pin but the one at Greenwich; never Rahasia, unverified or removed
        assert live[str({"provinsi": "34"})] == [(1, -7.701, 110.371)]
        assert sum(n for n, *_ in live["{}"]) == len(PINS) - 1
    else:
        assert live[str({"provinsi": "34"})] == [] and sum(n for n, *_ in live["{}"]) == 3


def test_a_parent_category_counts_its_children_from_the_grid(client, spread):
    parent = spread["categories"][0].parent
    live = clusters(client, bbox=COUNTRY_BOX, kategori=parent.code)
    places.refresh_map_cells()
    Report.objects.update(latitude=None, longitude=None)
    assert clusters(client, bbox=COUNTRY_BOX, kategori=parent.code) == live and live


def test_a_filter_no_grid_counts_is_bounded(client, spread, monkeypatch):
    """A text search is counted live over at most MAP_LIVE_ROWS reports of the box: more answers no
    clusters and a message, never a wait."""
    places.refresh_map_cells()
    assert sum(n for n, *_ in clusters(client, bbox=COUNTRY_BOX, q="Laporan")) == len(PINS) - 1
    monkeypatch.setattr(places, "MAP_LIVE_ROWS", len(PINS) - 2)
    body = client.get(MAP, {"bbox": COUNTRY_BOX, "q": "Laporan"}).json()
    assert body["more"] is True and body["clusters"] == [] and body["points"] == []
    assert "Perbesar peta" in body["message"]
    # A filter the grid counts is not capped.
    assert sum(n for n, *_ in clusters(client, bbox=COUNTRY_BOX, klasifikasi="complaint")) == len(PINS) - 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: statement_timeout")
def test_a_slow_live_count_answers_zoom_in(client, spread, monkeypatch):
    monkeypatch.setattr(places, "MAP_LIVE_TIMEOUT_MS", 1)
    monkeypatch.setattr(places, "in_box", lambda qs, box, margin=0: qs.extra(where=["pg_sleep(0.05) IS NOT NULL"]))
    body = client.get(MAP, {"bbox": COUNTRY_BOX, "q": "Laporan"}).json()
    assert body["more"] is True and body["clusters"] == []
    with connection.cursor() as cursor:  # the test's transaction goes on, without the short timeout
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] != "1ms"
        cursor.execute("SELECT 1")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: statement_timeout")
def test_a_slow_filtered_read_of_a_small_box_answers_zoom_in(client, spread, monkeypatch):
    """A small box's points under a text search are read within MAP_LIVE_TIMEOUT_MS too: a phrase of
    common words could otherwise hold a database core for seconds, for any visitor."""
    points = client.get(MAP, {"bbox": BADUNG_TOWN_BOX, "q": "Laporan"}).json()["points"]
    assert len(points) == 2
    monkeypatch.setattr(places, "MAP_LIVE_TIMEOUT_MS", 1)
    real = places.point_query
    monkeypatch.setattr(
        places, "point_query", lambda qs, box, limit: real(qs.extra(where=["pg_sleep(0.05) IS NOT NULL"]), box, limit)
    )
    body = client.get(MAP, {"bbox": BADUNG_TOWN_BOX, "q": "Laporan"}).json()
    assert body["more"] is True and body["points"] == [] and "Perbesar peta" in body["message"]
    with connection.cursor() as cursor:  # the test's transaction goes on, without the short timeout
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] != "1ms"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: advisory lock")
def test_a_second_refresh_while_one_runs_does_nothing(spread):
    other = connections.create_connection("default")  # another session holds the refresh's lock
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s)", [places.REFRESH_LOCK])
        assert places.refresh_map_cells() is None
        assert not MapCell.objects.exists() and not MapFacet.objects.exists()
        with other.cursor() as cursor:  # a closed session's locks are released some time after the close
            cursor.execute("SELECT pg_advisory_unlock(%s)", [places.REFRESH_LOCK])
    finally:
        other.close()
    assert places.refresh_map_cells() == len(python_grid())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: concurrent sessions")
@pytest.mark.django_db(transaction=True)
def test_readers_see_the_old_grid_while_a_refresh_writes(client, spread, monkeypatch):
    places.refresh_map_cells()
    before = clusters(client, bbox=COUNTRY_BOX)
    before_filtered = clusters(client, bbox=COUNTRY_BOX, klasifikasi="complaint")
    # The pins move: the live count (what an empty grid falls back to) would differ from the grid's.
    Report.objects.update(latitude=F("latitude") + 1)
    writing, go_on = threading.Event(), threading.Event()
    merge = places._merge

    def paused(cursor, table, new, keys):
        merge(cursor, table, new, keys)
        if table == "complaints_mapcell":  # MapCell written, MapFacet not yet, nothing committed
            writing.set()
            go_on.wait(30)

    monkeypatch.setattr(places, "_merge", paused)

    def refresh():
        try:
            places.refresh_map_cells()
        finally:
            connections.close_all()

    thread = threading.Thread(target=refresh)
    thread.start()
    try:
        assert writing.wait(30)
        assert clusters(client, bbox=COUNTRY_BOX) == before
        assert clusters(client, bbox=COUNTRY_BOX, klasifikasi="complaint") == before_filtered
    finally:
        go_on.set()
        thread.join(30)
    after = clusters(client, bbox=COUNTRY_BOX)
    assert after != before and sum(n for n, *_ in after) == len(PINS) - 1


# --- peta.json reads the list's filter (one definition), without the list's select options ---

LIST = "/laporan/"
BADUNG_TOWN_BOX = "115.16,-8.73,115.18,-8.71"  # pins 0 and 1 (and the Rahasia, unverified, removed ones)


def map_ids(client, **params) -> list:
    body = client.get(MAP, {"bbox": BADUNG_TOWN_BOX, **params}).json()
    assert body["clusters"] == []
    return sorted(p["id"] for p in body["points"])


def list_ids(client, **params) -> list:
    response = client.get(LIST, params)
    assert response.status_code == 200
    box = places.parse_box(BADUNG_TOWN_BOX)
    return sorted(
        r.tracking_no for r in response.context["page"] if r.latitude and places.inside(r.public_coordinates(), box)
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kategori": "parent"},
        {"kategori": "first"},
        {"kategori": "second"},
        {"klasifikasi": "aspiration"},
        {"status": "verified"},
        {"provinsi": "51"},
        {"provinsi": "34"},
        {"instansi": "pemkab-badung"},
        {"q": "Laporan 1"},
        {"dari": "2000-01-01", "sampai": "2999-12-31"},
        {"kategori": "parent", "provinsi": "51", "klasifikasi": "complaint"},
    ],
)
def test_the_map_filters_as_the_list_does(client, spread, tree, params):
    """The same query string selects the same reports on the map (points of a town) as in the list."""
    codes = {
        "parent": spread["categories"][0].parent.code,
        "first": spread["categories"][0].code,
        "second": spread["categories"][1].code,
    }
    if "kategori" in params:
        params = {**params, "kategori": codes[params["kategori"]]}
    assert map_ids(client, **params) == list_ids(client, **params)
    everything = map_ids(client)
    assert len(everything) == 2  # pins 0 and 1: never the Rahasia, unverified or removed report there


@pytest.mark.parametrize(
    "params", [{"kategori": "tidak-ada"}, {"provinsi": "99"}, {"dari": "kemarin"}, {"status": "removed"}]
)
def test_an_invalid_filter_is_refused_in_the_visitors_language_as_the_list_flags_it(client, spread, params):
    translation.activate(settings.LANGUAGE_CODE)  # a request to /en/ leaves English active in this thread
    field = next(iter(params))
    assert client.get(LIST, params).context["filter"].form.errors[field]  # the list says which field
    response = client.get(MAP, {"bbox": BADUNG_TOWN_BOX, **params})
    assert response.status_code == 400 and response.json() == {"error": "Saringan tidak valid."}
    response = client.get(f"/en{MAP}", {"bbox": BADUNG_TOWN_BOX, **params})
    assert response.status_code == 400 and response.json() == {"error": "Invalid filters."}
    translation.activate(settings.LANGUAGE_CODE)


def test_the_map_reads_its_filter_without_the_lists_select_options(
    client, spread, tree, monkeypatch, django_assert_max_num_queries
):
    """peta.json renders no form: it never builds the cached options of the list's selects (a first
    request per worker took 130-210 ms at 2M) nor looks up the chosen regency's districts."""

    def options():
        raise AssertionError("peta.json built the list's select options")

    monkeypatch.setattr("complaints.filters.filter_options", options)
    params = {"kategori": spread["categories"][0].parent.code, "provinsi": "51", "kabupaten": "51.03"}
    map_ids(client, **params)  # the regions and categories kept in the worker's memory (lapor/refcache)
    # One look-up per chosen category, province, regency; the box's points.
    with django_assert_max_num_queries(4):
        assert map_ids(client, **params) == sorted(r.tracking_no for r in spread["reports"][:2])
    monkeypatch.undo()
    badung = list_ids(client, instansi="pemkab-badung")
    monkeypatch.setattr("complaints.filters.filter_options", options)
    with django_assert_max_num_queries(2):  # the agency's look-up; the box's points
        assert map_ids(client, instansi="pemkab-badung") == badung


def test_a_category_means_itself_and_its_children(db):
    parent = Category.objects.filter(parent__isnull=False).order_by("pk").first().parent
    children = set(Category.objects.filter(parent=parent).values_list("pk", flat=True))
    assert set(category_ids(parent)) == {parent.pk, *children} and len(children) > 1
    child = Category.objects.get(pk=min(children))
    assert category_ids(child) == [child.pk]


def crowd_town(report, others: int, category) -> None:
    """`others` copies of a public report on its pin (a dense town centre), of another category, its title
    and filing time kept, and the table's statistics refreshed (thousands of make_report take minutes)."""
    crowd(
        report,
        others,
        tracking_no=f"'C{report.pk}-' || g",
        title='"title"',
        created_at='"created_at"',
        category_id=str(int(category.pk)),
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL: the planner's choice of index")
def test_a_category_in_a_crowded_town_reads_only_its_own_pins(spread):
    """A town centre holding 5,000 pins, two of them in the category (and its children), which is
    common elsewhere: the point query reads those two through report_public_map_category (the
    category ids and the box in the index condition, one range per id), not every pin of the box."""
    parent = spread["categories"][0].parent
    crowd_town(spread["reports"][0], 5000, Category.objects.exclude(pk__in=category_ids(parent)).first())
    crowd_town(spread["reports"][4], 5000, spread["categories"][0])  # the category is common elsewhere (Medan)
    with connection.cursor() as cursor:
        # The pins of this little table sit on two points, where the planner's estimates (each column
        # independent; a fixed share of the table for the GiST box) favour the map's other indexes; at
        # 2,000,000 reports it chooses this one by itself (bench/bench_map.py's EXPLAIN). Here the others
        # are dropped, in the test's transaction, to see what this one reads.
        cursor.execute("DROP INDEX report_public_map_gist, report_public_map")
    report_filter = ReportFilter({"kategori": parent.code}, queryset=Report.objects.public(), display=False)
    assert report_filter.form.is_valid()
    query = places.point_query(report_filter.qs, places.parse_box(BADUNG_TOWN_BOX))
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    plan = plan if isinstance(plan, list) else json.loads(plan)
    nodes, walked = [plan[0]["Plan"]], []
    while nodes:
        node = nodes.pop()
        nodes.extend(node.get("Plans", []))
        walked.append(node)
    scans = [node for node in walked if "Index Name" in node]  # an index scan, or the bitmap under a heap scan
    assert [scan["Index Name"] for scan in scans] == ["report_public_map_category"], plan
    assert "category_id = ANY" in scans[0]["Index Cond"] and "longitude" in scans[0]["Index Cond"], plan
    # The live rows read for the category's few entries of the box (the two public pins, and the
    # removed report the filter drops after), not the box's 5,000 others.
    read = sum(n.get("Actual Rows", 0) + n.get("Rows Removed by Filter", 0) for n in walked if "Filter" in n)
    assert read < 10, plan
    assert sorted(row[1] for row in query) == sorted(r.tracking_no for r in spread["reports"][:2])
