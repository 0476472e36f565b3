#!/usr/bin/env python
"""CPU per request of the three admin queue pages, in-process (#15 goal 4), with their queries' plans.

    export DATABASE_URL=postgres://lapor:lapor@127.0.0.1:5432/lapor_bench REDIS_URL=redis://127.0.0.1:6379/1
    export DJANGO_SECRET_KEY=bench DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost,testserver
    .venv/bin/python bench/queue_cpu.py [--requests 200] [--explain] [--queries]

The same requests as bench/run_bench.py makes: its pages (PAGES below, the same addresses), its people and
their sessions (run_bench.ensure_users: the agency admin of the seeded Kabupaten Badung government
"scale-51.03", and the national admin of kemenpanrb), and its headers (the csrftoken and sessionid cookies,
Host 127.0.0.1, no Accept-Language: the page in Indonesian); and, as its server's workers do
(lapor/gunicorn_conf.py), the process is warmed up and its heap frozen before the first request
(--no-freeze: not). Each page is requested through the Django test client (a few warm-up requests first),
then --requests times; it reports per request the app's
CPU (this process's time.process_time: the view, templates and the client) and the database's CPU (the
PostgreSQL backend's own user+system time from /proc), the SQL queries of one request and their time.
--explain prints EXPLAIN (ANALYZE, BUFFERS) of every query of one request that took 1 ms or more;
--queries prints every query of one request. --draw-rows forgets the queue's kept rows before each request
(the cost of a page whose rows all changed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.proc_cpu import HZ, backend_ticks  # noqa: E402
from bench.run_bench import CSRF, ensure_users  # noqa: E402
from complaints import admin_list, queue_cache  # noqa: E402
from lapor import gc_tuning  # noqa: E402

# run_bench's queue pages (its `pages`: key, address, who).
PAGES = [
    ("queue_agency", "/admin/complaints/report/?status__exact=submitted", "staff"),
    ("queue_progress", "/admin/complaints/report/?status__exact=in_progress", "staff"),
    ("queue_national", "/admin/complaints/report/?status__exact=submitted", "national"),
]


def client_as(session_key: str) -> Client:
    """A client sending what run_bench's wrk sends: its Host header and cookies (run_bench.cookie)."""
    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies["csrftoken"] = CSRF
    client.cookies["sessionid"] = session_key
    return client


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--only", default="")
    parser.add_argument("--cold", action="store_true", help="count the queries of the process's first request")
    parser.add_argument(
        "--draw-rows",
        action="store_true",
        help="forget the kept rows before every request (complaints/admin_list.py): every row drawn, as "
        "on a page whose reports all changed since it was last seen",
    )
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="forget the kept queue tabs and pages before every request (complaints/queue_cache.py): every "
        "view counts and picks again, as the first view after a report of the subtree moved",
    )
    parser.add_argument("--no-freeze", action="store_true", help="no warm-up and frozen heap (the server's)")
    args = parser.parse_args()
    people, agency = ensure_users()
    print(f"{connection.settings_dict['NAME']}: {args.requests} requests a page; agency admin of {agency.code}")
    if not args.no_freeze:
        gc_tuning.start()  # what each of the server's workers does before its first request
    for key, path, who in PAGES:
        if args.only and key != args.only:
            continue
        client = client_as(people[who][1])
        for _ in range(0 if args.cold else 5):
            assert client.get(path).status_code == 200
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        queries = list(ctx.captured_queries)
        db_before, app_before, wall = backend_ticks(), time.process_time(), time.monotonic()
        for _ in range(args.requests):
            if args.draw_rows:
                admin_list.forget_rows()
            if args.fresh:
                queue_cache.clear_local()
            client.get(path)
        app = (time.process_time() - app_before) * 1000 / args.requests
        db = (backend_ticks() - db_before) * 1000 / HZ / args.requests
        wall = (time.monotonic() - wall) * 1000 / args.requests
        db_ms = sum(float(q["time"]) for q in queries) * 1000
        print(
            f"{key:15} {len(queries):3} queries  app {app:6.1f} ms + db {db:6.1f} ms CPU a request"
            f"  (wall {wall:6.1f} ms; one request's queries {db_ms:.1f} ms)"
        )
        for n, q in enumerate(queries, 1):
            if args.queries:
                print(f"  {n:2}. {float(q['time']) * 1000:7.1f} ms  {q['sql'][:400]}")
            if args.explain and float(q["time"]) >= 0.001 and q["sql"].lstrip().upper().startswith("SELECT"):
                with connection.cursor() as cur:
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + q["sql"])
                    plan = "\n".join("      " + row[0] for row in cur.fetchall())
                print(f"  query {n} ({float(q['time']) * 1000:.1f} ms): {q['sql'][:300]}\n{plan}")


if __name__ == "__main__":
    main()
