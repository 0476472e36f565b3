"""Issue #15 goal 4: the agency queues read only their own open handling rows.

Every handling row (ReportAgency) carries its report's status, written by Report.save with the status
counters; the staff scope matches it, so a queue of one status reads the subtree's rows in that status
through the (agency, status, report) index instead of every report the subtree ever held. The rows carry
their report's due time and practice flag too (Report.save, clocks.sync_report_due), so the queue tabs
are counted from that index alone (access.staff_queue_counts)."""

import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Exists, F, OuterRef
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, Role, in_subtrees
from agencies.roles import staff_agencies
from complaints import access, clocks, escalation, queue_cache, sandbox, workflow
from complaints.models import OPEN_STATUSES, ClockLimit, CloseReason, Report, ReportAgency, Status
from complaints.tests.portal import answered, set_due_at

CHANGELIST = "admin:complaints_report_changelist"
User = get_user_model()


def _out_of_step():
    """Handling rows whose status, due time or practice flag is not their report's."""
    return [
        (h.report.tracking_no, h.status, h.due_at, h.is_practice)
        for h in ReportAgency.objects.select_related("report")
        if (h.status, h.due_at, h.is_practice) != (h.report.status, h.report.due_at, h.report.sandbox_id is not None)
    ]


def test_handling_rows_carry_the_status_through_every_transition(
    make_report, national_admin, agency_admin, unit_admin, sibling_admin, citizen, tree
):
    steps = []

    def check(label):
        assert _out_of_step() == [], label
        steps.append(label)

    report = make_report()  # suggested to Badung: a handling row in "submitted"
    check("submit")
    workflow.hold(report, by=national_admin, note="Lengkapi lokasi")
    check("hold")
    workflow.provide_info(report, by=citizen, note="Di depan Puskesmas Kuta")
    check("provide info")
    workflow.verify(report, by=national_admin)
    check("verify")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"], copies=[tree["diy"]])
    check("dispatch with a copy")
    workflow.forward(report, by=agency_admin, to_agency=tree["dinkes"], note="Untuk Dinkes")
    check("forward")
    workflow.follow_up(report, by=unit_admin, note="Sedang dicek")
    check("follow up")
    workflow.return_report(report, by=unit_admin, reason="Bukan wewenang kami")
    check("return")
    workflow.dispatch(report, by=national_admin, to_agency=tree["dinkes"])  # returned to the national queue
    check("dispatch again")
    workflow.transfer(report, by=agency_admin, to_agency=tree["sleman"], note="Lokasi di Sleman")
    check("transfer")
    workflow.respond(report, by=sibling_admin, note="Sudah ditambal")
    check("respond")
    workflow.accept(report, by=citizen, rating=4)
    check("complete")
    workflow.reopen(report, by=citizen, reason="Lubangnya muncul lagi")
    check("reopen")
    workflow.respond(report, by=sibling_admin, note="Ditambal lagi")
    check("respond again")
    workflow.accept(report, by=citizen, rating=5)
    check("complete again")

    other = make_report(title="Laporan kedua")
    workflow.verify(other, by=national_admin, is_confidential=True, is_anonymous=True)
    check("made Rahasia and Anonim")
    workflow.archive(other, by=national_admin, reason=CloseReason.WITHDRAWN)
    check("archive")
    third = make_report(title="Laporan ketiga")
    workflow.remove(third, by=national_admin, reason=CloseReason.SPAM)
    check("remove")
    main = answered(make_report, national_admin, agency_admin, tree, title="Laporan keempat")
    duplicate = make_report(title="Laporan kelima, sama")
    workflow.verify(duplicate, by=national_admin)
    workflow.merge(duplicate, by=national_admin, into=main)
    check("merge")
    workflow.unmerge(duplicate, by=national_admin)
    check("unmerge")
    # A save without the status leaves the rows alone; one whose stored status is unknown still writes it.
    Report.objects.filter(pk=duplicate.pk).only("title").get().save(update_fields=["title"])
    check("save without status")
    loaded = Report.objects.defer("status").get(pk=duplicate.pk)
    loaded.status = Status.IN_PROGRESS
    loaded.save()
    check("save of a report loaded without its status")
    assert ReportAgency.objects.filter(report=duplicate).get().status == Status.IN_PROGRESS
    assert ReportAgency.objects.filter(report=report).count() == 4  # Badung, DIY's copy, Dinkes, Sleman
    assert set(ReportAgency.objects.filter(report=report).values_list("status", flat=True)) == {Status.COMPLETED}


def _fresh_counts(user, now):
    """The queue tabs counted afresh from the reports themselves: the real reports any handling row of
    the user's subtrees points to, plus the user's practice reports, in an open status; overdue by
    Report.is_overdue. Nothing of the handling rows' copied status, due time or practice flag is read."""
    reports = set(_old_scope(user)) | set(access.practice_reports(user))
    counts = {"overdue": 0}
    for r in reports:
        if r.status in OPEN_STATUSES:
            counts[r.status] = counts.get(r.status, 0) + 1
            counts["overdue"] += r.is_overdue(now)
    return counts


def test_queue_tab_counts_equal_a_fresh_count_after_every_transition(
    make_report, national_admin, agency_admin, parent_admin, unit_admin, sibling_admin, head, citizen, tree,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    staff = [agency_admin, parent_admin, unit_admin, sibling_admin, head]
    trainee = User.objects.create_user("latihan@example.test", "lapor-test", full_name="Peserta", is_staff=True)
    steps = []

    def check(label):
        assert _out_of_step() == [], label
        now = timezone.now()
        # Ending at `now`: the next step's first count (at its own now) may read what this one kept
        # (complaints/queue_cache.py), so a step that failed to move the version is caught there.
        for when in (now, now + dt.timedelta(days=6), now + dt.timedelta(days=40), now):
            for user in User.objects.filter(pk__in=[u.pk for u in [*staff, trainee]]):  # nothing cached on them
                assert access.staff_queue_counts(user, OPEN_STATUSES, when) == _fresh_counts(user, when), (
                    label,
                    user.email,
                    when,
                )
        steps.append(label)

    report = make_report()
    second = make_report(title="Laporan kedua", is_anonymous=True)
    check("submit")
    workflow.hold(report, by=national_admin, note="Lengkapi lokasi")
    check("hold")
    workflow.provide_info(report, by=citizen, note="Di depan Puskesmas Kuta")
    check("provide info")
    workflow.verify(report, by=national_admin)
    workflow.verify(second, by=national_admin)
    check("verify")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"], copies=[tree["diy"]])
    workflow.dispatch(second, by=national_admin, to_agency=tree["badung"])
    check("dispatch with a copy")
    workflow.forward(report, by=agency_admin, to_agency=tree["dinkes"], note="Untuk Dinkes")
    check("forward")
    workflow.follow_up(report, by=unit_admin, note="Sedang dicek")
    workflow.follow_up(second, by=agency_admin, note="Sedang dicek")
    check("follow up")
    with time_machine.travel(timezone.now() + dt.timedelta(days=30)):
        with django_capture_on_commit_callbacks(execute=True):
            escalation.run_clocks()  # reminders and escalations of the missed clocks
        check("escalation sweep")
    ClockLimit.objects.create(kind="resolution", days=60)
    clocks.recompute_open_clocks()  # a changed limit: new due times written by bulk UPDATEs
    assert Report.objects.get(pk=second.pk).due_at != second.due_at
    check("limit changed")
    workflow.return_report(report, by=unit_admin, reason="Bukan wewenang kami")
    check("return")
    workflow.dispatch(report, by=national_admin, to_agency=tree["dinkes"])
    check("dispatch again")
    workflow.transfer(report, by=agency_admin, to_agency=tree["sleman"], note="Lokasi di Sleman")
    check("transfer out of the subtree")
    workflow.respond(report, by=sibling_admin, note="Sudah ditambal")
    check("respond")
    workflow.accept(report, by=citizen, rating=4)
    check("complete")
    workflow.reopen(report, by=citizen, reason="Lubangnya muncul lagi")
    check("reopen")
    main = answered(make_report, national_admin, agency_admin, tree, title="Laporan utama")
    duplicate = make_report(title="Laporan sama")
    workflow.verify(duplicate, by=national_admin)
    workflow.dispatch(duplicate, by=national_admin, to_agency=tree["badung"])
    check("before merge")
    workflow.merge(duplicate, by=national_admin, into=main)
    check("merge")
    workflow.unmerge(duplicate, by=national_admin)
    check("unmerge")
    workflow.archive(make_report(title="Ditarik"), by=national_admin, reason=CloseReason.WITHDRAWN)
    check("archive")
    real_only = access.staff_queue_counts(agency_admin, OPEN_STATUSES)
    with django_capture_on_commit_callbacks(execute=True):
        box = sandbox.open_sandbox(
            tree["badung"], name="Bimtek Badung", seats=[(trainee, Role.AGENCY_ADMIN, tree["badung"])]
        )
    practice, trainee = box.reports.order_by("pk").first(), User.objects.get(pk=trainee.pk)
    assert ReportAgency.objects.filter(report=practice, is_practice=True).exists()
    check("sandbox opened")
    workflow.verify(practice, by=trainee)
    workflow.dispatch(practice, by=trainee, to_agency=tree["dinkes"])
    check("practice dispatched")
    assert access.staff_queue_counts(trainee, OPEN_STATUSES)[Status.DISPATCHED] == 1
    assert access.staff_queue_counts(agency_admin, OPEN_STATUSES) == real_only  # practice never counts for them
    sandbox.close_sandbox(tree["badung"])
    check("sandbox closed")
    assert len(steps) == 22
    # The fixture reached the cases that matter: overdue reports, several open statuses.
    later = _fresh_counts(agency_admin, timezone.now() + dt.timedelta(days=40))
    assert later["overdue"] and len(later) >= 3


def test_sync_handling_rows_puts_right_what_was_changed_behind_the_workflows_back(make_report, national_admin, tree):
    report = make_report()
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"], copies=[tree["diy"]])
    other = make_report(title="Lain")
    # A repair done in SQL (or old code during a deploy) that the handling rows did not follow.
    Report.objects.filter(pk=report.pk).update(due_at=report.due_at + dt.timedelta(days=3))
    ReportAgency.objects.filter(report=other).update(status=Status.ON_HOLD, is_practice=True)
    assert len(_out_of_step()) == 3
    out = io.StringIO()
    call_command("sync_handling_rows", "--batch", "1", stdout=out)
    assert _out_of_step() == [] and out.getvalue().strip() == "3"
    assert ReportAgency.objects.filter(report=other).get().status == Status.SUBMITTED
    call_command("sync_handling_rows", stdout=out)
    assert out.getvalue().split() == ["3", "0"]


def _old_scope(user):
    """The staff scope as it was before the handling rows carried a status: any row of the subtree."""
    agencies = staff_agencies(user)
    qs = Report.objects.real()
    if not agencies:
        return qs.none()
    held = ReportAgency.objects.filter(in_subtrees(agencies, "agency"), report=OuterRef("pk"))
    return qs.filter(Exists(held))


def _ids(qs):
    return set(qs.values_list("pk", flat=True))


def test_the_staff_scope_shows_the_same_reports_as_before(
    make_report, national_admin, agency_admin, parent_admin, unit_admin, sibling_admin, head, citizen, tree
):
    # A varied fixture: every open status, closed ones, a transfer out of the subtree, a copy, a merge.
    submitted = make_report(title="Baru")
    make_report(title="Tanpa usulan", suggested_agency=None)
    held = make_report(title="Ditunda")
    workflow.hold(held, by=national_admin, note="Lengkapi")
    verified = make_report(title="Terverifikasi")
    workflow.verify(verified, by=national_admin)
    dispatched = make_report(title="Terdisposisi")
    workflow.verify(dispatched, by=national_admin)
    workflow.dispatch(dispatched, by=national_admin, to_agency=tree["badung"], copies=[tree["sleman"]])
    forwarded = make_report(title="Diteruskan")
    workflow.verify(forwarded, by=national_admin)
    workflow.dispatch(forwarded, by=national_admin, to_agency=tree["badung"])
    workflow.forward(forwarded, by=agency_admin, to_agency=tree["dinkes"], note="Untuk Dinkes")
    workflow.follow_up(forwarded, by=unit_admin, note="Dicek")
    moved = make_report(title="Dialihkan")
    workflow.verify(moved, by=national_admin)
    workflow.dispatch(moved, by=national_admin, to_agency=tree["badung"])
    workflow.transfer(moved, by=agency_admin, to_agency=tree["sleman"], note="Lokasi di Sleman")
    returned = make_report(title="Dikembalikan")
    workflow.verify(returned, by=national_admin)
    workflow.dispatch(returned, by=national_admin, to_agency=tree["badung"])
    workflow.return_report(returned, by=agency_admin, reason="Bukan wewenang")
    done = answered(make_report, national_admin, agency_admin, tree, title="Selesai")
    workflow.accept(done, by=citizen, rating=4)
    main = answered(make_report, national_admin, agency_admin, tree, title="Utama")
    duplicate = make_report(title="Duplikat")
    workflow.verify(duplicate, by=national_admin)
    workflow.merge(duplicate, by=national_admin, into=main)
    removed = make_report(title="Sampah")
    workflow.remove(removed, by=national_admin, reason=CloseReason.SPAM)
    sleman = make_report(title="Di Sleman", suggested_agency=tree["sleman"])
    assert ReportAgency.objects.exists() and not _out_of_step()

    statuses = set(Report.objects.values_list("status", flat=True))
    assert len(statuses) >= 8  # the fixture is varied
    for user in (agency_admin, parent_admin, unit_admin, sibling_admin, head):
        old, new = _old_scope(user), access.staff_reports(user)
        assert _ids(new) == _ids(old) and _ids(new), user.email
        assert _ids(access.staff_reports(user, statuses=OPEN_STATUSES)) == _ids(old.filter(status__in=OPEN_STATUSES))
        for status in statuses:
            assert _ids(new.filter(status=status)) == _ids(old.filter(status=status)), (user.email, status)
        public_and_own = Report.objects.public() | Report.objects.filter(reporter=user)
        assert _ids(access.reports_visible_to(user)) == _ids(public_and_own | old)
    assert submitted.pk in _ids(access.staff_reports(agency_admin))
    assert moved.pk in _ids(access.staff_reports(agency_admin)) & _ids(access.staff_reports(sibling_admin))
    assert sleman.pk not in _ids(access.staff_reports(agency_admin))
    assert _ids(access.staff_reports(national_admin)) == _ids(Report.objects.real())


QUEUES = [
    ("agency_admin", Status.SUBMITTED),
    ("agency_admin", Status.IN_PROGRESS),
    ("national_admin", Status.SUBMITTED),
]


def _grow(make_report, national_admin, agency_admin, tree, n):
    """n reports in each of the two queues' statuses, and n closed ones in the subtree's history."""
    for i in range(n):
        make_report(title=f"Baru {i}", is_anonymous=bool(i % 2))
        working = make_report(title=f"Diproses {i}")
        workflow.verify(working, by=national_admin)
        workflow.dispatch(working, by=national_admin, to_agency=tree["badung"])
        workflow.follow_up(working, by=agency_admin, note="Dicek")
        closed = make_report(title=f"Ditutup {i}")
        workflow.archive(closed, by=national_admin, reason=CloseReason.WITHDRAWN)


@pytest.mark.parametrize(("role", "status"), QUEUES)
def test_queue_pages_queries_stay_flat_as_reports_grow(
    request, client, make_report, national_admin, agency_admin, tree, django_assert_max_num_queries, role, status
):
    # session, user, second-factor device, memberships, queue tab counts (one grouped query; national:
    # the status counters and the capped overdue count), the province/district/agency/category filters'
    # choices, the capped count, two permission look-ups of the admin chrome, the acting agency's
    # memberships, the page of reports, the agencies' SOP targets.
    client.force_login(request.getfixturevalue(role))
    url = reverse(CHANGELIST) + f"?status__exact={status}"
    _grow(make_report, national_admin, agency_admin, tree, 3)
    with django_assert_max_num_queries(15):
        first = client.get(url)
    assert first.status_code == 200 and first.context["cl"].result_count == 3
    _grow(make_report, national_admin, agency_admin, tree, 6)
    with django_assert_max_num_queries(15):
        response = client.get(url)
    assert response.status_code == 200 and response.context["cl"].result_count == 9
    assert {r.status for r in response.context["cl"].result_list} == {status}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_the_in_progress_queue_reads_only_its_rows_in_that_status(
    client, make_report, national_admin, agency_admin, tree, django_assert_max_num_queries
):
    _grow(make_report, national_admin, agency_admin, tree, 4)
    client.force_login(agency_admin)
    response = client.get(reverse(CHANGELIST), {"status__exact": Status.IN_PROGRESS})
    qs = response.context["cl"].queryset  # the page's own query, scope and filters
    assert _ids(qs) and {r.status for r in qs} == {Status.IN_PROGRESS}
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("ANALYZE complaints_reportagency")
        cur.execute("EXPLAIN (COSTS OFF) " + sql, params)
        plan = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'report_agency_queue'")
        (index,) = cur.fetchone()
    # The index the queue reads through at scale (EXPLAIN at 2,000,000 reports: /docs/benchmarks.md):
    # the subtree's agencies, then the status, then the report.
    assert "(agency_id, status, report_id)" in index
    # The handling rows are read with the queue's status, carried across from the report's filter (on
    # a few rows the planner may walk any index and filter; at 2M it is an Index Cond of that index).
    # Without it every row the subtree ever had is read and each report probed (3,071 for 386 at 2M).
    at = next(i for i, line in enumerate(plan) if "complaints_reportagency" in line)
    conditions = " ".join(line for line in plan[at + 1 : at + 3] if "Cond" in line or "Filter" in line)
    assert "status)::text = 'in_progress'" in conditions and "agency_id = ANY" in conditions, "\n".join(plan)
    assert Agency.objects.filter(in_subtrees([tree["badung"]])).count() > 1  # a subtree, not one agency


def _page_rows(client, params) -> list[int]:
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    return [r.pk for r in response.context["cl"].result_list]


def test_a_queue_page_picked_from_the_handling_rows_is_the_queues_page(
    client,
    make_report,
    national_admin,
    agency_admin,
    parent_admin,
    unit_admin,
    sibling_admin,
    tree,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    """A page of an agency's queue of one status is picked from the handling rows' index
    (access.staff_queue_reports) and then read by id: the same reports in the same order as the queue's own
    definition — staff_reports in that status, earliest due first, none last, then by id — page after
    page, for each subtree and status: a report with several rows in the subtree shown once, reports
    with the same due time, without one, practice reports, and reports out of the subtree."""
    monkeypatch.setattr("complaints.admin.ReportAdmin.list_per_page", 3)
    due = timezone.now() + dt.timedelta(days=3)
    working = []
    for i in range(8):
        report = make_report(title=f"Diproses {i}")
        workflow.verify(report, by=national_admin)
        copies = [tree["sleman"]] if i == 2 else []
        workflow.dispatch(report, by=national_admin, to_agency=tree["badung"], copies=copies)
        if i % 2:  # rows for Badung and Dinkes: twice in Badung's subtree
            workflow.forward(report, by=agency_admin, to_agency=tree["dinkes"], note="Untuk Dinkes")
        workflow.follow_up(report, by=unit_admin if i % 2 else agency_admin, note="Dicek")
        working.append(report)
    for i in range(8):
        make_report(title=f"Baru {i}")
    make_report(title="Di Sleman", suggested_agency=tree["sleman"])
    submitted = list(Report.objects.filter(status=Status.SUBMITTED).order_by("pk"))
    # Ties in the due time across a page's edge, and reports without one.
    set_due_at(Report.objects.filter(pk__in=[r.pk for r in working[1:5]]), due)
    set_due_at(Report.objects.filter(pk__in=[r.pk for r in working[5:]] + [r.pk for r in submitted[:3]]), None)
    set_due_at(Report.objects.filter(pk__in=[r.pk for r in submitted[3:6]]), due)
    trainee = User.objects.create_user("latihan@example.test", "pw", full_name="Peserta", is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        sandbox.open_sandbox(tree["badung"], name="Bimtek", seats=[(trainee, Role.AGENCY_ADMIN, tree["badung"])])
    assert Report.objects.filter(sandbox__isnull=False, status=Status.SUBMITTED).exists()
    assert _out_of_step() == []

    picked = []
    real = access.staff_queue_reports

    def spy(user, *args):
        reports = real(user, *args)
        if reports is not None:
            picked.append(user.email)
        return reports

    monkeypatch.setattr(access, "staff_queue_reports", spy)
    order = [F("due_at").asc(nulls_last=True), "pk"]
    seen = 0
    for user in (agency_admin, parent_admin, unit_admin, sibling_admin, trainee):
        client.force_login(user)
        for status in (Status.SUBMITTED, Status.IN_PROGRESS, Status.DISPATCHED):
            queue = access.staff_reports(user).filter(status=status).order_by(*order)
            expected = list(queue.values_list("pk", flat=True))
            for key in ("status__exact", "antrean"):
                pages = range(1, (len(expected) + 2) // 3 + 1)
                shown = [pk for page in pages for pk in _page_rows(client, {key: status, "p": page})]
                assert shown == expected, (user.email, status, key)
                seen += len(shown)
    assert seen > 50
    # Pages of the agencies' queues were picked from the handling rows, a queue of one page too (Sleman's:
    # the same statement as a long queue's first page); the trainee's (practice reports join their
    # scope) were not.
    assert set(picked) == {u.email for u in (agency_admin, parent_admin, unit_admin, sibling_admin)}
    # Anything else on the address, another order: Django's page of the same queue.
    client.force_login(agency_admin)
    picked.clear()
    expected = list(access.staff_reports(agency_admin).filter(status=Status.SUBMITTED).order_by("-pk"))
    assert _page_rows(client, {"status__exact": Status.SUBMITTED, "o": "-1"}) != []
    assert _page_rows(client, {"status__exact": Status.SUBMITTED, "q": "Baru"}) != []
    assert picked == [] and expected


def test_a_picked_queue_page_reads_the_handling_rows_once_by_a_statement_compiled_once(
    client, make_report, national_admin, agency_admin, tree, monkeypatch
):
    """The pick already applies the scope (the subtrees' rows in the queue's status, no practice
    report), so the page's reports are read by id without the scope's EXISTS over the queue's rows a
    second time, and by a statement compiled once per process: the next request compiles no statement
    of reports. A report whose handling rows are out of step with it (a repair in SQL not yet put right
    by sync_handling_rows) is still never shown in the queue of a status it is not in."""
    monkeypatch.setattr("complaints.admin.ReportAdmin.list_per_page", 3)
    _grow(make_report, national_admin, agency_admin, tree, 5)
    expected = list(
        access.staff_reports(agency_admin).filter(status=Status.IN_PROGRESS).order_by(*access.QUEUE_ORDER)[:3]
    )
    assert len(expected) == 3

    compiled = []
    compile_sql = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        compiled.append(self.query.model)
        return compile_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    client.force_login(agency_admin)
    url = reverse(CHANGELIST) + f"?status__exact={Status.IN_PROGRESS}"
    client.get(url)
    compiled.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert [r.pk for r in response.context["cl"].result_list] == [r.pk for r in expected]
    assert Report not in compiled
    # Which reports the page shows was kept from the first view (complaints/queue_cache.py): they are
    # read by their ids alone, without the handling rows.
    (page,) = [q["sql"] for q in ctx.captured_queries if 'FROM "complaints_report" ' in q["sql"]]
    assert '"complaints_reportagency"' not in page and " IN (" in page, page
    queue_cache.clear_local()
    with CaptureQueriesContext(connection) as ctx:
        assert [r.pk for r in client.get(url).context["cl"].result_list] == [r.pk for r in expected]
    picks = [
        q["sql"] for q in ctx.captured_queries if 'FROM "complaints_reportagency"' in q["sql"] and "LIMIT" in q["sql"]
    ]
    assert len(picks) == 1, picks  # not kept: picked from the handling rows, once

    stale = expected[0]
    Report.objects.filter(pk=stale.pk).update(status=Status.COMPLETED)  # its rows still say in_progress
    shown = [r.pk for r in client.get(url).context["cl"].result_list]
    assert shown == [r.pk for r in expected[1:]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's plan")
def test_the_queue_tabs_read_only_the_open_handling_rows(client, make_report, national_admin, agency_admin, tree):
    """The tabs' count (over the open statuses) reads the partial index of open handling rows
    (report_agency_open), not every row the subtree ever had: at 2,000,000 reports 931 of an agency's
    3,071 rows are open (an open queue's page picks from it too there: docs/benchmarks.md)."""
    _grow(make_report, national_admin, agency_admin, tree, 4)
    client.force_login(agency_admin)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse(CHANGELIST), {"status__exact": Status.IN_PROGRESS})
    assert response.status_code == 200
    (tabs,) = [q["sql"] for q in ctx.captured_queries if "COUNT(DISTINCT" in q["sql"]]
    with connection.cursor() as cur:
        # A test's few rows leave the planner's choice among the indexes to chance; inside the test's
        # transaction (rolled back) only the open rows' index is left, to see that it serves the count.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's deferred foreign keys checked now
        cur.execute("ALTER TABLE complaints_reportagency DROP CONSTRAINT report_agency_unique")
        cur.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'complaints_reportagency' "
            "AND indexname NOT IN ('report_agency_open', 'complaints_reportagency_pkey')"
        )
        for (other,) in cur.fetchall():
            cur.execute(f'DROP INDEX "{other}"')
        cur.execute("ANALYZE complaints_reportagency")
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN (COSTS OFF) " + tabs)
        plan = "\n".join(row[0] for row in cur.fetchall())
    # "Bitmap Index Scan on report_agency_open" or "Index Scan using report_agency_open on …": either reads it.
    assert "report_agency_open" in plan and "Seq Scan on complaints_reportagency" not in plan, plan


def test_the_overdue_queue_is_scoped_through_the_open_handling_rows(
    client, make_report, national_admin, agency_admin, sibling_admin, tree
):
    """The overdue queue (?antrean=overdue, ?terlambat=1) holds open reports only, so its scope reads the
    subtrees' open handling rows (report_agency_open) and not every row they ever had: the same reports —
    the subtree's open reports past their due time, earliest first, nobody else's, no closed one — and a
    report's own page (whose address may carry the list's filters) keeps the whole scope."""
    _grow(make_report, national_admin, agency_admin, tree, 4)
    past = timezone.now() - dt.timedelta(days=2)
    mine = list(access.staff_reports(agency_admin).filter(status__in=OPEN_STATUSES).order_by("pk"))
    set_due_at(Report.objects.filter(pk__in=[r.pk for r in mine[:3]]), past)
    closed = access.staff_reports(agency_admin).exclude(status__in=OPEN_STATUSES).first()
    set_due_at(Report.objects.filter(pk=closed.pk), past)  # closed: never overdue
    elsewhere = make_report(title="Di Sleman", suggested_agency=tree["sleman"])
    set_due_at(Report.objects.filter(pk=elsewhere.pk), past)
    expected = list(
        access.staff_reports(agency_admin).overdue().order_by(*access.QUEUE_ORDER).values_list("pk", flat=True)
    )
    assert len(expected) == 3 and elsewhere.pk not in expected and closed.pk not in expected

    client.force_login(agency_admin)
    for params in ({"antrean": "overdue"}, {"terlambat": "1"}):
        with CaptureQueriesContext(connection) as ctx:
            shown = _page_rows(client, params)
        assert shown == expected, params
        (page,) = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "complaints_report"."id"')]
        scope = page[page.index('FROM "complaints_reportagency"') :]
        assert "IN ('submitted'" in scope[: scope.index("LIMIT 1")], page  # the open rows only
    client.force_login(sibling_admin)
    assert _page_rows(client, {"antrean": "overdue"}) == [elsewhere.pk]
    client.force_login(agency_admin)
    change = reverse("admin:complaints_report_change", args=[closed.pk])
    assert client.get(change, {"antrean": "overdue"}).status_code == 200


def _tab_and_pick_queries(client, url):
    """The view's queue-tab count and page pick statements (each reads the handling rows)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    rows = [q["sql"] for q in ctx.captured_queries if 'FROM "complaints_reportagency"' in q["sql"]]
    return response, [sql for sql in rows if "COUNT(" in sql], [sql for sql in rows if "LIMIT" in sql]


def test_an_agency_queue_is_kept_until_a_report_of_its_subtree_moves(
    client, make_report, national_admin, agency_admin, sibling_admin, unit_admin, tree,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """The tabs and the page's choice of reports are kept per subtree (complaints/queue_cache.py): seen
    again, the queue reads neither its counts nor its pick from the handling rows — whatever the backlog,
    a view reads one page of reports by id. A report of the subtree made, moved or forwarded below
    counts at once; a report of another subtree moves nothing of it."""
    _grow(make_report, national_admin, agency_admin, tree, 3)
    client.force_login(agency_admin)
    url = reverse(CHANGELIST) + f"?status__exact={Status.IN_PROGRESS}"
    response, counts, picks = _tab_and_pick_queries(client, url)
    assert len(counts) == 1 and len(picks) == 1 and response.context["cl"].result_count == 3
    response, counts, picks = _tab_and_pick_queries(client, url)
    assert counts == picks == [] and len(response.context["cl"].result_list) == 3

    # Another subtree's report moves: still kept.
    with django_capture_on_commit_callbacks(execute=True):
        elsewhere = make_report(title="Di Sleman", suggested_agency=tree["sleman"])
        workflow.verify(elsewhere, by=national_admin)
        workflow.dispatch(elsewhere, by=national_admin, to_agency=tree["sleman"])
        workflow.follow_up(elsewhere, by=sibling_admin, note="Dicek")
    response, counts, picks = _tab_and_pick_queries(client, url)
    assert counts == picks == [] and len(response.context["cl"].result_list) == 3

    # A report of the subtree moves into the queue: counted and shown at once.
    with django_capture_on_commit_callbacks(execute=True):
        moved = make_report(title="Baru diproses")
        workflow.verify(moved, by=national_admin)
        workflow.dispatch(moved, by=national_admin, to_agency=tree["badung"])
        workflow.follow_up(moved, by=agency_admin, note="Dicek")
    response, counts, picks = _tab_and_pick_queries(client, url)
    assert len(counts) == 1 and len(picks) == 1
    assert moved.pk in [r.pk for r in response.context["cl"].result_list]
    assert access.staff_queue_counts(agency_admin, OPEN_STATUSES)[Status.IN_PROGRESS] == 4

    # Forwarded below, then closed: its rows, the unit's among them, move Badung's queues.
    with django_capture_on_commit_callbacks(execute=True):
        workflow.forward(moved, by=agency_admin, to_agency=tree["dinkes"], note="Untuk Dinkes")
    client.get(url)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.follow_up(moved, by=unit_admin, note="Dicek di Dinkes")
        workflow.archive(moved, by=national_admin, reason=CloseReason.WITHDRAWN)
    response, counts, picks = _tab_and_pick_queries(client, url)
    assert len(counts) == 1 and moved.pk not in [r.pk for r in response.context["cl"].result_list]


def test_a_kept_queue_counts_a_report_overdue_once_its_due_time_passes(make_report, national_admin, agency_admin, tree):
    """The overdue tab depends on the clock, not only on changes: the kept counts last until the
    earliest due time ahead among the subtree's open reports, then count again."""
    _grow(make_report, national_admin, agency_admin, tree, 2)
    due = timezone.now() + dt.timedelta(seconds=60)  # sooner than queue_cache.KEPT_SECONDS
    set_due_at(Report.objects.filter(status=Status.IN_PROGRESS)[:1], due)
    counts = access.staff_queue_counts(agency_admin, OPEN_STATUSES)
    with CaptureQueriesContext(connection) as ctx:
        assert access.staff_queue_counts(agency_admin, OPEN_STATUSES) == counts  # kept
    assert ctx.captured_queries == []
    later = due + dt.timedelta(seconds=1)
    assert access.staff_queue_counts(agency_admin, OPEN_STATUSES, later)["overdue"] == counts["overdue"] + 1


def test_with_redis_down_an_agency_queue_is_counted_at_every_view(
    client, make_report, national_admin, agency_admin, tree, monkeypatch
):
    """With the cache unreachable no version can be read, so nothing is kept: every view counts and
    picks afresh, and the page is the same."""
    _grow(make_report, national_admin, agency_admin, tree, 2)
    monkeypatch.setattr("lapor.refcache.generation", lambda: None)
    client.force_login(agency_admin)
    url = reverse(CHANGELIST) + f"?status__exact={Status.IN_PROGRESS}"
    for _ in range(2):
        response, counts, picks = _tab_and_pick_queries(client, url)
        assert len(counts) == 1 and len(picks) == 1 and response.context["cl"].result_count == 2


def test_a_kept_queue_counts_again_when_the_clocks_move_a_due_time(make_report, national_admin, agency_admin, tree):
    """A due time moved by the clocks alone (clocks.sync_report_due: a changed limit, a recount), with no
    status change, moves the kept tabs of the subtrees holding the report."""
    _grow(make_report, national_admin, agency_admin, tree, 2)
    counts = access.staff_queue_counts(agency_admin, OPEN_STATUSES)
    report = Report.objects.filter(status=Status.IN_PROGRESS, due_at__gt=timezone.now()).first()
    report.clocks.update(due_at=timezone.now() - dt.timedelta(hours=1))
    clocks.sync_report_due([report.pk])
    assert Report.objects.get(pk=report.pk).is_overdue()
    assert access.staff_queue_counts(agency_admin, OPEN_STATUSES)["overdue"] == counts["overdue"] + 1


def test_a_kept_queue_counts_a_new_report_and_a_new_handling_row_at_once(
    make_report, national_admin, agency_admin, parent_admin, tree
):
    """A submission suggesting an agency, and a handling row made for a report (a copy), move the kept
    tabs of the agency and of every agency above it."""
    _grow(make_report, national_admin, agency_admin, tree, 1)
    before = {u: access.staff_queue_counts(u, OPEN_STATUSES) for u in (agency_admin, parent_admin)}
    make_report(title="Untuk Badung", suggested_agency=tree["badung"])
    for user in (agency_admin, parent_admin):
        assert access.staff_queue_counts(user, OPEN_STATUSES)[Status.SUBMITTED] == before[user][Status.SUBMITTED] + 1
    copied = make_report(title="Tembusan", suggested_agency=tree["sleman"])
    workflow.verify(copied, by=national_admin)
    before = access.staff_queue_counts(parent_admin, OPEN_STATUSES)
    ReportAgency.objects.create(report=copied, agency=tree["dinkes"], kind=ReportAgency.Kind.COPY)
    assert access.staff_queue_counts(parent_admin, OPEN_STATUSES)[Status.VERIFIED] == before.get(Status.VERIFIED, 0) + 1
