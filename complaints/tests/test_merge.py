"""Merge and unmerge (#16 item 3): a duplicate closes with a link to the main report, its reporter
follows the main one and is told, its support and comments count there, its clocks stop, the
statistics count it once; unmerge restores all of it."""

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from complaints import notifications, workflow
from complaints.models import Action, Clock, Comment, Follow, Notification, Report, Status, Support
from complaints.signals import report_dimensions_changed
from complaints.tests.portal import published
from complaints.workflow import WorkflowError
from dashboards import aggregation
from dashboards.models import DailyStat


@pytest.fixture
def main(make_report, national_admin, other_citizen):
    return published(make_report, national_admin, by=other_citizen)


@pytest.fixture
def duplicate(make_report, national_admin, citizen, other_citizen):
    report = published(make_report, national_admin)
    Support.add(report, other_citizen)
    Comment.add(report, other_citizen, "Saya juga melihat lubang ini.")
    return report


def test_merge_closes_the_duplicate_with_a_link_and_one_event(duplicate, main, agency_admin):
    event = workflow.merge(duplicate, by=agency_admin, into=main)
    duplicate.refresh_from_db()
    assert (duplicate.status, duplicate.merged_into, duplicate.close_reason) == (Status.MERGED, main, "duplicate")
    assert duplicate.closed_at is not None
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        Action.MERGE,
        Status.VERIFIED,
        Status.MERGED,
        agency_admin,
    )
    assert main.tracking_no in event.public_note
    assert duplicate.events.filter(action=Action.MERGE).count() == 1


def test_unmerge_is_one_event_by_an_allowed_role_and_the_reporter_is_told(
    duplicate, main, agency_admin, sibling_admin, citizen
):
    workflow.merge(duplicate, by=agency_admin, into=main)
    with pytest.raises(WorkflowError, match="berwenang"):
        workflow.unmerge(duplicate, by=sibling_admin)  # not theirs
    event = workflow.unmerge(duplicate, by=agency_admin)
    duplicate.refresh_from_db()
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        Action.UNMERGE,
        Status.MERGED,
        Status.VERIFIED,
        agency_admin,
    )
    assert (duplicate.status, duplicate.merged_into) == (Status.VERIFIED, None)
    assert duplicate.events.filter(action=Action.UNMERGE).count() == 1
    assert Notification.objects.filter(user=citizen, report=duplicate, kind=Action.UNMERGE).count() == 1


def test_support_and_comments_count_toward_the_main_report_until_unmerged(duplicate, main, agency_admin):
    workflow.merge(duplicate, by=agency_admin, into=main)
    main.refresh_from_db()
    assert (main.support_count, main.comment_count) == (1, 1)
    workflow.unmerge(duplicate, by=agency_admin)
    main.refresh_from_db()
    assert (main.support_count, main.comment_count) == (0, 0)


def test_reporter_is_told_and_follows_the_main_report(duplicate, main, agency_admin, citizen, national_admin):
    workflow.merge(duplicate, by=agency_admin, into=main)
    told = Notification.objects.get(user=citizen, report=duplicate, kind=Action.MERGE)
    assert main.tracking_no in notifications.render_body(told)  # the mail is written at delivery
    assert Follow.objects.filter(report=main, user=citizen, via=Follow.Via.MERGE, source=duplicate).exists()
    # The main report's next public step reaches the follower too, on the public page.
    workflow.dispatch(main, by=agency_admin, to_agency=main.agency.children.first() or main.agency)
    heard = Notification.objects.get(user=citizen, report=main, kind=Action.DISPATCH)
    assert heard.url == reverse("complaints:detail", args=[main.tracking_no])
    workflow.unmerge(duplicate, by=agency_admin)
    assert not Follow.objects.filter(report=main, user=citizen).exists()


def test_clocks_stop_while_merged_and_unmerge_restores_them(make_report, main, agency_admin):
    duplicate = make_report()  # submitted: its verification clock runs
    running = duplicate.clocks.get(kind="verification")
    assert duplicate.due_at is not None
    workflow.merge(duplicate, by=agency_admin, into=main)
    duplicate.refresh_from_db()
    running.refresh_from_db()
    assert running.state == Clock.State.PAUSED and running.next_check_at is None
    assert duplicate.due_at is None  # out of the queues' deadline order
    workflow.unmerge(duplicate, by=agency_admin)
    duplicate.refresh_from_db()
    running.refresh_from_db()
    assert duplicate.status == Status.SUBMITTED
    assert running.state == Clock.State.RUNNING and running.next_check_at is not None
    assert duplicate.due_at == running.due_at
    assert (duplicate.merged_into, duplicate.close_reason, duplicate.closed_at) == (None, "", None)


def test_a_held_report_keeps_its_agency_clocks_paused_after_unmerge(make_report, main, agency_admin):
    duplicate = make_report()
    workflow.hold(duplicate, by=agency_admin, note="Mohon foto lokasi.")
    workflow.merge(duplicate, by=agency_admin, into=main)
    details = duplicate.clocks.get(kind="details")
    assert details.state == Clock.State.PAUSED  # the citizen's 30 days do not run out while merged
    workflow.unmerge(duplicate, by=agency_admin)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.ON_HOLD
    assert duplicate.clocks.get(kind="verification").state == Clock.State.PAUSED  # still waiting for the citizen
    assert duplicate.clocks.get(kind="details").state == Clock.State.RUNNING


def test_statistics_count_a_merged_report_once(duplicate, main, agency_admin, django_capture_on_commit_callbacks):
    today = timezone.localdate()

    def received():
        aggregation.rebuild_day(today)
        return DailyStat.objects.filter(date=today).aggregate(n=Sum("received"))["n"]

    assert received() == 2
    seen = []
    report_dimensions_changed.connect(lambda sender, report, **kw: seen.append(report.pk), weak=False, dispatch_uid="t")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            workflow.merge(duplicate, by=agency_admin, into=main)
        assert received() == 1
        with django_capture_on_commit_callbacks(execute=True):
            workflow.unmerge(duplicate, by=agency_admin)
        assert received() == 2
    finally:
        report_dimensions_changed.disconnect(dispatch_uid="t")
    assert seen == [duplicate.pk, duplicate.pk]  # the report's days are rebuilt after each


def test_merge_refusals_change_nothing(duplicate, main, make_report, agency_admin, sibling_admin, other_citizen):
    cases = [
        (agency_admin, duplicate, "lain"),  # into itself
        (sibling_admin, main, "berwenang"),  # not theirs
    ]
    for who, into, message in cases:
        with pytest.raises(WorkflowError, match=message):
            workflow.merge(duplicate, by=who, into=into)
    other = make_report()
    workflow.merge(other, by=agency_admin, into=main)
    with pytest.raises(WorkflowError, match="sudah digabungkan"):
        workflow.merge(duplicate, by=agency_admin, into=other)  # no chains: the main report's main
    with pytest.raises(WorkflowError, match="batalkan"):
        workflow.merge(main, by=agency_admin, into=duplicate)  # main already has duplicates
    secret = make_report(is_confidential=True, by=other_citizen)
    with pytest.raises(WorkflowError, match="Rahasia"):
        workflow.merge(duplicate, by=agency_admin, into=secret)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.VERIFIED and duplicate.merged_into is None
    assert Report.objects.get(pk=main.pk).support_count == 0


def test_merged_report_page_links_to_the_main_one_and_support_goes_there(client, duplicate, main, agency_admin):
    workflow.merge(duplicate, by=agency_admin, into=main)
    page = client.get(reverse("complaints:detail", args=[duplicate.tracking_no])).content.decode()
    assert 'id="merged-into"' in page and reverse("complaints:detail", args=[main.tracking_no]) in page
    main_page = client.get(reverse("complaints:detail", args=[main.tracking_no])).content.decode()
    assert 'id="merged-count"' in main_page
    supporter = Report.objects.get(pk=duplicate.pk).reporter
    client.force_login(supporter)
    client.post(reverse("complaints:support", args=[duplicate.tracking_no]))
    assert Support.objects.filter(report=main, user=supporter).exists()


def test_merge_and_unmerge_from_the_admin(client, duplicate, main, agency_admin):
    client.force_login(agency_admin)
    url = reverse("admin:complaints_report_action", args=[duplicate.pk, "merge"])
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"into": "NOPE2345", **_premise(page)})
    assert "tidak ditemukan" in response.content.decode()
    response = client.post(url, {"into": main.tracking_no.lower(), **_premise(page)})
    assert response.status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.merged_into == main
    url = reverse("admin:complaints_report_action", args=[duplicate.pk, "unmerge"])
    page = client.get(url)
    assert client.post(url, _premise(page)).status_code == 302
    duplicate.refresh_from_db()
    assert duplicate.status == Status.VERIFIED


def _premise(page) -> dict:
    form = page.context["form"]
    return {"seen_event": form.initial["seen_event"] or "", "once": form.initial["once"]}


# --- Clusters on the head's dashboard (#16 item 4) ---


def test_heads_dashboard_shows_the_largest_open_clusters_in_scope_with_their_lists(
    client, make_report, national_admin, agency_admin, sibling_admin, head, tree, django_assert_max_num_queries
):
    from agencies.models import Region

    big, small = published(make_report, national_admin), published(make_report, national_admin)
    for _ in range(2):
        workflow.merge(published(make_report, national_admin), by=agency_admin, into=big)
    workflow.merge(published(make_report, national_admin), by=agency_admin, into=small)
    sleman = Region.objects.get(code="34.04")
    elsewhere = make_report(province=sleman.parent, regency=sleman, suggested_agency=tree["sleman"])
    workflow.merge(make_report(province=sleman.parent, regency=sleman, suggested_agency=tree["sleman"]),
                   by=sibling_admin, into=elsewhere)  # fmt: skip
    client.force_login(head)
    with django_assert_max_num_queries(100) as first:
        client.get(reverse("dashboards:dashboard"))
    workflow.merge(published(make_report, national_admin), by=agency_admin, into=small)
    workflow.merge(published(make_report, national_admin), by=agency_admin, into=big)
    with django_assert_max_num_queries(len(first.captured_queries)):  # one query, however many clusters
        page = client.get(reverse("dashboards:dashboard"))
    clusters = page.context["clusters"]
    assert [(main.pk, main.cluster_size) for main, _link in clusters] == [(big.pk, 4), (small.pk, 3)]
    html = page.content.decode()
    assert 'id="clusters"' in html and big.tracking_no in html and elsewhere.tracking_no not in html
    client.force_login(agency_admin)
    listed = client.get(clusters[0][1])
    assert listed.status_code == 200
    assert {r.pk for r in listed.context["cl"].result_list} == {big.pk, *big.duplicates.values_list("pk", flat=True)}


def test_the_clusters_statement_counts_each_mains_duplicates_without_grouping_the_reports(
    make_report, national_admin, agency_admin, head, tree
):
    """The clusters' one statement counts a main's duplicates by a subquery on merged_into, not by a join
    grouped by every column of the report and its regency (that GROUP BY took PostgreSQL 4.5 ms to plan, on
    every view of the dashboard, at any number of reports); the same clusters, largest first."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from complaints import duplicates

    big, small = published(make_report, national_admin), published(make_report, national_admin)
    for main, n in ((big, 2), (small, 1)):
        for _ in range(n):
            workflow.merge(published(make_report, national_admin), by=agency_admin, into=main)
    with CaptureQueriesContext(connection) as ctx:
        clusters = duplicates.largest_clusters(head, tree["badung"])
    assert [(main.pk, main.cluster_size, main.regency.code) for main in clusters] == [
        (big.pk, 3, big.regency_id),
        (small.pk, 2, small.regency_id),
    ]
    (statement,) = [q["sql"] for q in ctx.captured_queries if '"merged_into_id" IS NOT NULL' in q["sql"]]
    assert 'GROUP BY "complaints_report"."id"' not in statement, statement
