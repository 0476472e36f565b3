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

from django.db import connection, connections
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
    """'west,south,east,north' (the public map's bbox, static/js/report_map.js) → (south, west, north,
    east), or None."""
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


def point_query(qs, box, limit: int = MAP_POINT_LIMIT):
    """The rows a point view reads (map_points): at most limit + 1 of the box, in no order, so the index
    stops there instead of sorting every pin of a crowded box (a town centre holds thousands); the
    caller sorts at most `limit` of them, newest first. bench/bench_map.py explains this query."""
    return (
        in_box(qs, box)
        .order_by()
        .values_list("created_at", "tracking_no", "title", "status", "latitude", "longitude", "is_anonymous")[
            : limit + 1
        ]
    )


def map_points(
    qs,
    box,
    limit: int = MAP_POINT_LIMIT,
    *,
    filtered: bool = True,
    grid_filter: dict | None = None,
    searched: bool = False,
) -> dict:
    """The public map's answer for a box (the caller passes a queryset built on public()): up to `limit`
    points, newest first, when the box is at most MAP_MAX_AREA and holds no more than `limit`;
    otherwise clusters counted on a grid. Without filters (`filtered=False`: `qs` is public() itself)
    a wide box is answered from the precounted MapCell grid; with a filter MapFacet can answer
    (`grid_filter`, from `facet_scope`) from MapFacet; otherwise live, over at most MAP_LIVE_ROWS
    reports of the box (map_clusters): a box holding more answers no clusters and a message asking to
    zoom in or refine the filters (`more`); so does a text search (`searched`) whose points take longer
    than MAP_LIVE_TIMEOUT_MS. Anonim pins are coarsened here, before they leave the server."""
    south, west, north, east = box
    if (north - south) * (east - west) <= MAP_MAX_AREA:
        # A text search's points are read within MAP_LIVE_TIMEOUT_MS, as its live count is: a phrase of
        # common words, even in a small box, could otherwise hold a database core for seconds.
        read = lambda: list(point_query(qs, box, limit))  # noqa: E731
        rows = within_live_timeout(read) if searched else read()
        if rows is None:
            return {"points": [], "clusters": [], "cell": cell_size(box), "more": True, "message": _too_many()}
        if len(rows) <= limit:
            points = []
            for _created, tracking, title, status, *exact in sorted(rows, key=lambda r: (r[0], r[1]), reverse=True):
                point = coarsen(*exact)
                if inside(point, box):
                    points.append({"id": tracking, "title": title, "status": status, "lat": point[0], "lng": point[1]})
            return {"points": points, "clusters": [], "more": False}
    if not filtered and cell_size(box) >= GRID_SIZES[0]:
        counted = grid_clusters(box)
        if counted is not None:
            return {"points": [], **counted, "more": False}
    if filtered and grid_filter is not None:
        counted = facet_clusters(box, grid_filter)
        if counted is not None:
            return {"points": [], **counted, "more": False}
    if filtered:
        counted = bounded_clusters(qs, box)
        if counted is None:
            return {"points": [], "clusters": [], "cell": cell_size(box), "more": True, "message": _too_many()}
        return {"points": [], **counted, "more": False}
    return {"points": [], **map_clusters(qs, box), "more": False}


# A filtered view that MapFacet cannot answer is counted live over at most this many reports of its
# box, and within MAP_LIVE_TIMEOUT_MS on PostgreSQL; beyond either it answers "zoom in or refine".
MAP_LIVE_ROWS = 20_000
MAP_LIVE_TIMEOUT_MS = 300
# The list's filters MapFacet counts (one facet at a time, with or without a province).
FACET_FILTERS = {"klasifikasi", "kategori", "status", "kabupaten", "provinsi"}


def facet_scope(cleaned: dict) -> dict | None:
    """The list's filter (the filter form's cleaned_data) as MapFacet can count it: {"facet", "values"
    (None: every value), "province" (a code or None)}; None when it cannot (a text search, dates,
    agency, district, or two facets at once), then the view is counted live (bounded_clusters)."""
    from .filters import category_ids
    from .models import MapFacet

    chosen = {name: value for name, value in cleaned.items() if value not in (None, "", [])}
    if set(chosen) - FACET_FILTERS:
        return None
    facets = []
    if "klasifikasi" in chosen:
        facets.append((MapFacet.Facet.CLASSIFICATION, [chosen["klasifikasi"]]))
    if "status" in chosen:
        facets.append((MapFacet.Facet.STATUS, [chosen["status"]]))
    if "kabupaten" in chosen:
        facets.append((MapFacet.Facet.REGENCY, [chosen["kabupaten"].pk]))
    if "kategori" in chosen:  # the category and its children, as the list's filter
        facets.append((MapFacet.Facet.CATEGORY, [str(pk) for pk in category_ids(chosen["kategori"])]))
    if len(facets) > 1:
        return None
    # A province alone: the classification facet summed (every report has exactly one).
    facet, values = facets[0] if facets else (MapFacet.Facet.CLASSIFICATION, None)
    province = chosen.get("provinsi")
    return {"facet": facet, "values": values, "province": province.pk if province else None}


def facet_clusters(box, scope: dict) -> dict | None:
    """map_clusters for public() filtered as `scope` says (facet_scope), from MapFacet: its rows of the
    finest FACET_SIZES size that divides the box's cell size and meet the box, summed per cell in SQL
    through the unique index. A box whose cells would be finer than FACET_SIZES (a city) gets cells of
    the finest facet size: fewer, larger clusters rather than a count over thousands of reports. None
    when the grid was never filled (then the view is counted live)."""
    from .models import MapFacet

    size = max(cell_size(box), FACET_SIZES[0])
    level = max(g for g in FACET_SIZES if size >= g and abs(size / g - round(size / g)) < 1e-9)
    rows = MapFacet.objects.filter(size=Decimal(str(level)), facet=scope["facet"], **_cell_range(box, level))
    if scope["values"] is not None:
        rows = rows.filter(value__in=scope["values"])
    if scope["province"] is not None:
        rows = rows.filter(province=scope["province"])
    rows = (
        rows.order_by()
        .values("row", "col")
        .annotate(n=Sum("count"), lat=Sum("sum_lat"), lng=Sum("sum_lng"))
        .values_list("row", "col", "n", "lat", "lng")
    )
    counted = _sum_cells(rows, size, round(size / level))
    if not counted["clusters"] and not MapFacet.objects.exists():
        return None
    return counted


def _cell_range(box, level: float) -> dict:
    south, west, north, east = box
    return {
        "row__gte": math.floor(south / level),
        "row__lte": math.floor(north / level),
        "col__gte": math.floor(west / level),
        "col__lte": math.floor(east / level),
    }


def _sum_cells(rows, size: float, k: int) -> dict:
    """Clusters of `size` from (row, col, count, sum of lat, sum of lng) of grid cells k times finer:
    the biggest MAP_MAX_CELLS."""
    cells = {}
    for row, col, count, sum_lat, sum_lng in rows:
        cell = cells.setdefault((row // k, col // k), [0, 0.0, 0.0])
        cell[0] += count
        cell[1] += sum_lat
        cell[2] += sum_lng
    biggest = sorted(cells.items(), key=lambda item: (-item[1][0], item[0]))[:MAP_MAX_CELLS]
    clusters = [_cluster(row, col, size, n, sum_lat / n, sum_lng / n) for (row, col), (n, sum_lat, sum_lng) in biggest]
    return {"clusters": clusters, "cell": size}


def _too_many() -> str:
    return _(
        "Terlalu banyak laporan di area ini untuk dihitung dengan saringan ini. Perbesar peta atau "
        "persempit saringan; daftar di bawah memuat laporannya."
    )


def bounded_clusters(qs, box) -> dict | None:
    """map_clusters over at most MAP_LIVE_ROWS reports of the box (and, on PostgreSQL, within
    MAP_LIVE_TIMEOUT_MS): None when the box holds more or the count takes longer, so a filter no grid
    counts (a text search, an agency, dates) never makes the map wait for seconds."""

    def count():
        if in_box(qs, box).order_by().values("pk")[: MAP_LIVE_ROWS + 1].count() > MAP_LIVE_ROWS:
            return None
        return map_clusters(qs, box)

    return within_live_timeout(count)


def within_live_timeout(read):
    """read(), its statements each cut off by PostgreSQL after MAP_LIVE_TIMEOUT_MS (in a savepoint, the
    timeout restored after); None when one was."""
    from django.db import OperationalError, transaction

    try:
        with transaction.atomic():
            restore = _statement_timeout(MAP_LIVE_TIMEOUT_MS)
            result = read()
            _statement_timeout(restore)
            return result
    except OperationalError as error:
        if getattr(error.__cause__, "pgcode", None) != "57014":  # only query_canceled: the timeout
            raise
        return None


def _statement_timeout(value):
    """Set PostgreSQL's statement_timeout for the rest of the transaction; returns the one before
    (nothing happens on SQLite)."""
    if connection.vendor != "postgresql" or value is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('statement_timeout'), set_config('statement_timeout', %s, true)", [str(value)]
        )
        return cursor.fetchone()[0]


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


# Facets (MapFacet) are counted at these grid sizes: a filtered view whose cell is smaller is counted
# live over its box (MAP_LIVE_ROWS at most).
FACET_SIZES = (0.1, 1.0)
# The report columns each MapFacet.facet counts by.
FACET_COLUMNS = {"k": "classification", "c": "category_id", "s": "status", "r": "regency_id"}
# One refresh at a time (PostgreSQL advisory lock, per database): "LAPORMAP" in ASCII.
REFRESH_LOCK = 0x4C41504F524D4150


def _pins_select():
    """SQL and params of public()'s pinned reports as the grid counts them: the finest cell (frow,
    fcol) and the public point (plat, plng, an Anonim pin coarsened), the province and each facet's
    column. The one definition of what the grid counts (refresh and recount)."""
    point = _public_point_expressions()
    base = GRID_SIZES[0]
    return (
        Report.objects.public()
        .filter(latitude__isnull=False, longitude__isnull=False)
        .order_by()
        .annotate(plat=point["latitude"], plng=point["longitude"])
        .annotate(frow=Floor(F("plat") / base), fcol=Floor(F("plng") / base))
        .values_list("province_id", *FACET_COLUMNS.values(), "plat", "plng", "frow", "fcol")
        .query.sql_with_params()
    )


def refresh_map_cells() -> int | None:
    """Count the public reports with a pin per cell of each GRID_SIZES size (MapCell) and, at the
    FACET_SIZES sizes, per province and facet value (MapFacet), from their public points; replace both
    tables' contents in one transaction. All in SQL: one scan of public() into a temporary table, one
    GROUP BY per level and facet (the coarser sizes summed from whole finer cells), then only the
    cells that changed are written (_merge).

    Readers never see an empty or half grid (the old rows stay visible to them until the commit);
    a second refresh while one runs does nothing and returns None (an advisory lock on PostgreSQL;
    SQLite has one writer at a time). Returns the MapCell cells written."""
    from django.db import transaction

    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK])
            if not cursor.fetchone()[0]:
                return None
            # recount_map_cells' writes wait for this commit, so none is lost under the new rows.
            cursor.execute("LOCK TABLE complaints_mapcell, complaints_mapfacet IN SHARE ROW EXCLUSIVE MODE")
            cursor.execute("SET LOCAL work_mem = '64MB'")  # the GROUP BYs and joins in memory
        sql, params = _pins_select()
        for temporary in ("map_pins", "map_cells_new", "map_facets_new"):  # left by a failed refresh (SQLite)
            cursor.execute(f"DROP TABLE IF EXISTS {temporary}")
        cursor.execute(f"CREATE TEMPORARY TABLE map_pins AS {sql}", params)
        _insert_levels(cursor)
        cursor.execute("DROP TABLE map_pins")
        cursor.execute("SELECT COUNT(*) FROM complaints_mapcell")
        return cursor.fetchone()[0]


def _coarser(column: str, k: int) -> str:
    """SQL: the cell k times coarser holding the cell `column` (floor division, also below zero)."""
    return f"CAST(FLOOR({column} / {float(k)}) AS INTEGER)"


CELL_KEYS = ("size", "row", "col")
FACET_KEYS = ("size", "facet", "value", "province", "row", "col")
SUMS = ("count", "sum_lat", "sum_lng")


def _insert_levels(cursor) -> None:
    """MapCell and MapFacet from the temporary table map_pins (refresh_map_cells): every level counted
    into temporary tables (no index to maintain), then merged into the real ones, writing only the
    cells that changed since the last refresh (a few between two runs, all of them the first time)."""
    row, col = '"row"', '"col"'  # a keyword in PostgreSQL
    cursor.execute(
        f"CREATE TEMPORARY TABLE map_cells_new AS SELECT {GRID_SIZES[0]} AS size, {_coarser('frow', 1)} AS {row}, "
        f'{_coarser("fcol", 1)} AS {col}, COUNT(*) AS "count", SUM(plat) AS sum_lat, SUM(plng) AS sum_lng '
        "FROM map_pins GROUP BY frow, fcol"
    )
    for finer, size in zip(GRID_SIZES, GRID_SIZES[1:], strict=False):
        k = round(size / finer)
        cells = f"{_coarser(row, k)}, {_coarser(col, k)}"
        cursor.execute(
            f'INSERT INTO map_cells_new SELECT {size}, {cells}, SUM("count"), SUM(sum_lat), SUM(sum_lng) '
            f"FROM map_cells_new WHERE size = {finer} GROUP BY {cells}"
        )
    first = FACET_SIZES[0]
    k = round(first / GRID_SIZES[0])
    cells = f"{_coarser('frow', k)}, {_coarser('fcol', k)}"
    for i, (facet, column) in enumerate(FACET_COLUMNS.items()):
        value = f"COALESCE(CAST({column} AS VARCHAR(20)), '')"
        select = (
            f"SELECT {first} AS size, '{facet}' AS facet, {value} AS \"value\", COALESCE(province_id, '') AS province, "
            f'{_coarser("frow", k)} AS {row}, {_coarser("fcol", k)} AS {col}, COUNT(*) AS "count", '
            "SUM(plat) AS sum_lat, SUM(plng) AS sum_lng "
            f"FROM map_pins GROUP BY {value}, COALESCE(province_id, ''), {cells}"
        )
        into = "INSERT INTO map_facets_new" if i else "CREATE TEMPORARY TABLE map_facets_new AS"
        cursor.execute(f"{into} {select}")
    for finer, size in zip(FACET_SIZES, FACET_SIZES[1:], strict=False):
        k = round(size / finer)
        coarser = f"{_coarser(row, k)}, {_coarser(col, k)}"
        cursor.execute(
            f'INSERT INTO map_facets_new SELECT {size}, facet, "value", province, {coarser}, SUM("count"), '
            f"SUM(sum_lat), SUM(sum_lng) FROM map_facets_new WHERE size = {finer} "
            f'GROUP BY facet, "value", province, {coarser}'
        )
    if connection.vendor == "postgresql":  # the merges' joins planned from the new tables' sizes
        cursor.execute("ANALYZE map_cells_new")
        cursor.execute("ANALYZE map_facets_new")
    _merge(cursor, "complaints_mapcell", "map_cells_new", CELL_KEYS)
    _merge(cursor, "complaints_mapfacet", "map_facets_new", FACET_KEYS)
    cursor.execute("DROP TABLE map_cells_new")
    cursor.execute("DROP TABLE map_facets_new")


def _merge(cursor, table: str, new: str, keys: tuple) -> None:
    """Make `table` hold the rows of `new`: delete the cells gone, update the cells whose count or
    sums changed, insert the new cells (three statements, portable SQL)."""
    q = connection.ops.quote_name
    same = " AND ".join(f"n.{q(key)} = {table}.{q(key)}" for key in keys)
    cursor.execute(f"DELETE FROM {table} WHERE NOT EXISTS (SELECT 1 FROM {new} n WHERE {same})")
    changed = " OR ".join(
        [f'n."count" <> {table}."count"'] + [f"ABS(n.{c} - {table}.{c}) > 1e-9" for c in ("sum_lat", "sum_lng")]
    )
    cursor.execute(
        f"UPDATE {table} SET {', '.join(f'{q(c)} = n.{q(c)}' for c in SUMS)} FROM {new} n WHERE {same} AND ({changed})"
    )
    columns = ", ".join(q(c) for c in (*keys, *SUMS))
    cursor.execute(
        f"INSERT INTO {table} ({columns}) SELECT {', '.join(f'n.{q(c)}' for c in (*keys, *SUMS))} FROM {new} n "
        f"WHERE NOT EXISTS (SELECT 1 FROM {table} WHERE {same}) ORDER BY {', '.join(f'n.{q(k)}' for k in keys)}"
    )


def forget_map_point(point) -> None:
    """A report whose public point `point` (lat, lng) the grid may count left public() (Rahasia,
    removed, deleted…) or moved: when the transaction commits, its cells are recounted
    (recount_map_cells), in-process, so no broker and no 15-minute wait keeps it on the map."""
    from django.db import transaction

    transaction.on_commit(lambda: recount_map_cells(point))


def recount_map_cells(point) -> None:
    """Count again, exactly from public(), the MapCell cells of every GRID_SIZES size holding `point`
    (as refresh_map_cells counts them: the finest cell from the public point in SQL, the coarser ones
    made of whole finest cells), and their MapFacet rows; a cell left empty is deleted. Only cells
    already in the grid are written (an empty grid stays empty: the live query answers then). A
    database error is logged and left to the next refresh: it never fails the action that committed."""
    import logging

    from django.db import transaction

    from .models import MapCell, MapFacet

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
                    if not cell.exists():
                        continue
                    if count:
                        cell.update(count=count, sum_lat=sum_lat, sum_lng=sum_lng)
                    else:
                        cell.delete()
                    if size in FACET_SIZES:
                        facets = MapFacet.objects.filter(size=Decimal(str(size)), row=row, col=col)
                        facets.delete()
                        MapFacet.objects.bulk_create(_count_facets(row, col, k, size))
    except Exception:  # a DatabaseError above all; the action has committed, whatever happens here
        logging.getLogger(__name__).exception(
            "Recounting the map grid around %s failed; the next refresh counts them", point
        )


def _cell_reports(row: int, col: int, k: int):
    """The public reports with a pin in the cell made of the k × k finest cells from (row·k, col·k),
    with their public point as plat/plng: a box query through the map's index."""
    base = GRID_SIZES[0]
    point = _public_point_expressions()
    box = (row * k * base, col * k * base, (row + 1) * k * base, (col + 1) * k * base)
    return (
        in_box(Report.objects.public().filter(latitude__isnull=False, longitude__isnull=False), box)
        .order_by()
        .alias(plat=point["latitude"], plng=point["longitude"])
        .alias(frow=Floor(F("plat") / base), fcol=Floor(F("plng") / base))
        .filter(frow__gte=row * k, frow__lt=(row + 1) * k, fcol__gte=col * k, fcol__lt=(col + 1) * k)
    )


def _count_cell(row: int, col: int, k: int) -> tuple[int, float, float]:
    """(count, sum of public lat, sum of public lng) of the public reports of the cell (_cell_reports)."""
    point = _public_point_expressions()
    totals = _cell_reports(row, col, k).aggregate(
        count=Count("pk"), sum_lat=Sum(point["latitude"]), sum_lng=Sum(point["longitude"])
    )
    return totals["count"], totals["sum_lat"] or 0.0, totals["sum_lng"] or 0.0


def _count_facets(row: int, col: int, k: int, size: float) -> list:
    """The cell's MapFacet rows, counted as refresh_map_cells counts them: per province and value."""
    from .models import MapFacet

    point = _public_point_expressions()
    facets = []
    for facet, column in FACET_COLUMNS.items():
        counted = (
            _cell_reports(row, col, k)
            .values("province_id", column)
            .annotate(n=Count("pk"), lat=Sum(point["latitude"]), lng=Sum(point["longitude"]))
            .values_list("province_id", column, "n", "lat", "lng")
        )
        facets += [
            MapFacet(
                size=Decimal(str(size)),
                facet=facet,
                value="" if value is None else str(value),
                province=province or "",
                row=row,
                col=col,
                count=n,
                sum_lat=lat,
                sum_lng=lng,
            )  # fmt: skip
            for province, value, n, lat, lng in counted
        ]
    return facets


def grid_clusters(box) -> dict | None:
    """map_clusters for public() as a whole, from the MapCell grid (refreshed by beat every 15 minutes): the
    cells of the finest grid size that divides the box's cell size and meet the box, summed into
    cells of that size; a few thousand rows at most whatever the box, through the grid's unique index.
    None when the grid was never filled (then the live query answers)."""
    from .models import MapCell

    size = cell_size(box)
    level = max(g for g in GRID_SIZES if size >= g and abs(size / g - round(size / g)) < 1e-9)
    rows = MapCell.objects.filter(size=Decimal(str(level)), **_cell_range(box, level)).values_list(
        "row", "col", "count", "sum_lat", "sum_lng"
    )
    counted = _sum_cells(rows, size, round(size / level))
    if not counted["clusters"] and not MapCell.objects.exists():
        return None
    return counted


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
    statement; reports without a district are not counted. The reports are counted per district first and
    only the `limit` districts kept are joined to their names: joined before counting, every district of the
    country (7,277) was read and hashed on each count (0.9 ms of its 1.1 at 100,000 reports)."""
    per_district = qs.filter(kecamatan__isnull=False).values("kecamatan").annotate(n=Count("*"))
    sql, params = per_district.order_by("-n", "kecamatan")[:limit].query.sql_with_params()
    db = connections[per_district.db]  # the reports' database (a read replica where routed)
    qn = db.ops.quote_name
    district, region = District._meta, Region._meta
    d_name, d_regency = (qn(district.get_field(f).column) for f in ("name", "regency"))
    code, n = qn("kecamatan"), qn("n")
    named = (
        f"SELECT kept.{code}, d.{d_name}, r.{qn(region.get_field('name').column)}, kept.{n} FROM ({sql}) kept "
        f"JOIN {qn(district.db_table)} d ON d.{qn(district.pk.column)} = kept.{code} "
        f"LEFT JOIN {qn(region.db_table)} r ON r.{qn(region.pk.column)} = d.{d_regency} "
        f"ORDER BY kept.{n} DESC, kept.{code}"
    )
    with db.cursor() as cursor:
        cursor.execute(named, params)
        rows = cursor.fetchall()
    return [{"code": c, "name": name, "regency": regency, "count": count} for c, name, regency, count in rows]


def area_filter(kecamatan_code: str = "", kelurahan_code: str = "") -> Q:
    """The list/map/queue filter by district or village code."""
    q = Q()
    if kecamatan_code:
        q &= Q(kecamatan_id=kecamatan_code)
    if kelurahan_code:
        q &= Q(kelurahan_id=kelurahan_code)
    return q
