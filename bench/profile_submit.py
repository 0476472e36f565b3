"""CPU of the citizen's submission, in-process (issue #15 goal 1): cProfile and process time.

Counts CPU, not wall time, so a loaded machine inflates it little: this process's `time.process_time()`
(the whole Django stack: middleware, form, workflow, redirect) and the PostgreSQL backend's own CPU
(from /proc, same machine). The same for the one-INSERT ceiling view (`/bench/insert/`) through the
same middleware, so the ratio of the two is comparable with bench/run_bench.py's.

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/profile_submit.py -n 300 [--profile out.prof]

Writes real reports into the database it is pointed at: use a database of your own.
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
os.environ["LAPOR_BENCH_VIEWS"] = "1"  # mounts /bench/insert/
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "0")
# The bench citizen submits far more than a person may.
os.environ["LAPOR_SUBMIT_RATE_USER"] = "100000000"
os.environ["LAPOR_SUBMIT_RATE_IP"] = "100000000"

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from accounts.models import User  # noqa: E402
from accounts.testing import force_login  # noqa: E402
from agencies.models import Region  # noqa: E402
from bench.proc_cpu import HZ, backend_ticks  # noqa: E402
from complaints.models import Category  # noqa: E402
from lapor import gc_tuning  # noqa: E402

CSRF = "b" * 32


def citizen():
    user, _created = User.objects.get_or_create(
        email="bench-profile@lapor.test", defaults={"full_name": "Warga Profil", "is_active": True}
    )
    return user


def submission_data():
    regency = (
        Region.objects.filter(level="regency", code="51.03").first()
        or Region.objects.filter(level="regency").order_by("code").first()
    )
    category = Category.objects.filter(parent__isnull=False, is_active=True).order_by("pk").first()
    return {
        "classification": "complaint",
        "title": "Profil laporan",
        "body": "Isi laporan uji kinerja yang cukup panjang untuk lolos validasi.",
        "event_date": "2026-01-05",
        "province": regency.parent_id,
        "regency": regency.code,
        "category": category.pk,
    }


def run(client, path, data_for, n):
    """n POSTs; (app CPU ms, db CPU ms) per request."""
    statuses = set()
    ticks, cpu = backend_ticks(), time.process_time()
    for i in range(n):
        # Form-encoded, as browsers and bench/run_bench.py's wrk send it (not the test client's multipart).
        body = urlencode(data_for(i))
        response = client.post(path, body, content_type="application/x-www-form-urlencoded", HTTP_X_CSRFTOKEN=CSRF)
        statuses.add(response.status_code)
    app = (time.process_time() - cpu) * 1000 / n
    db = (backend_ticks() - ticks) * 1000 / HZ / n
    return app, db, statuses


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--profile", help="write the submissions' cProfile here (and print its top)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave the warmed-up heap unfrozen (production's workers freeze it)"
    )
    args = parser.parse_args()

    with connection.cursor() as cur:  # the ceiling view's table (as bench/run_bench.py makes it)
        cur.execute("CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, at timestamptz NOT NULL)")
    client = Client(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF
    force_login(client, citizen())
    data = submission_data()
    tag = time.time_ns()

    def submission(i):
        return {**data, "title": f"Profil laporan {i}", "submission_key": f"prof-{tag}-{i}"}

    run(client, "/laporan/baru/", lambda i: submission(-1 - i), 5)  # warm: caches of this process
    run(client, "/bench/insert/", lambda i: {}, 5)
    if not args.no_freeze:  # as a production worker does once warmed up (lapor/gunicorn_conf.py)
        gc_tuning.start()
    ceiling_app, ceiling_db, ceiling_status = run(client, "/bench/insert/", lambda i: {}, args.n)
    profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall time
    if profiler:
        profiler.enable()
    app, db, status = run(client, "/laporan/baru/", submission, args.n)
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    print(f"submission: {app:.1f} + {db:.1f} ms CPU a request (app + db), statuses {sorted(status)}")
    print(f"ceiling:    {ceiling_app:.1f} + {ceiling_db:.1f} ms, statuses {sorted(ceiling_status)}")
    print(f"ratio (ceiling CPU ÷ submission CPU): {(ceiling_app + ceiling_db) / (app + db):.3f}")
    if profiler:
        stats = pstats.Stats(args.profile)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
