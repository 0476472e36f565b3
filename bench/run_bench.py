#!/usr/bin/env python
"""LAPOR benchmarks: serve the app with gunicorn on loopback and measure it with wrk.

    # a PostgreSQL database seeded with `manage.py seed_scale --reports N`, Redis running:
    export DATABASE_URL=postgres://lapor:lapor@127.0.0.1:5432/lapor_bench REDIS_URL=redis://127.0.0.1:6379/1
    export DJANGO_SECRET_KEY=bench DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
    .venv/bin/python bench/run_bench.py --label "2M reports" [--duration 15] [--write docs/benchmarks.md]

Measures, for each page: requests/s, p50 and p99 latency at light load (2 connections) and the
number of SQL queries one request makes; submission throughput against a bare one-INSERT view
under the same server (the ceiling); the clock sweep with 10,000 due clocks; the RSS of a web
worker after the run; EXPLAIN ANALYZE of the hot queries. Results are appended to
docs/benchmarks.md. Needs `wrk` (apt-get install wrk). Traffic goes to 127.0.0.1 only, and every
load run is bounded in time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")
os.environ["LAPOR_BENCH_VIEWS"] = "1"  # mounts /bench/insert/ and lifts the submission rate limit

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Exists, OuterRef  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import User  # noqa: E402
from agencies.models import Agency, Membership, Region  # noqa: E402
from complaints.models import AGENCY_CLOCKS, Category, Clock, ClockStep, Report  # noqa: E402

PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
CSRF = "benchcsrftoken0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"[:32]


def ensure_users():
    """A citizen, an agency admin of a busy scale OPD's government, and its head, with sessions."""
    # The seeded government of Kabupaten Badung (seed_scale) with its OPDs and units, else the demo one.
    agency = Agency.objects.filter(code="scale-51.03").first() or Agency.objects.get(code="pemkab-badung")
    people = {}
    for key, email, role in [
        ("citizen", "bench.warga@lapor.test", None),
        ("staff", "bench.admin@lapor.test", Membership.Role.AGENCY_ADMIN),
        ("head", "bench.pimpinan@lapor.test", Membership.Role.HEAD),
    ]:
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email, "bench-pass", full_name=key.title(), is_staff=role is not None
        )
        if role:
            Membership.objects.get_or_create(user=user, agency=agency, role=role)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        people[key] = (user, session.session_key)
    return people, agency


def cookie(session_key=None):
    parts = [f"csrftoken={CSRF}"]
    if session_key:
        parts.append(f"sessionid={session_key}")
    return "; ".join(parts)


def wrk(path, *, session_key=None, connections=2, duration=10, lua=None):
    cmd = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{duration}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        f"Cookie: {cookie(session_key)}",
        "-H",
        "Host: 127.0.0.1",
    ]
    if lua:
        cmd += ["-s", lua]
    out = subprocess.run([*cmd, BASE + path], capture_output=True, text=True, timeout=duration + 60).stdout

    def pick(pattern):
        m = re.search(pattern, out)
        return m.group(1) if m else "?"

    non2xx = pick(r"Non-2xx or 3xx responses: (\d+)")
    return {
        "rps": pick(r"Requests/sec:\s+([\d.]+)"),
        "p50": pick(r"50%\s+([\d.]+\w+)"),
        "p99": pick(r"99%\s+([\d.]+\w+)"),
        "errors": non2xx if non2xx != "?" else "0",
    }


# wrk.format() with its own header table drops the -H headers (Cookie, Host), so the scripts add
# theirs to wrk.headers and pass nil.
SUBMIT_LUA = """
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["X-CSRFToken"] = "{csrf}"
counter = 0
thread_tag = tostring({{}}):gsub("[^%w]", "")  -- each wrk thread has its own Lua state and table addresses
request = function()
  counter = counter + 1
  local body = "classification=complaint&title=Bench+laporan+" .. counter ..
    "&body=Isi+laporan+uji+kinerja+yang+cukup+panjang+untuk+lolos+validasi." ..
    "&event_date=2026-01-05&province={province}&regency={regency}&category={category}" ..
    "&submission_key=bench-" .. thread_tag .. "-" .. counter
  return wrk.format("POST", "{path}", nil, body)
end
"""

INSERT_LUA = f"""
wrk.headers["X-CSRFToken"] = "{CSRF}"
request = function()
  return wrk.format("POST", "/bench/insert/", nil, "")
end
"""


def queries_per_request(path, user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        status = client.get(path).status_code
    return len(ctx.captured_queries), status


def explain(sql_from_queryset):
    qs = sql_from_queryset
    with connection.cursor() as cur:
        sql, params = qs.query.sql_with_params()
        cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())


def sweep_benchmark(due=10_000):
    """Make `due` running clocks due now and time one sweep over them."""
    from complaints import escalation

    now = timezone.now()
    # Exactly `due` clocks due now: everything else that was due is moved a day ahead first.
    Clock.objects.filter(stopped_at__isnull=True, next_check_at__lte=now).update(
        next_check_at=now + dt.timedelta(days=1)
    )
    # Clocks no earlier run has reminded (each step is taken once, ever).
    fresh = Clock.objects.filter(stopped_at__isnull=True, state="running", kind__in=AGENCY_CLOCKS).exclude(
        Exists(ClockStep.objects.filter(clock=OuterRef("pk")))
    )
    ids = list(fresh.values_list("pk", flat=True)[:due])
    # Every agency of these clocks has one admin to remind (a reminder is a rendered notification).
    agencies = set(Report.objects.filter(clocks__in=ids).exclude(agency=None).values_list("agency_id", flat=True))
    staffed = set(Membership.objects.filter(agency_id__in=agencies).values_list("agency_id", flat=True))
    users = User.objects.bulk_create(
        [User(email=f"bench-handler-{pk}@example.test", full_name=f"Petugas {pk}") for pk in agencies - staffed]
    )
    Membership.objects.bulk_create(
        [Membership(user=u, agency_id=int(u.email.split("-")[2].split("@")[0]), role="agency_admin") for u in users]
    )
    # Truly due: the deadline is within the hour, so each clock's reminder (one working day before) is taken.
    Clock.objects.filter(pk__in=ids).update(
        due_at=now + dt.timedelta(hours=1), next_check_at=now - dt.timedelta(minutes=1)
    )
    start = time.monotonic()
    summary = escalation.run_clocks(now=now)
    return len(ids), time.monotonic() - start, summary.as_dict()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--label", default="")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--write", default=str(ROOT / "docs" / "benchmarks.md"))
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--sweep-only", action="store_true", help="time the clock sweep only and print it")
    args = parser.parse_args()
    if args.sweep_only:
        due, seconds, summary = sweep_benchmark()
        print(f"Clock sweep: {due:,} due clocks among {Clock.objects.count():,} in {seconds:.1f} s ({summary})")
        return

    assert connection.vendor == "postgresql", "benchmarks run on PostgreSQL (set DATABASE_URL)"
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_insert (id bigserial PRIMARY KEY, at timestamptz NOT NULL)")
    n_reports = Report.objects.count()
    people, agency = ensure_users()
    sample = Report.objects.public().order_by("-created_at").values_list("tracking_no", flat=True).first()
    regency = Region.objects.filter(level="regency").first()
    category = Category.objects.filter(parent__isnull=False).first()

    pages = [
        ("Beranda", "/", None),
        ("Daftar laporan publik", "/laporan/", None),
        ("Daftar publik + filter", f"/laporan/?classification=complaint&province={regency.parent_id}", None),
        ("Pencarian teks penuh", "/laporan/?q=jalan+rusak", None),
        ("Lacak nomor", f"/laporan/lacak/?no={sample}", None),
        ("Halaman laporan", f"/laporan/{sample}/", None),
        ("Laporan saya", "/laporan/saya/", "citizen"),
        ("Antrean verifikasi (admin)", "/admin/complaints/report/?status__exact=submitted", "staff"),
        ("Antrean diproses (admin)", "/admin/complaints/report/?status__exact=in_progress", "staff"),
        ("Dasbor pimpinan", "/dasbor/", "head"),
    ]
    # The bench citizen submits far more than a person may: lift the submission rate limits for this server.
    env = {
        **os.environ,
        "LAPOR_BENCH_VIEWS": "1",
        "LAPOR_SUBMIT_RATE_USER": "100000000",
        "LAPOR_SUBMIT_RATE_IP": "100000000",
    }
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "lapor.wsgi",
            "-w",
            str(args.workers),
            "-b",
            f"127.0.0.1:{PORT}",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            "/tmp/bench-gunicorn.log",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    rows = []
    try:
        time.sleep(3)
        for name, path, who in pages:
            user, key = people[who] if who else (None, None)
            n_queries, status = queries_per_request(path, user)
            result = wrk(path, session_key=key, duration=args.duration)
            rows.append((name, path, status, n_queries, result))
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(
                SUBMIT_LUA.format(
                    province=regency.parent_id,
                    regency=regency.code,
                    category=category.pk,
                    path="/laporan/baru/",
                    csrf=CSRF,
                )
            )
            submit_lua = f.name
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(INSERT_LUA)
            insert_lua = f.name
        before = Report.objects.count()
        submit = wrk(
            "/laporan/baru/", session_key=people["citizen"][1], connections=4, duration=args.duration, lua=submit_lua
        )
        created = Report.objects.count() - before
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM bench_insert")
            inserted_before = cur.fetchone()[0]
        ceiling = wrk("/bench/insert/", connections=4, duration=args.duration, lua=insert_lua)
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM bench_insert")
            inserted = cur.fetchone()[0] - inserted_before
        rss = subprocess.run(["ps", "-o", "rss=", "--ppid", str(server.pid)], capture_output=True, text=True).stdout
        worker_mb = max((int(x) for x in rss.split()), default=0) / 1024
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    sweep = None if args.skip_sweep else sweep_benchmark()
    from complaints import access

    staff = people["staff"][0]
    explains = {
        "public feed": Report.objects.public().for_list().order_by("-created_at")[:25],
        "verification queue": access.staff_reports(staff).filter(status="submitted").order_by("due_at")[:100],
        "in-progress queue": access.staff_reports(staff).filter(status="in_progress").order_by("due_at")[:100],
        "sweep": Clock.objects.filter(stopped_at__isnull=True, next_check_at__lte=timezone.now()).order_by(
            "next_check_at"
        )[:500],
    }
    lines = [
        f"\n## {args.label or 'Run'} — {n_reports:,} reports — {timezone.now():%Y-%m-%d %H:%M} UTC\n",
        f"gunicorn {args.workers} sync workers on 127.0.0.1, wrk 2 threads, {args.duration} s per page; "
        "light load = 2 connections, submissions 4 connections.\n",
        "| page | path | status | queries/request | req/s | p50 | p99 | non-2xx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, path, status, n_queries, r in rows:
        lines.append(
            f"| {name} | `{path}` | {status} | {n_queries} | {r['rps']} | {r['p50']} | {r['p99']} | {r['errors']} |"
        )
    lines += [
        "",
        f"- Submission (POST with CSRF, logged-in citizen, 4 connections): {submit['rps']} req/s, p50 {submit['p50']}, "
        f"p99 {submit['p99']}, {created} reports created, non-2xx {submit['errors']}",
        f"- Ceiling, a bare view doing one INSERT: {ceiling['rps']} req/s, p50 {ceiling['p50']}, p99 {ceiling['p99']}, "
        f"{inserted} rows inserted, non-2xx {ceiling['errors']}",
        f"- Largest web worker RSS after the run: {worker_mb:.0f} MB",
    ]
    if sweep:
        lines.append(
            f"- Clock sweep: {sweep[0]:,} due clocks among {Clock.objects.count():,} in {sweep[1]:.1f} s ({sweep[2]})"
        )
    lines.append("\n<details><summary>EXPLAIN ANALYZE of the hot queries</summary>\n")
    for name, qs in explains.items():
        lines += [f"**{name}**\n", "```", explain(qs), "```\n"]
    lines.append("</details>\n")
    text = "\n".join(lines)
    print(text)
    with open(args.write, "a", encoding="utf-8") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
