"""Rough sweep timing (run explicitly: pytest bench/bench_sweep.py -s)."""

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from complaints import escalation
from complaints.models import Clock, Report, ReportAgency, new_tracking_no

WITA = ZoneInfo("Asia/Makassar")


@pytest.mark.django_db
@pytest.mark.parametrize("n", [200, 1000])
def test_bench_sweep(make_report, agency_admin, parent_admin, n, settings):
    settings.LAPOR_SWEEP_DIGEST_THRESHOLD = 10**6
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=WITA), tick=False):
        template = make_report()
    clock = template.clocks.get()
    reports = []
    for _ in range(n):
        template.pk = None
        template.tracking_no = new_tracking_no()
        template.submission_key = None
        reports.append(Report(**{f.attname: getattr(template, f.attname) for f in Report._meta.concrete_fields}))
    Report.objects.bulk_create(reports)
    new = list(Report.objects.exclude(pk=clock.report_id).values_list("pk", flat=True))
    ReportAgency.objects.bulk_create(
        [
            ReportAgency(report_id=pk, agency_id=template.agency_id, status=template.status, due_at=template.due_at)
            for pk in new
        ]
    )
    Clock.objects.bulk_create(
        [
            Clock(
                report_id=pk,
                kind=clock.kind,
                agency_id=clock.agency_id,
                limit_days=3,
                started_at=clock.started_at,
                due_at=clock.due_at,
                next_check_at=clock.next_check_at,
            )  # fmt: skip
            for pk in new
        ]
    )
    t = time.perf_counter()
    summary = escalation.run_clocks(dt.datetime(2026, 3, 5, 1, tzinfo=WITA))
    reminder = time.perf_counter() - t
    t = time.perf_counter()
    summary2 = escalation.run_clocks(dt.datetime(2026, 3, 10, 1, tzinfo=WITA))
    escalate = time.perf_counter() - t
    print(f"\nN={n + 1}: reminders {reminder:.2f}s ({summary.as_dict()['steps']}), "
          f"escalations {escalate:.2f}s ({summary2.as_dict()['steps']})")  # fmt: skip
