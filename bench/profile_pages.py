"""CPU of the citizen's rendered pages, in-process (issue #15 goal 2, a page that is not kept): process time
and a cProfile by process time.

A signed-in citizen gets every page rendered (the page cache serves anonymous visitors only), so this is
what a rendered page costs: the whole middleware stack, the view and its template, through Django's
test client. Per page: app CPU ms (this process's `time.process_time()`), db CPU ms (the PostgreSQL
backend's own, from /proc), queries; with `--profile PAGE` the top functions of that page by process time.

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/profile_pages.py -n 50 [--profile form]
    [--language en] [--sort tottime|cumulative] [--lines 40] [--gzip] [--freeze]

Only reads, but for the citizen it signs in (`--user`, made when missing) and its session. `--anonymous`:
the same pages without a session (with LAPOR_PAGE_CACHE_SECONDS=0: what the first anonymous visitor after
a change gets), to compare with the signed-in citizen's. `--gzip` asks for gzip as run_bench's wrk does (the
page's compression counted: 0.5-0.8 ms a page at Django's level 6, issue #15); `--freeze` freezes the heap
after the warm-up as gunicorn's workers do (lapor/gc_tuning.py), so no request here pays a collection
of the start-up heap that a served request would not.
"""

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.testing import force_login  # noqa: E402
from complaints.models import Report  # noqa: E402

PAGES = ("form", "track", "feed", "report", "search", "mine", "home")


def citizen(email):
    user, _created = User.objects.get_or_create(email=email, defaults={"full_name": "Warga Profil", "is_active": True})
    return user


def paths(user, language, term="jalan", report=None):
    prefix = "/en" if language == "en" else ""
    if report is None:
        report = Report.objects.public().order_by("-created_at", "-pk").values_list("tracking_no", flat=True).first()
    return {
        "form": f"{prefix}/laporan/baru/",
        "track": f"{prefix}/laporan/lacak/?no={report}",
        "feed": f"{prefix}/laporan/",
        "report": f"{prefix}/laporan/{report}/",
        "search": f"{prefix}/laporan/?{urlencode({'q': term})}",
        "mine": f"{prefix}/laporan/saya/",
        "home": f"{prefix}/",
    }


def backend_ticks_or_zero():
    if connection.vendor != "postgresql":
        return 0
    from bench.proc_cpu import backend_ticks

    return backend_ticks()


def measure(client, path, n, headers=None):
    """n GETs: (app CPU ms, db CPU ms) per request, queries of the last one, size of the last body (as sent)."""
    headers = headers or {}
    ticks, cpu = backend_ticks_or_zero(), time.process_time()
    for _i in range(n):
        response = client.get(path, **headers)
        assert response.status_code in (200, 302), (path, response.status_code)  # the tracking lookup redirects
    app = (time.process_time() - cpu) * 1000 / n
    db = 0.0
    if connection.vendor == "postgresql":
        from bench.proc_cpu import HZ

        db = (backend_ticks_or_zero() - ticks) * 1000 / HZ / n
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **headers)
    return app, db, len(queries), len(response.content)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=50, help="requests per page")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--language", default="id", choices=("id", "en"))
    parser.add_argument("--profile", help=f"a page to profile (one of {', '.join(PAGES)})")
    parser.add_argument("--sort", default="tottime")
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--dump", help="write the profile here (pstats)")
    parser.add_argument(
        "--user", default="bench-profile@lapor.test", help="the citizen (bench/run_bench.py's: bench.warga@lapor.test)"
    )
    parser.add_argument("--report", help="the report page's tracking number (default: the newest public report)")
    parser.add_argument("--q", default="jalan", help="the search page's term (bench/run_bench.py's: 'jalan rusak')")
    parser.add_argument(
        "--anonymous",
        action="store_true",
        help="no session (run with LAPOR_PAGE_CACHE_SECONDS=0 to see the page rendered, not kept)",
    )
    parser.add_argument("--gzip", action="store_true", help="send Accept-Encoding: gzip (run_bench's wrk does)")
    parser.add_argument("--freeze", action="store_true", help="freeze the heap after the warm-up (gunicorn's workers)")
    args = parser.parse_args()
    headers = {"HTTP_ACCEPT_ENCODING": "gzip"} if args.gzip else {}

    user = citizen(args.user)
    client = Client()
    if not args.anonymous:
        force_login(client, user)
    urls = paths(user, args.language, args.q, args.report)
    for name in args.pages.split(","):
        for _i in range(3):  # a worker's first requests load reference data and templates once
            client.get(urls[name], **headers)
    if args.freeze:
        from lapor import gc_tuning

        gc_tuning.freeze()
    reset_queries()
    print(f"{'page':8} {'app ms':>8} {'db ms':>7} {'queries':>7} {'bytes':>8}  path")
    for name in args.pages.split(","):
        app, db, queries, size = measure(client, urls[name], args.n, headers)
        print(f"{name:8} {app:8.1f} {db:7.1f} {queries:7d} {size:8d}  {urls[name]}")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _i in range(args.n):
            client.get(urls[args.profile], **headers)
        profiler.disable()
        if args.dump:
            profiler.dump_stats(args.dump)
        stats = pstats.Stats(profiler)
        stats.sort_stats(args.sort).print_stats(args.lines)


if __name__ == "__main__":
    main()
