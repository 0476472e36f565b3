"""An agency's SOP (#19 item 5): internal targets shown beside the legal deadline (never replacing
it), liaison approval, time zone and regional holidays, with the running clocks recomputed."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import sop, workflow
from complaints.models import CalendarDay, Clock, Report
from complaints.tests.portal import set_due_at

WITA = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def dispatched(make_report, national_admin, tree):
    report = make_report(classification="complaint")
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    return report


def _resolution(report) -> Clock:
    return report.clocks.get(kind="resolution", stopped_at__isnull=True)


def test_an_internal_target_is_shown_beside_the_legal_deadline_never_replacing_it(
    client, dispatched, agency_admin, tree
):
    legal = _resolution(dispatched).due_at
    sop.set_target(agency_admin, tree["badung"], "complaint", 5)
    days, due = sop.internal_target(dispatched)
    assert days == 5 and due < legal
    assert _resolution(dispatched).due_at == legal  # the clock keeps the law's deadline
    client.force_login(agency_admin)
    page = client.get(reverse("admin:complaints_report_change", args=[dispatched.pk])).content.decode()
    assert "Target internal SOP instansi: 5 hari kerja" in page
    assert legal.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%d") in page  # the legal one stays


def test_targets_stay_within_the_law_and_the_admins_reach(agency_admin, sibling_admin, parent_admin, tree):
    with pytest.raises(sop.SopError):
        sop.set_target(agency_admin, tree["badung"], "complaint", 14)  # not shorter than the law's 14 days
    with pytest.raises(sop.SopError):
        sop.set_target(sibling_admin, tree["badung"], "complaint", 5)
    sop.set_target(parent_admin, tree["badung"], "aspiration", 3)  # the province's admin may
    with pytest.raises(sop.SopError):
        sop.add_holiday(sibling_admin, tree["badung"], dt.date(2026, 3, 19), "Nyepi")


def test_a_regional_holiday_moves_the_due_date_of_the_agencys_running_clocks_only(
    dispatched, make_report, national_admin, parent_admin, tree, eager_celery, django_capture_on_commit_callbacks
):
    sleman = make_report(suggested_agency=tree["sleman"])
    workflow.verify(sleman, by=national_admin)
    workflow.dispatch(sleman, by=national_admin, to_agency=tree["sleman"])
    before, sleman_before = _resolution(dispatched).due_at, _resolution(sleman).due_at
    # Galungan: a working day inside the clock's run, declared by Bali for its whole subtree.
    start = _resolution(dispatched).started_at.astimezone(dt.timezone(dt.timedelta(hours=8))).date()
    day = start + dt.timedelta(days=1)
    while day.weekday() >= 5 or CalendarDay.objects.calendar_for(tree["badung"]).is_workday(day) is False:
        day += dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        sop.add_holiday(parent_admin, tree["bali"], day, "Galungan")
    after = _resolution(dispatched).due_at
    assert after > before and after.date() != before.date()
    assert _resolution(sleman).due_at == sleman_before  # Yogyakarta keeps working that day
    with django_capture_on_commit_callbacks(execute=True):
        sop.remove_holiday(parent_admin, CalendarDay.objects.get(name="Galungan"))
    assert _resolution(dispatched).due_at == before


def test_a_time_zone_change_recomputes_and_approval_binds_unit_answers(
    dispatched, agency_admin, unit_admin, tree, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sop.set_rules(agency_admin, tree["badung"], answers_need_approval=True, timezone="Asia/Jayapura")
    due = _resolution(dispatched).due_at
    assert due.astimezone(dt.timezone(dt.timedelta(hours=9))).time() == dt.time(23, 59, 59)  # WIT
    workflow.forward(dispatched, by=agency_admin, to_agency=tree["dinkes"])
    tree["dinkes"].answers_need_approval = False
    tree["dinkes"].save()
    with django_capture_on_commit_callbacks(execute=True):
        sop.set_rules(agency_admin, tree["dinkes"], answers_need_approval=True, timezone="Asia/Makassar")
    with pytest.raises(workflow.WorkflowError):
        workflow.respond(dispatched, by=unit_admin, note="Jawaban tanpa persetujuan")
    with pytest.raises(sop.SopError):
        sop.set_rules(agency_admin, tree["badung"], answers_need_approval=False, timezone="Europe/Paris")


def test_the_sop_page_sets_targets_and_holidays_with_clear_messages(client, agency_admin, sibling_admin, tree):
    client.force_login(agency_admin)
    url = reverse("staff:sop")
    assert client.get(url).status_code == 200
    client.post(url, {"kind": "target", "instansi": "pemkab-badung", "classification": "complaint", "days": "7"})
    assert tree["badung"].internal_targets.get().days == 7
    refused = client.post(
        url, {"kind": "target", "instansi": "pemkab-badung", "classification": "complaint", "days": "99"}, follow=True
    )
    assert "Target internal harus antara 1 dan 13" in refused.content.decode()
    client.post(url, {"kind": "holiday", "instansi": "pemkab-badung", "date": "2026-03-19", "name": "Nyepi"})
    assert CalendarDay.objects.filter(agency=tree["badung"], name="Nyepi").exists()
    client.force_login(sibling_admin)  # Sleman's admin cannot open Badung's SOP: it opens Sleman's
    page = client.get(url, {"instansi": "pemkab-badung"})
    assert page.context["agency"] == tree["sleman"]


def _dispatched(make_report, national_admin, to, n, classification="complaint"):
    reports = []
    for i in range(n):
        report = make_report(title=f"Laporan antrean {classification} {i}", classification=classification)
        workflow.verify(report, by=national_admin)
        workflow.dispatch(report, by=national_admin, to_agency=to)
        reports.append(Report.objects.select_related("agency").get(pk=report.pk))
    return reports


def _wita(moment) -> str:
    return f"{moment.astimezone(WITA):%H:%M} WITA"


def _target_text(due, days) -> str:
    """The start and end of the target as the list shows it (the month is named in the page's language)."""
    return f"Target SOP: {due.astimezone(WITA).day} ", f"{_wita(due)} ({days} hari kerja)"


def _due_cells(client, url) -> dict[str, str]:
    """{tracking number: the deadline column's HTML} of the admin list's page."""
    response = client.get(url)
    return {r.tracking_no: str(response.context["cl"].model_admin.due(r)) for r in response.context["cl"].result_list}


def test_the_admin_queue_shows_the_sop_target_beside_the_legal_deadline_and_follows_the_sop(
    client, make_report, national_admin, agency_admin, tree, django_assert_max_num_queries
):
    complaints = _dispatched(make_report, national_admin, tree["dinkes"], 2)
    aspiration = _dispatched(make_report, national_admin, tree["badung"], 1, "aspiration")[0]
    sop.set_target(agency_admin, tree["badung"], "complaint", 4)  # the regency's target reaches its Dinkes
    client.force_login(agency_admin)
    changelist = reverse("admin:complaints_report_changelist")
    cells = _due_cells(client, changelist)
    for report in complaints:
        days, due = sop.internal_target(report)
        cell = cells[report.tracking_no]
        # The legal deadline stays, in the agency's time zone; the target is beside it, earlier.
        assert cell.startswith(f"{report.due_at.astimezone(WITA).day} ") and _wita(report.due_at) in cell
        start, end = _target_text(due, 4)
        assert start in cell and end in cell and due < report.due_at
    assert "Target SOP" not in cells[aspiration.tracking_no]  # no target for aspirations: the legal one alone
    assert client.get(changelist).content.decode().count("Target SOP") == 2
    # The target follows the SOP: a shorter one shows at once, a removed one disappears.
    sop.set_target(agency_admin, tree["badung"], "complaint", 3)
    assert all("(3 hari kerja)" in _due_cells(client, changelist)[r.tracking_no] for r in complaints)
    sop.set_target(agency_admin, tree["badung"], "complaint", None)
    assert "Target SOP" not in client.get(changelist).content.decode()
    # No N+1: three times as many reports with a target cost no more queries.
    sop.set_target(agency_admin, tree["badung"], "complaint", 5)
    client.get(changelist)
    with django_assert_max_num_queries(40) as few:
        client.get(changelist)
    allowed = len(few.captured_queries)  # now: a slice of the connection's bounded query log
    _dispatched(make_report, national_admin, tree["dinkes"], 4)
    client.get(changelist)  # the queue tabs counted again once (complaints/queue_cache.py), as above
    with django_assert_max_num_queries(allowed):
        assert client.get(changelist).content.decode().count("Target SOP") == 6


def test_the_overdue_list_shows_the_sop_target_beside_the_legal_deadline_without_n_plus_1(
    client, make_report, national_admin, agency_admin, tree, django_assert_max_num_queries
):
    late = _dispatched(make_report, national_admin, tree["dinkes"], 2)
    set_due_at(Report.objects.filter(pk__in=[r.pk for r in late]), timezone.now() - dt.timedelta(days=2))
    sop.set_target(agency_admin, tree["badung"], "complaint", 4)
    client.force_login(national_admin)
    url = reverse("staff:overdue")
    page = client.get(url).content.decode()
    for report in late:
        days, due = sop.internal_target(report)
        start, end = _target_text(due, 4)
        assert start in page and end in page
    assert page.count("WITA") >= 4  # legal deadlines and targets, both in Bali's time zone
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    more = _dispatched(make_report, national_admin, tree["dinkes"], 4)
    set_due_at(Report.objects.filter(pk__in=[r.pk for r in more]), timezone.now() - dt.timedelta(days=1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).content.decode().count("Target SOP") == 6
    sop.set_target(agency_admin, tree["badung"], "complaint", 2)
    assert client.get(url).content.decode().count("(2 hari kerja)") == 6
