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
  admin) for PAGES submitted reports, without a model and with one: what the suggestion adds;
- the acceptance rate the verify form records (RoutingSuggestion), with simulated verifiers who
  verify ACCEPTS submitted reports in the category the seed gave them.

DUPES_BENCH=lookup,verifier,train,page,accept (the default: all) picks the parts to run.

Results go into docs/benchmarks.md by hand ("Duplicates and routing suggestions").
"""

import os
import random
import resource
import statistics
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from agencies.models import Agency, Membership
from complaints import duplicates, routing_model
from complaints.models import Report

LOOKUPS = 300
PAGES = 60
PARTS = set(os.environ.get("DUPES_BENCH", "lookup,verifier,train,page,accept").split(","))
rng = random.Random(16)


def pct(samples, p):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p / 100))]


def ms(seconds):
    return f"{seconds * 1000:.1f} ms"


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
    # Warm the cache once (the first query pays for reading the index pages).
    duplicates.for_citizen(regency=samples[0][2], title=samples[0][0], body=samples[0][1])
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

admin, _ = User.objects.get_or_create(email="bench.dupes@lapor.test", defaults={"is_staff": True})
Membership.objects.get_or_create(
    user=admin, agency=Agency.objects.get(code="kemenpanrb"), role=Membership.Role.NATIONAL_ADMIN
)
if "verifier" in PARTS:
    reports = list(Report.objects.filter(pk__in=[rng.randint(1, top) for _ in range(100)]))
    timings = []
    for report in reports:
        started = time.perf_counter()
        duplicates.for_verifier(report, admin)
        timings.append(time.perf_counter() - started)
    print(f"verifier list (national admin): p50 {ms(statistics.median(timings))}, p99 {ms(pct(timings, 99))}")

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
    # What the suggestion adds to a verification page: each submitted report's verify form is read
    # once to warm it, then timed without a model, then with one (the first read computes and
    # stores the suggestion, as a verifier's first visit does).
    from unittest import mock

    from django.test import Client
    from django.urls import reverse

    from accounts.testing import force_login
    from complaints.models import RoutingSuggestion, Status

    client = Client()
    force_login(client, admin)
    pending = list(
        Report.objects.filter(status=Status.SUBMITTED, sandbox__isnull=True)
        .exclude(pk__in=RoutingSuggestion.objects.values("report"))
        .order_by("-pk")
        .values_list("pk", flat=True)[:PAGES]
    )
    without, with_model, added = [], [], []
    for pk in pending:
        url = reverse("admin:complaints_report_action", args=[pk, "verify"])
        with mock.patch.object(routing_model, "loaded", return_value=(None, None)):
            assert client.get(url, secure=True).status_code == 200  # warm
            started = time.perf_counter()
            assert client.get(url, secure=True).status_code == 200
            without.append(time.perf_counter() - started)
        started = time.perf_counter()
        response = client.get(url, secure=True)
        with_model.append(time.perf_counter() - started)
        assert response.status_code == 200
        added.append(with_model[-1] - without[-1])
    print(
        f"verification page ({len(pending)} reports): without a model p50 {ms(statistics.median(without))}, "
        f"p99 {ms(pct(without, 99))}; with one p50 {ms(statistics.median(with_model))}, "
        f"p99 {ms(pct(with_model, 99))}; added per page p50 {ms(statistics.median(added))}, "
        f"p90 {ms(pct(added, 90))}"
    )
    timings = []
    for report in Report.objects.filter(pk__in=pending[:30]):
        RoutingSuggestion.objects.filter(report=report).delete()
        started = time.perf_counter()
        routing_model.suggest(report)
        timings.append(time.perf_counter() - started)
    print(f"routing_model.suggest (predict + store): p50 {ms(statistics.median(timings))}, max {ms(max(timings))}")

if "accept" in PARTS and routing_model.loaded()[1] is not None:
    # The acceptance rate as the verify form records it, with simulated verifiers: each of ACCEPTS
    # submitted reports the model has not seen gets its suggestion, then is verified in the category
    # the seed gave it (what a verifier who routes as the history did would choose).
    from complaints import workflow
    from complaints.models import RoutingSuggestion, Status

    ACCEPTS = 300
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
