#!/usr/bin/env python
"""The public map's answer for a viewport (complaints.places.map_points over Report.objects.public():
points for a narrow box, counts per grid cell for a wide or crowded one), timed on a seeded
PostgreSQL database:

    export DATABASE_URL=postgres://lapor:lapor@127.0.0.1:5432/lapor_bench_places REDIS_URL=redis://127.0.0.1:6379/5
    export DJANGO_SECRET_KEY=bench DJANGO_ALLOWED_HOSTS=127.0.0.1
    .venv/bin/python bench/bench_map.py [--runs 200] [--seed 1]

For each viewport size (a street, a town, a city, a regency, a province, the whole country) it asks for
the answer of `--runs` random viewports centred on random public pins (where the reports are), and
prints p50/p99/max in milliseconds, points or clusters per answer and the EXPLAIN ANALYZE of one
query of each size. Only reads.
"""

from __future__ import annotations

import argparse
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

from complaints import places  # noqa: E402
from complaints.models import Report  # noqa: E402

# Half-widths in degrees (latitude, longitude) of a viewport about 1000×600 px at some zoom levels.
SIZES = {
    "street (zoom 16)": (0.004, 0.007),
    "town (zoom 13)": (0.03, 0.05),
    "city (zoom 11)": (0.13, 0.19),
    "regency (zoom 10)": (0.25, 0.45),
    "province (zoom 7)": (2.0, 3.5),
    "country (zoom 5)": (9.0, 23.0),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    public = Report.objects.public()
    total, pinned = Report.objects.count(), public.filter(latitude__isnull=False).count()
    print(f"{total} reports, {pinned} public with a pin")
    # Viewport centres: pins of public reports, sampled by id (no ORDER BY random() over millions).
    max_id = Report.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    centres = []
    while len(centres) < 50:
        row = public.filter(pk__gte=rng.randint(1, max_id), latitude__isnull=False).order_by("pk")
        row = row.values_list("latitude", "longitude").first()
        if row:
            centres.append((float(row[0]), float(row[1])))
    started = time.perf_counter()
    cells = places.refresh_map_cells()
    print(f"refresh_map_cells: {cells} cells in {time.perf_counter() - started:.1f} s")
    for name, (dlat, dlng) in SIZES.items():
        timings, counts, clusters = [], [], []
        for _ in range(args.runs):
            lat, lng = rng.choice(centres)
            box = (lat - dlat, lng - dlng, lat + dlat, lng + dlng)
            started = time.perf_counter()
            result = places.map_points(public, box, filtered=False)  # the map without filters
            timings.append((time.perf_counter() - started) * 1000)
            counts.append(len(result["points"]))
            clusters.append(len(result["clusters"]))
        timings.sort()
        p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
        print(
            f"{name:20} p50 {statistics.median(timings):7.1f} ms  p99 {p99:7.1f} ms  max {timings[-1]:7.1f} ms"
            f"  points/answer median {statistics.median(counts):.0f}"
            f"  clusters/answer median {statistics.median(clusters):.0f} max {max(clusters)}"
        )
        lat, lng = centres[0]
        box = (lat - dlat, lng - dlng, lat + dlat, lng + dlng)
        if (2 * dlat) * (2 * dlng) <= places.MAP_MAX_AREA:
            qs = places.in_box(public, box).order_by("-created_at").values_list("tracking_no", "latitude", "longitude")
            sql, params = qs[:501].query.sql_with_params()
        else:
            sql, params = places.cluster_query(public, box).query.sql_with_params()  # the live (filtered) path
        with connection.cursor() as cursor:
            # The live GROUP BY of a wide box reads every pin in it (seconds at 2M): its plan only.
            analyze = "(ANALYZE, BUFFERS) " if (2 * dlat) * (2 * dlng) <= places.MAP_MAX_AREA else ""
            cursor.execute(f"EXPLAIN {analyze}{sql}", params)
            plan = [line for (line,) in cursor.fetchall()]
        print("    " + "\n    ".join(plan[:8]))


if __name__ == "__main__":
    main()
