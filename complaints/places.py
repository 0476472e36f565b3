"""Where a report happened: the Kemendagri areas (province → regency → district → village), map pins,
and the public's view of them.

One place for each rule: `check_areas` (a district inside its regency, a village inside its district,
for every channel), `region_for_point` (a pin fills an empty region from the reference data's nearest
point, no geocoding service), `public_point` (an Anonim report's pin coarsened wherever the public sees it),
`in_box`/`map_points` (the public map's bounding-box query) and `nearby` ("near me": open public
reports near a pin or in the same village, also for the duplicate suggestions).
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.db import connection
from django.db.models import Avg, Case, Count, F, FloatField, Q, Sum, When
from django.db.models.functions import Cast, Floor, Round
from django.utils.translation import gettext as _

from agencies.models import District, Region, RegionPoint, Village

from .models import OPEN_STATUSES, Report

# Three decimal places are about 110 m: a block rather than the reporter's doorstep.
ANONYMOUS_PLACES = 3
EXACT_PLACES = 6
EARTH_RADIUS_M = 6_371_000
METRES_PER_DEGREE = 111_320
# The bounding-box and radius queries look this much further (more than half of the Anonim rounding
# step) and then test the *public* point, so what is found never depends on an Anonim exact pin: a
# tiny box or radius probe cannot locate it more closely than the coarsened point shows.
COARSE_MARGIN = 0.0006
MAP_POINT_LIMIT = 500
# The widest viewport (square degrees, about 15 × 15 km) answered with single points; a wider one, or
# one holding more than MAP_POINT_LIMIT points, is answered with clusters counted on a grid in SQL
# (map_clusters). Measured at 2M reports in bench/bench_map.py (docs/benchmarks.md).
MAP_MAX_AREA = 0.02
# Clusters: the box's longer side is cut into about MAP_GRID cells of a size taken from MAP_CELL_SIZES
# (anchored at 0°, so a cell is the same cell whatever the viewport), so an answer has at most
# MAP_MAX_CELLS cells.
MAP_GRID = 12
MAP_CELL_SIZES = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0)
MAP_MAX_CELLS = (2 * MAP_GRID + 2) ** 2
MAX_RADIUS_M = 50_000


class AreaError(ValueError):
    """A district or village that is not inside the chosen regency or district (message translated);
    `field` names the choice at fault: "kelurahan", "kecamatan" or "regency"."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


def coarsen(latitude, longitude, anonymous: bool) -> tuple[float | None, float | None]:
    """The coordinates the public may see: exact (six places), or for an Anonim report about 110 m."""
    places = ANONYMOUS_PLACES if anonymous else EXACT_PLACES
    return tuple(None if v is None else round(float(v), places) for v in (latitude, longitude))


def public_point(report) -> tuple[float | None, float | None]:
    return coarsen(report.latitude, report.longitude, report.is_anonymous)


def check_areas(*, province=None, regency=None, kecamatan=None, kelurahan=None):
    """Fill the coarser levels from the finer ones and check that each lies inside the next.

    Returns (province, regency, kecamatan, kelurahan); raises AreaError with a message in the user's
    language when a choice is not inside another."""
    if kelurahan is not None:
        if kecamatan is None:
            kecamatan = kelurahan.district
        elif kelurahan.district_id != kecamatan.pk:
            raise AreaError(
                _("%(village)s tidak berada di Kecamatan %(district)s.")
                % {"village": kelurahan.name, "district": kecamatan.name},
                "kelurahan",
            )
    if kecamatan is not None:
        if regency is None:
            regency = kecamatan.regency
        elif kecamatan.regency_id != regency.pk:
            raise AreaError(
                _("Kecamatan %(district)s tidak berada di %(regency)s.")
                % {"district": kecamatan.name, "regency": regency.name},
                "kecamatan",
            )
    if regency is not None:
        if province is None:
            province = regency.parent
        elif regency.parent_id != province.pk:
            raise AreaError(
                _("%(regency)s tidak berada di Provinsi %(province)s.")
                % {"regency": regency.name, "province": province.name},
                "regency",
            )
    return province, regency, kecamatan, kelurahan


def areas_from_codes(district_code: str = "", village_code: str = ""):
    """(District or None, Village or None) for API/Open311 codes; AreaError for an unknown code."""
    kecamatan = kelurahan = None
    if village_code:
        kelurahan = Village.objects.select_related("district__regency__parent").filter(pk=village_code).first()
        if kelurahan is None:
            raise AreaError(_("Kode kelurahan/desa %(code)s tidak dikenal.") % {"code": village_code}, "kelurahan")
    if district_code:
        kecamatan = District.objects.select_related("regency__parent").filter(pk=district_code).first()
        if kecamatan is None:
            raise AreaError(_("Kode kecamatan %(code)s tidak dikenal.") % {"code": district_code}, "kecamatan")
    return kecamatan, kelurahan


# How far from a pin its region's nearest reference point may be (degrees): near enough for the
# sparse interior of Papua, far enough that a pin out at sea fills nothing.
POINT_SEARCH_STEPS = (0.1, 0.3, 1.0)


def region_for_point(latitude, longitude) -> Region | None:
    """The region of the reference point (agencies.RegionPoint: a GeoNames town or an island) nearest to
    the pin: a regency, or a province where the source names none (Jakarta); None when no point is
    within a degree. Indexed box queries, widened step by step; never a guess of a district or village."""
    if latitude is None or longitude is None:
        return None
    lat, lng = float(latitude), float(longitude)
    scale = max(math.cos(math.radians(lat)), 0.01)
    for step in POINT_SEARCH_STEPS:
        points = RegionPoint.objects.filter(
            latitude__range=(lat - step, lat + step), longitude__range=(lng - step, lng + step)
        ).values_list("region_id", "latitude", "longitude")
        nearest = min(points, key=lambda p: (p[1] - lat) ** 2 + ((p[2] - lng) * scale) ** 2, default=None)
        # Only trusted inside the circle the box holds (a nearer point may lie just outside a corner).
        if nearest is not None and math.hypot(nearest[1] - lat, (nearest[2] - lng) * scale) <= step:
            return Region.objects.select_related("parent").get(pk=nearest[0])
    return None


def province_and_regency(region: Region | None) -> tuple[Region | None, Region | None]:
    """(province, regency) of region_for_point's answer; the regency None for a province's point."""
    if region is None:
        return None, None
    if region.level == Region.Level.PROVINCE:
        return region, None
    return region.parent, region


def parse_box(text: str) -> tuple[float, float, float, float] | None:
    """'west,south,east,north' (Leaflet's toBBoxString) → (south, west, north, east), or None."""
    try:
        west, south, east, north = (float(part) for part in (text or "").split(","))
    except ValueError:
        return None
    if not (-90 <= south <= north <= 90 and -180 <= west <= east <= 180):
        return None
    return south, west, north, east


def in_box(qs, box, margin: float = COARSE_MARGIN):
    """Reports with a pin inside the box widened by `margin`; on public() served by the
    report_public_map index. Callers then test the public point (`inside`)."""
    south, west, north, east = (v + d for v, d in zip(box, (-margin, -margin, margin, margin), strict=True))
    qs = qs.filter(
        latitude__gte=Decimal(f"{south:.6f}"),
        latitude__lte=Decimal(f"{north:.6f}"),
        longitude__gte=Decimal(f"{west:.6f}"),
        longitude__lte=Decimal(f"{east:.6f}"),
    )
    if connection.vendor == "postgresql":
        # The same box for the GiST index of migration 0019 (a btree on two ranges scans a whole band).
        qs = qs.extra(
            where=["point(longitude::float8, latitude::float8) <@ box(point(%s, %s), point(%s, %s))"],
            params=[west, south, east, north],
        )
    return qs


def inside(point, box) -> bool:
    south, west, north, east = box
    return south <= point[0] <= north and west <= point[1] <= east


def map_points(qs, box, limit: int = MAP_POINT_LIMIT, *, filtered: bool = True) -> dict:
    """The public map's answer for a box (the caller passes a queryset built on public()): up to `limit`
    points, newest first, when the box is at most MAP_MAX_AREA and holds no more than `limit`;
    otherwise clusters counted on a grid (map_clusters; `filtered=False` says `qs` is public() itself,
    so a wide box may be answered from the precounted MapCell grid). Anonim pins are coarsened here,
    before they leave the server."""
    south, west, north, east = box
    if (north - south) * (east - west) <= MAP_MAX_AREA:
        rows = (
            in_box(qs, box)
            .order_by("-created_at")
            .values_list("tracking_no", "title", "status", "latitude", "longitude", "is_anonymous")[: limit + 1]
        )
        points = []
        for tracking, title, status, *exact in rows:
            point = coarsen(*exact)
            if inside(point, box):
                points.append({"id": tracking, "title": title, "status": status, "lat": point[0], "lng": point[1]})
        if len(rows) <= limit:
            return {"points": points, "clusters": [], "more": False}
    if not filtered and cell_size(box) >= GRID_SIZES[0]:
        counted = grid_clusters(box)
        if counted is not None:
            return {"points": [], **counted, "more": False}
    return {"points": [], **map_clusters(qs, box), "more": False}


def cell_size(box) -> float:
    """The grid's cell (degrees) for a box: the smallest of MAP_CELL_SIZES that cuts the box's longer
    side into at most MAP_GRID cells."""
    south, west, north, east = box
    span = max(north - south, east - west) / MAP_GRID
    return next((size for size in MAP_CELL_SIZES if size >= span), MAP_CELL_SIZES[-1])


def map_clusters(qs, box) -> dict:
    """The reports of `qs` (built on public()) in the box, counted per grid cell in one SQL GROUP BY
    over the box's rows (found through the map's index). Everything is computed from the *public*
    point — an Anonim pin coarsened as by `coarsen` — the cell, the test that the point is inside the
    box and the cluster's centre (the mean of its public points), so a cluster of one Anonim report
    shows its coarsened point and never its exact one. At most MAP_MAX_CELLS cells."""
    size = cell_size(box)
    clusters = [_cluster(row, col, size, count, lat, lng) for row, col, count, lat, lng in cluster_query(qs, box, size)]
    return {"clusters": clusters, "cell": size}


def _cluster(row: int, col: int, size: float, count: int, lat: float, lng: float) -> dict:
    return {
        "count": count,
        "lat": round(lat, EXACT_PLACES),
        "lng": round(lng, EXACT_PLACES),
        # The cell, for the map to zoom into: south, west, north, east.
        "cell": [round(row * size, 6), round(col * size, 6), round((row + 1) * size, 6), round((col + 1) * size, 6)],
    }


# The precounted grid's cell sizes (degrees); every MAP_CELL_SIZES size from the first up is a whole
# multiple of one of them.
GRID_SIZES = (0.01, 0.1, 1.0)


def _public_point_expressions():
    """The public point in SQL, as `coarsen` computes it: exact, or rounded for an Anonim report."""
    return {
        name: Cast(
            Case(
                When(is_anonymous=True, then=Round(name, ANONYMOUS_PLACES)), default=F(name), output_field=FloatField()
            ),
            FloatField(),
        )
        for name in ("latitude", "longitude")
    }


def refresh_map_cells() -> int:
    """Count the public reports with a pin per cell of each GRID_SIZES size, from their public points,
    and replace the MapCell table in one transaction (what wide, unfiltered map views read). One GROUP
    BY over public() at the finest size; the coarser sizes are summed from it. Returns the cells written."""
    from django.db import transaction

    from .models import MapCell

    point = _public_point_expressions()
    base = GRID_SIZES[0]
    finest = (
        Report.objects.public()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .order_by()
        .alias(plat=point["latitude"], plng=point["longitude"])
        .values(row=Floor(F("plat") / base), col=Floor(F("plng") / base))
        .annotate(count=Count("pk"), sum_lat=Sum("plat"), sum_lng=Sum("plng"))
        .values_list("row", "col", "count", "sum_lat", "sum_lng")
    )
    levels = {size: {} for size in GRID_SIZES}
    for row, col, count, sum_lat, sum_lng in finest:
        for size in GRID_SIZES:
            k = round(size / base)
            key = (int(row) // k, int(col) // k)
            cell = levels[size].setdefault(key, [0, 0.0, 0.0])
            cell[0] += count
            cell[1] += sum_lat
            cell[2] += sum_lng
    cells = [
        MapCell(size=Decimal(str(size)), row=row, col=col, count=n, sum_lat=sum_lat, sum_lng=sum_lng)
        for size, grid in levels.items()
        for (row, col), (n, sum_lat, sum_lng) in grid.items()
    ]
    with transaction.atomic():
        MapCell.objects.all().delete()
        MapCell.objects.bulk_create(cells, batch_size=5000)
    return len(cells)


def forget_map_point(point) -> None:
    """A report whose public point `point` (lat, lng) the grid may count left public() (Rahasia,
    removed, deleted…) or moved: when the transaction commits, its cells are recounted
    (recount_map_cells), in-process, so no broker and no 15-minute wait keeps it on the map."""
    from django.db import transaction

    transaction.on_commit(lambda: recount_map_cells(point))


def recount_map_cells(point) -> None:
    """Count again, exactly from public(), the MapCell cells of every GRID_SIZES size holding `point`
    (as refresh_map_cells counts them: the finest cell from the public point in SQL, the coarser ones
    made of whole finest cells); a cell left empty is deleted. Only cells already in the grid are
    written (an empty grid stays empty: the live query answers then). A database error is logged and
    left to the next refresh: it never fails the action that committed."""
    import logging

    from django.db import transaction

    from .models import MapCell

    base = GRID_SIZES[0]
    lat, lng = float(point[0]), float(point[1])
    # Both neighbours of a point on a cell's edge (float rounding may put it on either side in SQL).
    finest = {
        (math.floor((lat + d) / base), math.floor((lng + e) / base)) for d in (-1e-9, 0, 1e-9) for e in (-1e-9, 0, 1e-9)
    }
    try:
        with transaction.atomic():
            for size in GRID_SIZES:
                k = round(size / base)
                for row, col in {(r // k, c // k) for r, c in finest}:
                    count, sum_lat, sum_lng = _count_cell(row, col, k)
                    cell = MapCell.objects.filter(size=Decimal(str(size)), row=row, col=col)
                    if count:
                        cell.update(count=count, sum_lat=sum_lat, sum_lng=sum_lng)
                    else:
                        cell.delete()
    except Exception:  # a DatabaseError above all; the action has committed, whatever happens here
        logging.getLogger(__name__).exception(
            "Recounting the map grid around %s failed; the next refresh counts them", point
        )


def _count_cell(row: int, col: int, k: int) -> tuple[int, float, float]:
    """(count, sum of public lat, sum of public lng) of the public reports in the cell made of the k × k
    finest cells from (row·k, col·k): a box query through the map's index."""
    base = GRID_SIZES[0]
    point = _public_point_expressions()
    box = (row * k * base, col * k * base, (row + 1) * k * base, (col + 1) * k * base)
    totals = (
        in_box(Report.objects.public().filter(latitude__isnull=False, longitude__isnull=False), box)
        .order_by()
        .alias(plat=point["latitude"], plng=point["longitude"])
        .alias(frow=Floor(F("plat") / base), fcol=Floor(F("plng") / base))
        .filter(frow__gte=row * k, frow__lt=(row + 1) * k, fcol__gte=col * k, fcol__lt=(col + 1) * k)
        .aggregate(count=Count("pk"), sum_lat=Sum(point["latitude"]), sum_lng=Sum(point["longitude"]))
    )
    return totals["count"], totals["sum_lat"] or 0.0, totals["sum_lng"] or 0.0


def grid_clusters(box) -> dict | None:
    """map_clusters for public() as a whole, from the MapCell grid (refreshed by beat every 15 minutes): the
    cells of the finest grid size that divides the box's cell size and meet the box, summed into
    cells of that size; a few thousand rows at most whatever the box, through the grid's unique index.
    None when the grid was never filled (then the live query answers)."""
    from .models import MapCell

    size = cell_size(box)
    level = max(g for g in GRID_SIZES if size >= g and abs(size / g - round(size / g)) < 1e-9)
    k = round(size / level)
    south, west, north, east = box
    rows = MapCell.objects.filter(
        size=Decimal(str(level)),
        row__gte=math.floor(south / level),
        row__lte=math.floor(north / level),
        col__gte=math.floor(west / level),
        col__lte=math.floor(east / level),
    ).values_list("row", "col", "count", "sum_lat", "sum_lng")
    cells = {}
    for row, col, count, sum_lat, sum_lng in rows:
        cell = cells.setdefault((row // k, col // k), [0, 0.0, 0.0])
        cell[0] += count
        cell[1] += sum_lat
        cell[2] += sum_lng
    if not cells and not MapCell.objects.exists():
        return None
    biggest = sorted(cells.items(), key=lambda item: (-item[1][0], item[0]))[:MAP_MAX_CELLS]
    clusters = [_cluster(row, col, size, n, sum_lat / n, sum_lng / n) for (row, col), (n, sum_lat, sum_lng) in biggest]
    return {"clusters": clusters, "cell": size}


def cluster_query(qs, box, size: float | None = None):
    """map_clusters' query: (row, col, count, mean public lat, mean public lng) per cell."""
    size = size or cell_size(box)
    south, west, north, east = box
    point = _public_point_expressions()
    return (
        in_box(qs, box)
        .order_by()
        .alias(plat=point["latitude"], plng=point["longitude"])
        .filter(plat__gte=south, plat__lte=north, plng__gte=west, plng__lte=east)
        .values(row=Floor(F("plat") / size), col=Floor(F("plng") / size))
        .annotate(count=Count("pk"), lat=Avg("plat"), lng=Avg("plng"))
        .order_by("-count", "row", "col")  # the biggest clusters when there are more cells than shown
        .values_list("row", "col", "count", "lat", "lng")[:MAP_MAX_CELLS]
    )


def distance_m(lat1, lng1, lat2, lng2) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def box_around(latitude, longitude, radius_m: float) -> tuple[float, float, float, float]:
    lat, lng = float(latitude), float(longitude)
    dlat = radius_m / METRES_PER_DEGREE
    dlng = radius_m / (METRES_PER_DEGREE * max(math.cos(math.radians(lat)), 0.01))
    return lat - dlat, lng - dlng, lat + dlat, lng + dlng


def within_radius(qs, latitude, longitude, radius_m: float, limit: int):
    """Reports of `qs` whose pin is within radius_m of the point, nearest first, at most `limit`:
    the box around the circle in SQL (indexed), the distance to each public point in Python on at most
    10×limit rows."""
    radius_m = min(float(radius_m), MAX_RADIUS_M)
    candidates = in_box(qs, box_around(latitude, longitude, radius_m))[: limit * 10]
    found = [(distance_m(latitude, longitude, *public_point(r)), r) for r in candidates]
    return [r for d, r in sorted(found, key=lambda pair: pair[0]) if d <= radius_m][:limit]


def nearby(*, latitude=None, longitude=None, kelurahan=None, radius_m: float = 500, limit: int = 5, exclude=None):
    """Open public reports near a pin (within radius_m) or, without a pin, in the same village: what a
    citizen sees before filing ("Laporan serupa di sekitar") and what duplicate checks can reuse."""
    qs = Report.objects.public().filter(status__in=OPEN_STATUSES).select_related("regency")
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    if latitude is not None and longitude is not None:
        return within_radius(qs.order_by(), latitude, longitude, radius_m, limit)
    if kelurahan is not None:
        return list(qs.filter(kelurahan=kelurahan).order_by("-created_at")[:limit])
    return []


STAFF_MAP_LIMIT = 300


def pin_summary(report) -> dict | None:
    """The staff's text of a report's pin, readable without the map (screen readers, tiles that fail to
    load): "-8.723456, 115.171234 — Kuta, Tuban" and a link to the point on a map site
    (settings.LAPOR_MAP_LINK_URL). The exact point: only for staff who may see the report."""
    from django.conf import settings

    if report.latitude is None or report.longitude is None:
        return None
    lat, lng = coarsen(report.latitude, report.longitude, anonymous=False)
    areas = ", ".join(a.name for a in (report.kecamatan, report.kelurahan) if a is not None)
    return {
        "lat": lat,
        "lng": lng,
        "text": f"{lat}, {lng}" + (f" — {areas}" if areas else ""),
        "link": settings.LAPOR_MAP_LINK_URL.format(lat=lat, lng=lng),
        "points": [{"lat": lat, "lng": lng, "title": report.title}],
    }


def staff_map_points(qs, limit: int = STAFF_MAP_LIMIT) -> list[dict]:
    """The newest `limit` reports of `qs` (already scoped to the staff member) that have a pin, for a
    dashboard map; Anonim pins coarsened as for the public (a head needs the block, not the doorstep)."""
    from django.urls import reverse

    rows = (
        qs.filter(latitude__isnull=False)
        .order_by("-created_at")
        .values_list("pk", "title", "latitude", "longitude", "is_anonymous")[:limit]
    )
    return [
        {"title": title, "lat": point[0], "lng": point[1], "url": reverse("admin:complaints_report_change", args=[pk])}
        for pk, title, *exact in rows
        for point in [coarsen(*exact)]
    ]


TOP_DISTRICTS = 10


def top_districts(qs, limit: int = TOP_DISTRICTS) -> list[dict]:
    """The districts holding the most reports of `qs` (already scoped to the viewer), most first: one
    grouped query; reports without a district are not counted."""
    rows = (
        qs.filter(kecamatan__isnull=False)
        .values("kecamatan", "kecamatan__name", "kecamatan__regency__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "kecamatan")[:limit]
    )
    names = {"code": "kecamatan", "name": "kecamatan__name", "regency": "kecamatan__regency__name", "count": "n"}
    return [{key: r[column] for key, column in names.items()} for r in rows]


def area_filter(kecamatan_code: str = "", kelurahan_code: str = "") -> Q:
    """The list/map/queue filter by district or village code."""
    q = Q()
    if kecamatan_code:
        q &= Q(kecamatan_id=kecamatan_code)
    if kelurahan_code:
        q &= Q(kelurahan_id=kelurahan_code)
    return q
