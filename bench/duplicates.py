"""Time the duplicate lookup and the routing suggestion on a large database (#16 items 8 and 9).

    DATABASE_URL=... python manage.py shell -c "exec(open('bench/duplicates.py').read())"

Seeds nothing itself: point it at a PostgreSQL database filled by `manage.py seed_scale --reports N`
(titles and bodies fit their categories there). It measures:

- the citizen's lookup (complaints.duplicates.for_citizen) for LOOKUPS texts taken from existing
  reports, each in the report's own regency: p50, p99 and max, and the plan's index;
- the verifier's list (for_verifier, national admin: every report in the regency and category);
- training (routing_model.train on the most recent TRAIN_MAX dispatched reports: time, peak memory)
  and one suggestion for a report not seen before (routing_model.predict: p50/p99);
- the verification page (the admin's verify form, in-process through the test client, national
  admin) for PAGES submitted reports, each three ways: without a suggestion (no model, no stored
  row: the form as before #16), with the suggestion stored when the report arrived (the model
  loaded, the page reads the row), and with the model but no stored row (the page predicts and
  stores, as when the arrival task has not run): p50/p99 of each, and what the stored suggestion
  adds, page by page. Run in a transaction that is rolled back: nothing stays in the database;
- the acceptance rate the verify form records (RoutingSuggestion), with simulated verifiers who
  verify ACCEPTS submitted reports in the category the seed gave them.

DUPES_BENCH=lookup,verifier,train,page,accept (the default: all) picks the parts to run;
DUPES_LOOKUPS and DUPES_PAGES set how many lookups (300) and reports (120) are timed. The parts
`train` (a new RoutingModel) and `accept` (verifies ACCEPTS reports) write to the database; the
others do not (the bench's admin is created in the rolled-back transaction).

Results go into docs/benchmarks.md by hand ("Duplicates and routing suggestions").
"""

import os
import random
import resource
import statistics
import time
from contextlib import nullcontext

from django.db import connection, transaction
from django.db.models import Max
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from agencies.models import Agency, Membership
from complaints import duplicates, routing_model
from complaints.models import Report

LOOKUPS = int(os.environ.get("DUPES_LOOKUPS", 300))
PAGES = int(os.environ.get("DUPES_PAGES", 120))
WARM = 20
PARTS = set(os.environ.get("DUPES_BENCH", "lookup,verifier,train,page,accept").split(","))
rng = random.Random(16)


def pct(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


def spread(samples):
    return f"p50 {ms(statistics.median(samples))}, p99 {ms(pct(samples, 99))}, max {ms(max(samples))}"


def bench_admin():
    """The bench's national admin. Created with the next free ids: a bulk seed (COPY with its own ids)
    may leave a table's id sequence behind its rows, and get_or_create then fails on the primary key."""
    admin = User.objects.filter(email="bench.dupes@lapor.test").first()
    if admin is None:
        admin = User.objects.create(
            pk=(User.objects.aggregate(top=Max("pk"))["top"] or 0) + 1, email="bench.dupes@lapor.test", is_staff=True
        )
    Membership.objects.get_or_create(
        user=admin,
        agency=Agency.objects.get(code="kemenpanrb"),
        role=Membership.Role.NATIONAL_ADMIN,
        defaults={"pk": (Membership.objects.aggregate(top=Max("pk"))["top"] or 0) + 1},
    )
    return admin


total = Report.objects.count()
top = Report.objects.order_by("-pk").values_list("pk", flat=True).first()
samples = []
while len(samples) < LOOKUPS:
    row = (
        Report.objects.filter(pk__gte=rng.randint(1, top))
        .order_by("pk")
        .values_list("title", "body", "regency_id", "category_id")
        .first()
    )
    if row:
        samples.append(row)
print(f"{total:,} reports; {LOOKUPS} lookups with the text of existing reports")

if "lookup" in PARTS:
    # Warm first (the first queries pay for reading the index pages, the first call builds the SQL).
    for title, body, regency, _category in samples[-WARM:]:
        duplicates.for_citizen(regency=regency, title=title, body=body)
    timings, found = [], []
    for title, body, regency, _category in samples:
        started = time.perf_counter()
        result = duplicates.for_citizen(regency=regency, title=title, body=body)
        timings.append(time.perf_counter() - started)
        found.append(len(result))
    print(
        f"citizen lookup: p50 {ms(statistics.median(timings))}, p99 {ms(pct(timings, 99))}, "
        f"max {ms(max(timings))}, mean results {statistics.mean(found):.1f}"
    )
    with CaptureQueriesContext(connection) as ctx:
        duplicates.for_citizen(regency=samples[1][2], title=samples[1][0], body=samples[1][1])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + ctx.captured_queries[-1]["sql"])
        print("plan:\n  " + "\n  ".join(row[0] for row in cursor.fetchall()[:24]))

if "verifier" in PARTS:
    with transaction.atomic():
        admin = bench_admin()
        reports = list(Report.objects.filter(pk__in=[rng.randint(1, top) for _ in range(100)]))
        timings = []
        for report in reports:
            started = time.perf_counter()
            duplicates.for_verifier(report, admin)
            timings.append(time.perf_counter() - started)
        print(f"verifier list (national admin): p50 {ms(statistics.median(timings))}, p99 {ms(pct(timings, 99))}")
        transaction.set_rollback(True)

if "train" in PARTS:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu = time.process_time()
    started = time.perf_counter()
    model = routing_model.train()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"training: {model.trained_on:,} reports in {time.perf_counter() - started:.0f} s "
        f"({time.process_time() - cpu:.0f} s of CPU in this process; the database's share is not counted), "
        f"artifact {len(model.artifact) / 1e6:.1f} MB, peak RSS {peak / 1024:.0f} MB (before {before / 1024:.0f} MB)"
    )

if "train" in PARTS or "page" in PARTS:
    routing_model.forget()
    started = time.perf_counter()
    version, bundle = routing_model.loaded()
    print(f"loading the model once per worker: {ms(time.perf_counter() - started)} (version {version})")
    if bundle is not None:
        timings = []
        for title, body, regency, _category in samples[:200]:
            started = time.perf_counter()
            routing_model.predict(
                bundle, version, title=title, body=body, regency=regency, province=regency.split(".")[0]
            )
            timings.append(time.perf_counter() - started)
        print(f"one suggestion: p50 {ms(statistics.median(timings))}, p99 {ms(pct(timings, 99))}")

if "page" in PARTS and routing_model.loaded()[1] is not None:
    # What the stored suggestion adds to a verification page (#16 item 9). Each of PAGES submitted
    # reports is read once to warm its rows, then timed three ways, the first two in alternating order:
    # - "without": no model and no stored row (routing_model.loaded answers "no model"): as before #16;
    # - "stored": the suggestion stored on arrival (routing_model.suggest, what the arrival task
    #   complaints.tasks.report_arrived does, untimed here), the model loaded: the page reads the row;
    # - "first visit": the model loaded, no stored row: the page predicts and stores (the fallback when
    #   the arrival task has not run).
    # All in one transaction rolled back at the end: the admin, its session, the suggestions go away.
    from unittest import mock

    from django.test import Client
    from django.urls import reverse

    from accounts.testing import force_login
    from complaints.models import RoutingSuggestion, Status

    def page(url, *, model):
        with mock.patch.object(routing_model, "loaded", return_value=(None, None)) if not model else nullcontext():
            started = time.perf_counter()
            response = client.get(url, secure=True)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        shown = "Saran model" in response.content.decode()
        assert shown == model, (url, model)
        return elapsed

    def forget_suggestion(report):
        RoutingSuggestion.objects.filter(report=report).delete()

    with transaction.atomic():
        admin = bench_admin()
        client = Client()
        force_login(client, admin)
        pending = list(
            Report.objects.filter(status=Status.SUBMITTED, sandbox__isnull=True)
            .exclude(pk__in=RoutingSuggestion.objects.values("report"))
            .order_by("-pk")[: PAGES + WARM]
        )
        for report in pending[PAGES:]:  # warm the process: templates, reference data, the form's code
            page(reverse("admin:complaints_report_action", args=[report.pk, "verify"]), model=False)
        without, stored, first_visit, added, arrival = [], [], [], [], []
        for n, report in enumerate(pending[:PAGES]):
            url = reverse("admin:complaints_report_action", args=[report.pk, "verify"])
            page(url, model=False)  # warm this report's rows
            started = time.perf_counter()
            routing_model.suggest(report)  # as on arrival
            arrival.append(time.perf_counter() - started)
            if n % 2:
                stored.append(page(url, model=True))
                forget_suggestion(report)
                without.append(page(url, model=False))
            else:
                forget_suggestion(report)
                without.append(page(url, model=False))
                routing_model.suggest(report)
                stored.append(page(url, model=True))
            added.append(stored[-1] - without[-1])
            forget_suggestion(report)
            first_visit.append(page(url, model=True))
        url = reverse("admin:complaints_report_action", args=[pending[0].pk, "verify"])
        queries = {}
        for name, model in (("without", False), ("stored", True)):
            with CaptureQueriesContext(connection) as ctx:
                page(url, model=model)
            queries[name] = len(ctx.captured_queries)
        transaction.set_rollback(True)
    print(f"verification page, {len(without)} reports, national admin, in-process (test client):")
    print(f"  without a suggestion (no model, no row): {spread(without)}; {queries['without']} queries")
    print(f"  with the stored suggestion:              {spread(stored)}; {queries['stored']} queries")
    print(f"  first visit (model, no row: predicts):   {spread(first_visit)}")
    print(
        f"  added by the stored suggestion: p50 of pages {ms(statistics.median(stored) - statistics.median(without))}"
        f"; page by page p50 {ms(statistics.median(added))}, p90 {ms(pct(added, 90))}, p99 {ms(pct(added, 99))}"
    )
    print(f"  on arrival (routing_model.suggest: predict, store): {spread(arrival)}")


if "accept" in PARTS and routing_model.loaded()[1] is not None:
    # The acceptance rate as the verify form records it, with simulated verifiers: each of ACCEPTS
    # submitted reports the model has not seen gets its suggestion, then is verified in the category
    # the seed gave it (what a verifier who routes as the history did would choose).
    from complaints import workflow
    from complaints.models import RoutingSuggestion, Status

    ACCEPTS = 300
    admin = bench_admin()
    chosen = list(
        Report.objects.filter(status=Status.SUBMITTED, sandbox__isnull=True)
        .exclude(pk__in=RoutingSuggestion.objects.values("report"))
        .order_by("pk")[:ACCEPTS]
    )
    for report in chosen:
        routing_model.suggest(report)
        kind = "normative" if report.classification == "complaint" else None
        workflow.verify(report, by=admin, category=report.category, complaint_kind=kind)
    decided = RoutingSuggestion.objects.filter(report__in=chosen, category_accepted__isnull=False)
    accepted = decided.filter(category_accepted=True).count()
    print(f"acceptance (simulated verifiers, {decided.count()} decisions): category {accepted / decided.count():.1%}")
