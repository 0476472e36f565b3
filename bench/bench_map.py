#!/usr/bin/env python
"""The public map's answer (`/laporan/peta.json`, complaints.views.report_map) for a viewport, timed
on a seeded PostgreSQL database, without filters and with the list's typical filters:

    export DATABASE_URL=postgres://lapor:lapor@127.0.0.1:5432/lapor_bench2m_map REDIS_URL=redis://127.0.0.1:6379/5
    export DJANGO_SECRET_KEY=bench DJANGO_ALLOWED_HOSTS=127.0.0.1
    .venv/bin/python bench/bench_map.py [--runs 100] [--seed 1] [--warmup] [--skip-refresh] [--no-freeze]

First `places.refresh_map_cells` is timed twice (the first run writes what changed since the grid
was last written — everything on a fresh copy —, the second finds nothing changed). Then, for each
viewport size (street, town, city, regency, province, the whole country) and each filter (none; the
category of the report the viewport is centred on; its province), it asks the view for `--runs`
viewports centred on random public pins, and prints p50/p99/max in milliseconds and what the
answers held (points, clusters, "zoom in"), and the garbage collections inside the timed requests
(Python's gc.callbacks: how many full, generation-2, collections and their longest pause). The
process treats its heap as a gunicorn worker does (lapor/gc_tuning.py, lapor/gunicorn_conf.py): after
django.setup() it warms up and freezes the heap (`start`), and after each answer it calls
`after_request` with the number of answers so far; `--no-freeze` leaves the collector as CPython
starts it. `--warmup` first makes one whole pass that is not counted. Then every collection of the
measured pass by generation (inside requests or between them). Ends with EXPLAIN (ANALYZE, BUFFERS)
of the point query map_points sends (places.point_query) for a street and a town, without a filter
and with a category. Only reads (but the refresh, which writes the grid).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402

from complaints import places  # noqa: E402
from complaints.filters import ReportFilter  # noqa: E402
from complaints.models import Report  # noqa: E402
from complaints.views import report_map  # noqa: E402
from lapor import gc_tuning  # noqa: E402

# Half-widths in degrees (latitude, longitude) of a viewport about 1000×600 px at some zoom levels.
SIZES = {
    "street (zoom 16)": (0.004, 0.007),
    "town (zoom 13)": (0.03, 0.05),
    "city (zoom 11)": (0.13, 0.19),
    "regency (zoom 10)": (0.25, 0.45),
    "province (zoom 7)": (2.0, 3.5),
    "country (zoom 5)": (9.0, 23.0),
}
FILTERS = ("none", "category", "province")


class Collections:
    """Every garbage collection of this process: (generation, pause in ms), in order."""

    def __init__(self) -> None:
        self.pauses: list[tuple[int, float]] = []
        self._started = 0.0
        gc.callbacks.append(self)

    def __call__(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((info["generation"], (time.perf_counter() - self._started) * 1000))


COLLECTIONS = Collections()
FREEZE = True
answered = 0


def centres(rng: random.Random, n: int = 50) -> list[dict]:
    """Pins of public reports, sampled by id (no ORDER BY random() over millions), with the codes of
    their category and province (the filters a visitor looking there would choose)."""
    public = Report.objects.public().filter(latitude__isnull=False, category__isnull=False)
    max_id = Report.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    found = []
    while len(found) < n:
        row = (
            public.filter(pk__gte=rng.randint(1, max_id))
            .order_by("pk")
            .values_list("latitude", "longitude", "category__code", "province_id")
            .first()
        )
        if row:
            found.append({"lat": float(row[0]), "lng": float(row[1]), "category": row[2], "province": row[3]})
    return found


def ask(
    factory: RequestFactory, centre: dict, half: tuple[float, float], kind: str
) -> tuple[float, dict, list[tuple[int, float]]]:
    """The view's answer for one viewport: its time, its body and the collections during it."""
    global answered
    dlat, dlng = half
    params = {"bbox": f"{centre['lng'] - dlng},{centre['lat'] - dlat},{centre['lng'] + dlng},{centre['lat'] + dlat}"}
    if kind == "category":
        params["kategori"] = centre["category"]
    elif kind == "province":
        params["provinsi"] = centre["province"]
    request = factory.get("/laporan/peta.json", params)
    before = len(COLLECTIONS.pauses)
    started = time.perf_counter()
    response = report_map(request)
    elapsed = (time.perf_counter() - started) * 1000
    during = COLLECTIONS.pauses[before:]
    assert response.status_code == 200, response.content
    body = json.loads(response.content)
    answered += 1
    if FREEZE:
        gc_tuning.after_request(answered)  # as gunicorn's post_request hook, once the answer is out
    return elapsed, body, during


def measure(factory, rng, pins, runs: int, show: bool) -> None:
    for name, half in SIZES.items():
        for kind in FILTERS:
            timings, points, clusters, more, full = [], [], [], 0, []
            for _ in range(runs):
                elapsed, body, during = ask(factory, rng.choice(pins), half, kind)
                timings.append(elapsed)
                full += [ms for generation, ms in during if generation == 2]
                points.append(len(body["points"]))
                clusters.append(len(body["clusters"]))
                more += bool(body.get("more"))
            if not show:
                continue
            timings.sort()
            p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
            print(
                f"{name:18} {kind:9} p50 {statistics.median(timings):7.1f} ms  p99 {p99:7.1f} ms"
                f"  max {timings[-1]:7.1f} ms  points {statistics.median(points):4.0f}"
                f"  clusters {statistics.median(clusters):3.0f} (max {max(clusters)})  zoom-in {more}/{runs}"
                f"  full gc {len(full)} (max {max(full, default=0):.1f} ms)",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--warmup", action="store_true", help="one whole pass first, not counted")
    parser.add_argument("--skip-refresh", action="store_true")
    parser.add_argument("--no-freeze", action="store_true", help="leave the garbage collector as CPython starts it")
    args = parser.parse_args()
    global FREEZE
    FREEZE = not args.no_freeze
    if FREEZE:
        started = time.perf_counter()
        frozen = gc_tuning.start()
        seconds = time.perf_counter() - started
        print(f"heap warmed up and frozen (lapor.gc_tuning.start): {frozen} objects in {seconds:.1f} s")
    else:
        print("heap not frozen (--no-freeze)")
    rng = random.Random(args.seed)
    total = Report.objects.count()
    pinned = Report.objects.public().filter(latitude__isnull=False).count()
    print(f"{total} reports, {pinned} public with a pin")
    if not args.skip_refresh:
        for attempt in ("refresh", "refresh again (nothing changed)"):
            started = time.perf_counter()
            cells = places.refresh_map_cells()
            print(f"{attempt}: {cells} MapCell cells in {time.perf_counter() - started:.1f} s", flush=True)
    pins = centres(rng)
    factory = RequestFactory()
    if args.warmup:
        measure(factory, random.Random(args.seed + 1), pins, args.runs, show=False)
    before = len(COLLECTIONS.pauses)
    measure(factory, rng, pins, args.runs, show=True)
    summary(COLLECTIONS.pauses[before:])
    explain(pins[0])


def summary(pauses: list[tuple[int, float]]) -> None:
    """Every collection of the measured pass (inside requests or between them), by generation."""
    print(f"garbage collections in the measured pass, frozen objects {gc.get_freeze_count()}:")
    for generation in range(3):
        times = sorted(ms for g, ms in pauses if g == generation)
        if times:
            print(
                f"    generation {generation}: {len(times)} collections, median {statistics.median(times):.2f} ms,"
                f" max {times[-1]:.1f} ms, total {sum(times):.0f} ms"
            )
        else:
            print(f"    generation {generation}: none")


def explain(centre: dict) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the point query map_points sends (places.point_query) for a street
    and a town around `centre`, unfiltered and with its category, the filter read as the view reads
    it (ReportFilter with display=False)."""
    for name in ("street (zoom 16)", "town (zoom 13)"):
        dlat, dlng = SIZES[name]
        box = (centre["lat"] - dlat, centre["lng"] - dlng, centre["lat"] + dlat, centre["lng"] + dlng)
        for kind, data in (("none", None), ("category", {"kategori": centre["category"]})):
            report_filter = ReportFilter(data, queryset=Report.objects.public(), display=False)
            assert not report_filter.is_bound or report_filter.form.is_valid(), report_filter.form.errors
            sql, params = places.point_query(report_filter.qs, box).query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                print(f"{name}, {kind}:\n    " + "\n    ".join(line for (line,) in cursor.fetchall()))


if __name__ == "__main__":
    main()
