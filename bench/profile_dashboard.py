"""CPU of the head's dashboard in-process (issue #15 goal 5: flat in N), with a cProfile by process time.

The request run_bench measures: run_bench's head (`bench.pimpinan@lapor.test`, Pimpinan of the seeded
Badung government `scale-51.03`, made when missing), `/dasbor/`, through Django's test client with the
whole middleware stack. Per run: app CPU ms (this process's `time.process_time()`), db CPU ms (the
PostgreSQL backend's own, from /proc), queries, bytes; with `--profile` the top functions by process time,
with `--queries` each query of one request and its time.

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/profile_dashboard.py -n 50 [--profile]

`--cold` clears the cache before every request (the figures computed each time, as after a rebuild or a
new event); `--first` is run_bench's first view (bench/goals.py dashboard_first_view_paths): before every
request a generation bump (what the beat's rebuild does every 10 minutes), each request a 30-day period
ending today that no request asked for; the default is run_bench's steady state. Writes only the head, its
membership and session.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.testing import force_login  # noqa: E402
from agencies.models import Agency, Membership  # noqa: E402
from bench.proc_cpu import HZ, backend_ticks  # noqa: E402
from dashboards.aggregation import bump_generation  # noqa: E402


def head(email):
    agency = Agency.objects.filter(code="scale-51.03").first() or Agency.objects.get(code="pemkab-badung")
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email, "bench-pass", full_name="Head", is_staff=True
    )
    Membership.objects.get_or_create(user=user, agency=agency, role=Membership.Role.HEAD)
    return user


def first_view_paths(n):
    """`n` periods no request asked for: as bench/goals.py dashboard_first_view_paths (30 days and more, up to
    today), but each also ending up to 30 days back and up to 30 days longer, drawn at random without
    repeats, so that a second run within the live counts' 5 minutes asks for other periods than the first."""
    import datetime as dt
    import random

    from django.utils import timezone

    from dashboards.aggregation import stats_date

    today = stats_date(timezone.now())
    picks = random.sample([(k, j) for k in range(31) for j in range(31)], n)  # noqa: S311 (not a secret)
    return [
        f"/dasbor/?start={today - dt.timedelta(days=30 + k + j)}&end={today - dt.timedelta(days=j)}" for k, j in picks
    ]


def run(client, path, n, cold, first=False):
    paths = first_view_paths(n) if first else [path] * n
    ticks, cpu = backend_ticks(), time.process_time()
    for path in paths:
        if cold:
            cache.clear()
        if first:
            bump_generation()
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    app = (time.process_time() - cpu) * 1000 / n
    db = (backend_ticks() - ticks) * 1000 / HZ / n
    return app, db


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="requests")
    parser.add_argument("--path", default="/dasbor/")
    parser.add_argument("--user", default="bench.pimpinan@lapor.test")
    parser.add_argument("--cold", action="store_true", help="clear the cache before every request")
    parser.add_argument("--first", action="store_true", help="run_bench's first view: a rebuild, a new period")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--queries", action="store_true", help="print each query of one request with its time")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=40)
    args = parser.parse_args()

    client = Client()
    force_login(client, head(args.user))
    for _i in range(3):  # a worker's first requests load reference data and templates once
        client.get(args.path)
    app, db = run(client, args.path, args.n, args.cold, args.first)
    if args.cold:
        cache.clear()
    with CaptureQueriesContext(connection) as queries:
        size = len(client.get(args.path).content)
    print(f"dashboard app {app:.1f} ms, db {db:.1f} ms, {len(queries)} queries, {size} bytes  {args.path}")
    if args.queries:
        for q in queries.captured_queries:
            print(f"{float(q['time']) * 1000:8.1f} ms  {q['sql'][:300]}")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for path in first_view_paths(args.n) if args.first else [args.path] * args.n:
            if args.cold:
                cache.clear()
            if args.first:
                bump_generation()
            client.get(path)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
