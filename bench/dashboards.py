"""Rerunnable benchmark of the dashboard figures on synthetic data (PostgreSQL recommended).

    DATABASE_URL=postgres://…/lapor_bench python bench/dashboards.py --reports 100000

Bulk-creates reports spread over the last year with their events and clocks (not through the workflow:
this measures reading, not writing), then times rebuild_day, a full rebuild of the year, and the
uncached dashboard figures for the whole country and for one province's subtree. Results go to stdout;
copy them to docs/benchmarks.md.
"""

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lapor.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from agencies.models import Agency, Region  # noqa: E402
from complaints.models import Category, Clock, Event, Report  # noqa: E402
from dashboards import aggregation, figures  # noqa: E402


def seed(n: int) -> None:
    rng = random.Random(7)
    agencies = list(Agency.objects.filter(depth__gte=1).values_list("pk", flat=True))
    categories = list(Category.objects.filter(parent__isnull=False).values_list("pk", flat=True))
    regencies = list(Region.objects.filter(level="regency").values_list("code", "parent_id"))
    now = dt.datetime.now(dt.UTC)
    batch = 5000
    for offset in range(0, n, batch):
        reports = []
        for _i in range(min(batch, n - offset)):
            created = now - dt.timedelta(minutes=rng.randrange(365 * 24 * 60))
            regency, province = rng.choice(regencies)
            r = Report(
                classification=rng.choice(["complaint", "aspiration", "information"]),
                title="Bench",
                body="Bench",
                event_date=created.date(),
                province_id=province,
                regency_id=regency,
                category_id=rng.choice(categories),
                channel=rng.choice(["web", "mobile", "sms", "whatsapp"]),
                is_confidential=rng.random() < 0.05,
                agency_id=rng.choice(agencies),
                created_at=created,
                status="submitted",
            )
            fate = rng.random()
            if fate > 0.1:
                r.verified_at = created + dt.timedelta(hours=rng.randrange(1, 96))
                r.dispatched_at = r.verified_at + dt.timedelta(hours=rng.randrange(1, 48))
                r.status = "dispatched"
            if fate > 0.3:
                r.first_follow_up_at = r.dispatched_at + dt.timedelta(hours=rng.randrange(1, 200))
                r.responded_at = r.first_follow_up_at + dt.timedelta(hours=rng.randrange(1, 300))
                r.status = "responded"
            if fate > 0.5:
                r.closed_at = r.responded_at + dt.timedelta(hours=rng.randrange(1, 300))
                r.status, r.rating = "completed", rng.randrange(1, 6)
            reports.append(r)
        Report.objects.bulk_create(reports, batch_size=2000)
        events, clocks = [], []
        for r in reports:
            events.append(Event(report=r, action="submit", agency_id=r.agency_id, created_at=r.created_at))
            if r.verified_at:
                events.append(Event(report=r, action="verify", agency_id=r.agency_id, created_at=r.verified_at))
                events.append(Event(report=r, action="dispatch", agency_id=r.agency_id, created_at=r.dispatched_at))
                clocks.append(_clock(r, "verification", r.created_at, r.dispatched_at, 3))
            if r.first_follow_up_at:
                events.append(
                    Event(report=r, action="follow_up", agency_id=r.agency_id, created_at=r.first_follow_up_at)
                )
                events.append(Event(report=r, action="respond", agency_id=r.agency_id, created_at=r.responded_at))
                clocks.append(_clock(r, "first_follow_up", r.dispatched_at, r.first_follow_up_at, 5))
                clocks.append(_clock(r, "resolution", r.dispatched_at, r.responded_at, 14))
            if r.closed_at:
                events.append(Event(report=r, action="accept", agency_id=r.agency_id, created_at=r.closed_at))
        Event.objects.bulk_create(events, batch_size=5000)
        Clock.objects.bulk_create(clocks, batch_size=5000)
        print(f"  seeded {offset + len(reports)} reports", flush=True)


def _clock(r, kind, start, stop, days):
    due = start + dt.timedelta(days=days * 7 / 5)
    return Clock(
        report=r,
        kind=kind,
        agency_id=r.agency_id,
        limit_days=days,
        started_at=start,
        due_at=due,
        stopped_at=stop,
        state="met" if stop <= due else "missed",
    )


def timed(label, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label}: {time.perf_counter() - start:.3f} s")
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--skip-seed", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    if not Agency.objects.exists():
        call_command("load_reference", verbosity=0)
    if not args.skip_seed:
        timed(f"seed {args.reports} reports", lambda: seed(args.reports))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    print(f"reports={Report.objects.count()} events={Event.objects.count()} clocks={Clock.objects.count()}")
    today = aggregation.stats_date(dt.datetime.now(dt.UTC))
    timed("rebuild_day (yesterday)", lambda: aggregation.rebuild_day(today - dt.timedelta(days=1)))
    rows = timed("rebuild_range (366 days)", lambda: aggregation.rebuild_range(today - dt.timedelta(days=365), today))
    print(f"DailyStat rows: {rows}")
    first = today - dt.timedelta(days=364)
    bali = Agency.objects.get(code="pemprov-bali")
    for label, scope in [("national", figures.Scope()), ("Pemprov Bali", figures.Scope(bali))]:
        for days in (30, 365):
            timed(
                f"figures {label}, {days} days (uncached)",
                lambda s=scope, d=days: figures.compute(s, today - dt.timedelta(days=d - 1), today),
            )
    del first


if __name__ == "__main__":
    main()
