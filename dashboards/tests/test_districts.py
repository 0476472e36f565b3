"""The staff dashboard by district (#18 item 5): ?kecamatan= narrows every figure (the pre-aggregated
flows through DailyStat's kecamatan dimension, the live ones through the reports), the districts with
the most open reports in the scope, and the map of open reports — each only within what the viewer
may see, with query counts that do not grow with the reports."""

import datetime as dt
import json
from decimal import Decimal
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from agencies.models import District, Region, Sandbox
from complaints import workflow
from complaints.models import Report
from dashboards import aggregation
from dashboards.models import DailyStat

from .conftest import at

PERIOD = {"start": "2026-03-01", "end": "2026-03-31"}
URL = reverse("dashboards:dashboard")
PIN = {"latitude": Decimal("-8.723456"), "longitude": Decimal("115.171234")}


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """The live figures are cached under the newest event's id, which a rolled-back test gives again."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dists"}}
    cache.clear()


def _get(client, user, **params):
    client.force_login(user)
    return client.get(URL, {**PERIOD, **params})


def _points(response) -> list[dict]:
    html = response.content.decode()
    start = html.index('data-points="') + len('data-points="')
    return json.loads(unescape(html[start : html.index('"', start)]))


@pytest.fixture
def kuta(areas):
    return District.objects.get(pk="51.03.01")


@pytest.fixture
def mengwi(areas):
    return District.objects.get(pk="51.03.02")


@pytest.fixture
def sleman_report(make_report, tree, areas):
    """make_sleman(**overrides): a report held by Pemkab Sleman, in Gamping."""
    regency = Region.objects.get(code="34.04")

    def make(**overrides):
        return make_report(
            province=regency.parent,
            regency=regency,
            kecamatan=District.objects.get(pk="34.04.01"),
            suggested_agency=tree["sleman"],
            **overrides,
        )

    return make


def test_flows_and_live_figures_filter_by_district(client, head, life, rebuild, kuta, mengwi):
    for day in (2, 3):
        life(at(dt.date(2026, 3, day)), "accepted", kecamatan=kuta)
    life(at(dt.date(2026, 3, 4)), "submitted", kecamatan=mengwi)
    life(at(dt.date(2026, 3, 5)), "submitted")  # no district
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert DailyStat.objects.filter(kecamatan=kuta, received__gt=0).exists()  # the dimension is written

    everything = _get(client, head).context["figures"]
    assert everything["totals"]["received"] == 4
    in_kuta = _get(client, head, kecamatan="51.03.01")
    figures = in_kuta.context["figures"]
    assert (figures["totals"]["received"], figures["totals"]["completed"]) == (2, 2)
    assert sum(row["count"] for row in figures["funnel"]) == 2  # live: filed in the period, in Kuta
    assert sum(row["count"] for row in figures["backlog"]) == 0  # Kuta's two are closed
    html = in_kuta.content.decode()
    assert '<option value="51.03.01" selected>Kuta</option>' in html  # Badung's districts offered
    assert "Hanya laporan di Kecamatan Kuta." in html
    # The figures' links carry the district to the admin list behind them.
    assert "kecamatan=51.03.01" in figures["links"]["received"]


def test_top_districts_by_open_reports_in_the_scope_only(
    client, head, national_admin, make_report, sleman_report, kuta, mengwi
):
    for _i in range(2):
        make_report(kecamatan=kuta)
    make_report(kecamatan=mengwi)
    closed = make_report(kecamatan=mengwi)
    workflow.remove(closed, by=national_admin, reason="spam")
    for _i in range(3):
        sleman_report()  # Gamping, outside Badung's subtree
    make_report()  # no district: not counted

    rows = _get(client, head).context["figures"]["top_districts"]
    assert [(r["name"], r["regency"], r["count"]) for r in rows] == [
        ("Kuta", "Kabupaten Badung", 2),
        ("Mengwi", "Kabupaten Badung", 1),
    ]
    assert "kecamatan=51.03.01" in rows[0]["link"] and "status__in=submitted" in rows[0]["link"]
    national = _get(client, national_admin).context["figures"]["top_districts"]
    assert [(r["code"], r["count"]) for r in national] == [("34.04.01", 3), ("51.03.01", 2), ("51.03.02", 1)]


def test_a_wide_scope_takes_a_district_code_and_says_when_it_is_unknown(client, national_admin, make_report, kuta):
    make_report(kecamatan=kuta, title="Di Kuta")
    make_report(title="Tanpa kecamatan")
    response = _get(client, national_admin, kecamatan="51.03.01")
    html = response.content.decode()
    assert 'name="kecamatan" id="id_kecamatan" value="51.03.01"' in html  # a text box, not 7,000 options
    assert html.count("<option") < 50
    assert sum(row["count"] for row in response.context["figures"]["backlog"]) == 1
    unknown = _get(client, national_admin, kecamatan="99.99.99")
    assert "Kode kecamatan ini tidak dikenal; ditampilkan semua kecamatan." in unknown.content.decode()
    assert sum(row["count"] for row in unknown.context["figures"]["backlog"]) == 2


def test_the_export_follows_the_district(client, head, life, rebuild, kuta):
    life(at(dt.date(2026, 3, 2)), "accepted", kecamatan=kuta)
    life(at(dt.date(2026, 3, 3)), "accepted")
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    client.force_login(head)
    response = client.get(reverse("dashboards:export_csv"), {**PERIOD, "kecamatan": "51.03.01"})
    assert "51.03.01" in response["Content-Disposition"]


# --- The map of open reports: who sees which points ---


@pytest.fixture
def mapped(make_report, sleman_report, national_admin, tree, kuta):
    """Open pinned reports: Badung's (one Rahasia, one Anonim), Dinkes Badung's, Sleman's, a closed
    one and a practice one in Badung's training sandbox."""
    make_report(title="Badung", kecamatan=kuta, **PIN)
    make_report(title="Rahasia Badung", is_confidential=True, **PIN)
    make_report(title="Anonim Badung", is_anonymous=True, **PIN)
    dinkes = make_report(title="Dinkes", **PIN)
    workflow.verify(dinkes, by=national_admin)
    workflow.dispatch(dinkes, by=national_admin, to_agency=tree["dinkes"])
    sleman_report(title="Sleman", latitude=Decimal("-7.77"), longitude=Decimal("110.33"))
    closed = make_report(title="Ditutup", **PIN)
    workflow.remove(closed, by=national_admin, reason="spam")
    practice = make_report(title="Latihan", **PIN)
    Report.objects.filter(pk=practice.pk).update(sandbox=Sandbox.objects.create(agency=tree["badung"], name="Bimtek"))


BADUNG = {"Badung", "Rahasia Badung", "Anonim Badung", "Dinkes"}


@pytest.mark.parametrize(
    "who, params, seen",
    [
        ("head", {}, BADUNG),
        ("agency_admin", {}, BADUNG),
        ("parent_admin", {}, BADUNG),  # Bali's subtree holds Badung's
        ("sibling_admin", {}, {"Sleman"}),
        ("national_admin", {}, BADUNG | {"Sleman"}),
        ("supervisor", {}, BADUNG | {"Sleman"}),
        ("head", {"kecamatan": "51.03.01"}, {"Badung"}),
        ("head", {"kecamatan": "34.04.01"}, set()),  # a district outside the scope holds none of it
        ("sibling_admin", {"kecamatan": "51.03.01"}, set()),
    ],
)
def test_map_points_follow_the_viewers_scope(client, request, mapped, who, params, seen):
    response = _get(client, request.getfixturevalue(who), **params)
    assert response.status_code == 200
    points = {p["title"]: p for p in _points(response)}
    assert set(points) == seen  # never closed or practice reports
    if "Anonim Badung" in points:  # coarsened for every staff role: nobody's map shows the doorstep
        assert (points["Anonim Badung"]["lat"], points["Anonim Badung"]["lng"]) == (-8.723, 115.171)
        assert points["Badung"]["lat"] == -8.723456


@pytest.mark.parametrize("who", ["unit_admin", "liaison", "citizen"])
def test_map_is_not_served_to_roles_without_a_dashboard(client, request, mapped, who):
    assert _get(client, request.getfixturevalue(who)).status_code == 404


def test_another_agencys_points_are_404_by_changing_the_address(client, head, sibling_admin, mapped, tree):
    assert _get(client, head, agency=tree["sleman"].pk).status_code == 404
    assert _get(client, sibling_admin, agency=tree["badung"].pk).status_code == 404
    assert _get(client, head, agency=tree["dinkes"].pk).status_code == 200  # below the head's own


@pytest.mark.parametrize("district", ["", "51.03.01"])
def test_district_figures_query_count_does_not_grow_with_reports_or_districts(
    client, head, make_report, areas, django_assert_max_num_queries, district
):
    badung = list(District.objects.filter(regency_id="51.03").order_by("code"))

    def grow(n, spread):
        for i in range(n):
            make_report(kecamatan=badung[i % spread], **PIN)

    grow(2, 1)
    client.force_login(head)
    # The uncached page: session, user, second-factor device, memberships, Badung's districts, the figure
    # queries (flows from DailyStat; funnel, backlog and top districts from the reports), the map's
    # points, the largest clusters — the same at 2 reports in one district and 14 in six.
    with django_assert_max_num_queries(30) as first:
        assert client.get(URL, {**PERIOD, "kecamatan": district}).status_code == 200
    grow(12, 6)
    aggregation.bump_generation()
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(URL, {**PERIOD, "kecamatan": district})
    rows = response.context["figures"]["top_districts"]
    assert [r["count"] for r in rows] == ([4] if district else [4, 2, 2, 2, 2, 2])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_the_top_districts_are_named_after_counting_not_every_district(head, make_report, kuta, mengwi):
    """The open reports are counted per district first; only the districts kept are read for their names,
    not every district of the country (7,277 read and hashed on each count: 0.9 ms of 1.1 at 100,000
    reports)."""
    from django.test.utils import CaptureQueriesContext

    from complaints import places
    from complaints.models import OPEN_STATUSES
    from dashboards.figures import Scope, reports_for

    for _i in range(2):
        make_report(kecamatan=kuta)
    make_report(kecamatan=mengwi)
    open_reports = reports_for(Scope(head.memberships.get().agency)).filter(status__in=OPEN_STATUSES)
    with CaptureQueriesContext(connection) as ctx:
        rows = places.top_districts(open_reports, limit=1)
    assert [(r["name"], r["regency"], r["count"]) for r in rows] == [("Kuta", "Kabupaten Badung", 2)]
    (statement,) = ctx.captured_queries
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + statement["sql"])
        (plan,) = cursor.fetchone()
    read = []

    def walk(node):
        if node.get("Relation Name") == District._meta.db_table:
            read.append(node["Actual Rows"] * node.get("Actual Loops", 1) + node.get("Rows Removed by Filter", 0))
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    assert District.objects.count() > 1000 and read and sum(read) <= 1
