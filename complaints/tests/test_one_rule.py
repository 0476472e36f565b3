"""Ideas with a Python and an SQL side keep one rule: for every combination the loaded object's
answer is the queryset's (overdue, the clocks behind Report.due_at; "public" is
test_confidential.test_is_public_and_the_public_queryset_agree)."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from complaints.models import AGENCY_CLOCKS, Clock, ClockKind, Report, Status, new_tracking_no


def _variants(report, **fields):
    """Copies of `report`, one per combination of the given field values, as loaded from the database."""
    names = list(fields)
    copies = []
    for values in itertools.product(*fields.values()):
        copy = Report.objects.get(pk=report.pk)
        copy.pk, copy.tracking_no, copy.submission_key = None, new_tracking_no(), None
        for name, value in zip(names, values, strict=True):
            setattr(copy, name, value)
        copies.append(copy)
    Report.objects.bulk_create(copies)
    return list(Report.objects.filter(pk__in=[c.pk for c in copies]))


@pytest.mark.django_db
def test_report_is_overdue_is_the_overdue_queryset(make_report):
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    reports = _variants(make_report(), status=Status.values, due_at=[None, now - hour, now + hour])
    late = set(Report.objects.filter(pk__in=[r.pk for r in reports]).overdue(now).values_list("pk", flat=True))
    assert {r.pk for r in reports if r.is_overdue(now)} == late
    assert 0 < len(late) < len(reports)
    on_time = Report.objects.filter(pk__in=[r.pk for r in reports]).not_overdue(now)
    assert set(on_time.values_list("pk", flat=True)) == {r.pk for r in reports} - late


@pytest.mark.django_db
def test_the_clocks_behind_report_due_at_are_one_rule(make_report):
    report = make_report()
    report.clocks.all().delete()
    now = timezone.now()
    for kind, state, stopped in itertools.product(ClockKind.values, Clock.State.values, [None, now]):
        Clock.objects.create(
            report=report, kind=kind, state=state, limit_days=3, started_at=now, due_at=now, stopped_at=stopped
        )
    clocks = list(report.clocks.all())
    chosen = set(report.clocks.setting_report_due().values_list("pk", flat=True))
    assert {c.pk for c in clocks if c.sets_report_due} == chosen
    assert {c.kind for c in clocks if c.pk in chosen} == AGENCY_CLOCKS


@pytest.mark.django_db
def test_report_is_public_is_the_public_queryset_for_every_combination(make_report, tree):
    from agencies.models import Sandbox

    sandbox = Sandbox.objects.create(agency=tree["badung"], name="Bimtek")
    reports = _variants(
        make_report(),
        status=Status.values,
        is_confidential=[False, True],
        verified_at=[None, timezone.now()],
        sandbox_id=[None, sandbox.pk],
    )
    public = set(Report.objects.filter(pk__in=[r.pk for r in reports]).public().values_list("pk", flat=True))
    assert {r.pk for r in reports if r.is_public} == public
    assert 0 < len(public) < len(reports)


@pytest.mark.django_db
def test_report_is_trackable_is_the_not_confidential_queryset_for_every_combination(make_report, tree):
    from agencies.models import Sandbox

    sandbox = Sandbox.objects.create(agency=tree["badung"], name="Bimtek")
    reports = _variants(make_report(), is_confidential=[False, True], sandbox_id=[None, sandbox.pk])
    trackable = set(
        Report.objects.filter(pk__in=[r.pk for r in reports]).not_confidential().values_list("pk", flat=True)
    )
    assert {r.pk for r in reports if r.is_trackable} == trackable
    assert len(trackable) == 1
