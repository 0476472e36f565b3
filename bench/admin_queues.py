"""Time the report admin's queue pages on a large database (run against a seeded PostgreSQL).

    DATABASE_URL=... REDIS_URL=... python manage.py shell -c "exec(open('bench/admin_queues.py').read())"

Seeds nothing itself: point it at a database filled by `manage.py seed_scale --reports N`.

Measured 2026-11-23 on the shared 2-core box (load average ~5 from other jobs), PostgreSQL 15,
1,000,000 reports (56 % open), with the report_due index; every page runs 11 queries:
  national admin  changelist 369 ms, queue "submitted" 300 ms, overdue 275 ms, page 50 590 ms,
                  title search 2.2 s (icontains: no trigram index), export of 62,501 rows 17 s
                  (exports are now measured by bench/exports.py)
  agency admin    changelist 464 ms, queue "submitted" 717 ms, overdue 390 ms, page 50 521 ms
Without report_due the national changelist sorted 1M rows: 1.5 s (page query 1.1 s).

2,004,245 reports (2026-11-23 12:20 UTC), the dashboard's drill-down links: national admin, a month's
judged first follow-up clocks 2.6 s (the capped count of 10,000 walks reports and probes their
clocks), the misses 1.9 s, escalations 0.33 s, a category with its sub-categories 0.36 s; the same
links for an agency admin 26-32 ms. The national changelist itself 362 ms, of which 314 ms is the
queue tabs' grouped count over the country's open reports.
"""

import time

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from agencies.models import Agency, Membership
from complaints.models import Category, Report


def user(email, agency_code, role):
    u, _ = User.objects.get_or_create(email=email, defaults={"full_name": email, "is_staff": True})
    Membership.objects.get_or_create(user=u, agency=Agency.objects.get(code=agency_code), role=role)
    return u


MONTH = {"tenggat_dari": "2026-10-01T00:00:00+07:00", "tenggat_sampai": "2026-11-01T00:00:00+07:00"}
TOP_CATEGORY = Category.objects.filter(parent=None).values_list("pk", flat=True).first()
CASES = [
    ("changelist", "/admin/complaints/report/", {}),
    ("queue submitted", "/admin/complaints/report/", {"antrean": "submitted"}),
    ("queue overdue", "/admin/complaints/report/", {"antrean": "overdue"}),
    ("search title", "/admin/complaints/report/", {"q": "nomor 4242"}),
    ("page 50", "/admin/complaints/report/", {"p": "50"}),
    # The dashboard's links: a month's judged first follow-up clocks, misses, escalations, a category tree.
    ("link ffu judged", "/admin/complaints/report/", {"tenggat": "first_follow_up:judged", **MONTH}),
    ("link ffu missed", "/admin/complaints/report/", {"tenggat": "first_follow_up:missed", **MONTH}),
    ("link escalated", "/admin/complaints/report/", {"tenggat": "escalated", **MONTH}),
    ("link category", "/admin/complaints/report/", {"kategori": str(TOP_CATEGORY)}),
]
print("reports:", Report.objects.count())
for label, u in [
    ("national admin", user("bench-nas@example.test", "kemenpanrb", "national_admin")),
    ("agency admin (Badung)", user("bench-badung@example.test", "pemkab-badung", "agency_admin")),
]:
    client = Client()
    client.force_login(u)
    for name, url, params in CASES:
        client.get(url, params)  # warm
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url, params)
            elapsed = time.perf_counter() - start
        slowest = max(float(q["time"]) for q in ctx.captured_queries)
        print(
            f"{label:24} {name:18} {response.status_code} {elapsed * 1000:7.0f} ms  "
            f"{len(ctx.captured_queries):2} queries, slowest {slowest * 1000:.0f} ms"
        )
