"""Training sandboxes (#19 item 6): practice reports worked by trainees in the real admin, never seen
by anybody else — the leak scan files and works practice reports and looks for them on every public
surface and export — and deleted whole when the training ends."""

import csv
import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from agencies.models import Role, Sandbox, TrainingSeat
from api.models import ApiKey, Webhook, WebhookDelivery
from complaints import access, counters, sandbox, workflow
from complaints.models import Category, Event, Notification, Report
from complaints.tests.portal import close_response
from dashboards import aggregation
from dashboards.models import DailyStat
from lapor import audit

User = get_user_model()


def _trainee(email, name):
    return User.objects.create_user(email, "lapor-test", full_name=name, is_staff=True)


@pytest.fixture
def trainees(tree):
    return {
        "admin": _trainee("latihan1@example.test", "Peserta Admin"),
        "unit": _trainee("latihan2@example.test", "Peserta Dinkes"),
    }


@pytest.fixture
def training(tree, trainees, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        box = sandbox.open_sandbox(
            tree["badung"],
            name="Bimtek Badung",
            seats=[
                (trainees["admin"], Role.AGENCY_ADMIN, tree["badung"]),
                (trainees["unit"], Role.UNIT_ADMIN, tree["dinkes"]),
            ],
        )
    return box


def test_opening_files_one_practice_report_per_category_in_the_agencys_queue(training, tree):
    tops = Category.objects.filter(parent__isnull=True, is_active=True).count()
    practice = list(training.reports.all())
    assert len(practice) == tops
    assert {r.agency_id for r in practice} == {tree["badung"].pk}
    assert {r.status for r in practice} == {"submitted"}
    assert all(r.reporter_id is None and r.clocks.filter(kind="verification").exists() for r in practice)
    assert len({r.category.parent_id for r in practice}) == tops


def test_trainees_work_practice_reports_and_nothing_else(training, trainees, make_report, agency_admin, tree):
    real = make_report()
    practice = training.reports.order_by("pk").first()
    trainee = trainees["admin"]
    assert set(access.staff_reports(trainee)) == set(training.reports.all())
    assert real not in access.reports_visible_to(trainee)
    assert access.roles_for(trainee, real) == set()
    assert access.roles_for(trainee, practice) == {Role.AGENCY_ADMIN}
    # The real admin of the same agency neither sees nor may act on practice.
    assert practice not in access.staff_reports(agency_admin)
    assert access.roles_for(agency_admin, practice) == set()
    with pytest.raises(workflow.WorkflowError):
        workflow.verify(practice, by=agency_admin)
    workflow.verify(practice, by=trainee)
    workflow.dispatch(practice, by=trainee, to_agency=tree["dinkes"])
    workflow.draft_response(practice, by=trainees["unit"], note="Sudah kami tindak lanjuti.")
    workflow.approve_response(practice, by=trainee)
    assert Report.objects.get(pk=practice.pk).status == "responded"


def _work_through(training, trainees, tree):
    """Verify, dispatch and answer practice reports; leave one verified; return their tracking numbers."""
    first, second, *_rest = training.reports.order_by("pk")
    workflow.verify(first, by=trainees["admin"])
    workflow.dispatch(first, by=trainees["admin"], to_agency=tree["dinkes"])
    workflow.draft_response(first, by=trainees["unit"], note="Jawaban latihan: sudah diperbaiki.")
    workflow.approve_response(first, by=trainees["admin"])
    workflow.verify(second, by=trainees["admin"])
    return set(training.reports.values_list("tracking_no", flat=True))


def _text(response) -> str:
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content).decode()
        close_response(response)
        return body
    return response.content.decode()


def test_leak_scan_finds_no_practice_report_on_any_public_surface_or_export(
    client,
    eager_celery,
    training,
    trainees,
    tree,
    make_report,
    national_admin,
    agency_admin,
    head,
    citizen,
    django_capture_on_commit_callbacks,
    settings,
    tmp_path,
):
    settings.OPEN_DATA_ROOT = str(tmp_path / "open-data")
    settings.API_WEBHOOK_ALLOW_PRIVATE = True
    settings.API_FEED_SETTLE_SECONDS = 0
    Webhook.objects.create(agency=tree["badung"], url="https://hooks.example.test/lapor")
    key = ApiKey.issue(agency=tree["badung"], name="SIMPEL Badung")[1]
    with django_capture_on_commit_callbacks(execute=True):
        # A real report through the same steps: the control proving each surface shows reports.
        real = make_report(title="Lampu jalan kontrol")
        workflow.verify(real, by=agency_admin)
        workflow.dispatch(real, by=agency_admin, to_agency=tree["dinkes"])
        workflow.respond(real, by=agency_admin, note="Jawaban nyata.")
        practice = _work_through(training, trainees, tree)
    assert len(practice) > 10

    def clean(text: str, where: str, control: bool = True) -> None:
        leaked = sorted(no for no in practice if no in text)
        assert not leaked, f"{where} shows practice reports {leaked}"
        if control:
            assert real.tracking_no in text, f"{where}: the control report is missing (the scan saw nothing)"

    # Public pages, search, tracking, for an anonymous visitor and a citizen.
    for who in (None, citizen):
        if who:
            client.force_login(who)
        clean(_text(client.get("/")), "home")
        clean(_text(client.get(reverse("complaints:list"))), "feed")
        clean(_text(client.get(reverse("complaints:list"), {"q": "latihan"})), "search", control=False)
        clean(_text(client.get(reverse("complaints:list"), {"q": "Lampu"})), "search")
        for no in practice:
            assert client.get(reverse("complaints:detail", args=[no])).status_code == 404
            tracked = client.get(reverse("complaints:track"), {"no": no})
            assert tracked.status_code == 200 and tracked.context["not_found"]  # the answer to a missing number
        client.logout()
    # Open311 and the integration API (with and without the agency's key).
    auth = {"Authorization": f"Bearer {key}"}
    clean(_text(client.get("/open311/v2/requests.json")), "open311")
    clean(_text(client.get("/open311/v2/requests.json", headers=auth)), "open311 keyed")
    clean(_text(client.get("/api/v1/reports", headers=auth)), "api feed")
    clean(_text(client.get("/api/v1/reports", {"updated_since": "2000-01-01T00:00:00Z"}, headers=auth)), "api changes")
    for no in practice:
        assert client.get(f"/api/v1/reports/{no}", headers=auth).status_code == 404
        assert client.get(f"/open311/v2/requests/{no}.json").status_code == 404
        assert client.get(f"/open311/v2/tokens/{no}.json").status_code == 404
    # Open data.
    from api import opendata

    path = opendata.export()
    clean(path.read_text() + path.with_suffix(".json").read_text(), "open data")
    assert not practice & opendata.withdrawn_since(timezone.localdate())
    # Statistics and dashboards: rebuilt figures count the real report only.
    with django_capture_on_commit_callbacks(execute=True):
        aggregation.rebuild_range(timezone.localdate(), timezone.localdate())
    assert sum(DailyStat.objects.values_list("received", flat=True)) == 1
    assert sum(DailyStat.objects.values_list("responded", flat=True)) == 1
    assert counters.compute()["reports"] == 1
    clean(_text(client.get(reverse("statistik:public"))), "public statistics", control=False)
    # Staff who are not in the sandbox: admin queues, exports, dashboards, overdue list, notifications.
    for staff in (national_admin, agency_admin, head):
        client.force_login(staff)
        clean(_text(client.get(reverse("admin:complaints_report_changelist"))), f"{staff} queue")
        clean(_text(client.get(reverse("admin:complaints_report_export"))), f"{staff} export")
        clean(_text(client.get(reverse("dashboards:dashboard"))), f"{staff} dashboard", control=False)
        client.logout()
    client.force_login(national_admin)
    clean(_text(client.get(reverse("staff:overdue"))), "overdue", control=False)
    # Webhooks outbox: the real report's steps, none of practice.
    payloads = " ".join(str(d.payload) for d in WebhookDelivery.objects.all())
    clean(payloads, "webhooks outbox")
    # Notifications and mail: practice reaches trainees only, never a citizen or real staff.
    trainee_ids = {u.pk for u in trainees.values()}
    practice_notes = Notification.objects.filter(report__sandbox=training)
    assert practice_notes.exists() and set(practice_notes.values_list("user_id", flat=True)) <= trainee_ids
    trainee_mail = {u.email for u in trainees.values()}
    for message in mail.outbox:
        if any(no in message.body or no in message.subject for no in practice):
            assert set(message.to) <= trainee_mail, message.to
    assert any(real.tracking_no in m.body for m in mail.outbox)


def test_practice_events_stay_out_of_the_audit_chain_so_closing_keeps_it_intact(
    training, trainees, tree, make_report, national_admin
):
    real = make_report()
    workflow.verify(real, by=national_admin)
    _work_through(training, trainees, tree)
    assert not Event.objects.filter(report__sandbox=training).exclude(chain_hash="").exists()
    sandbox.close_sandbox(tree["badung"])
    assert audit.verify(audit.EVENT_CHAIN).ok
    assert Event.objects.filter(report=real).count() == 2


def test_close_deletes_the_sandbox_whole(training, trainees, tree):
    _work_through(training, trainees, tree)
    ids = list(training.reports.values_list("pk", flat=True))
    sandbox.close_sandbox(tree["badung"])
    assert not Sandbox.objects.exists() and not TrainingSeat.objects.exists()
    assert not Report.objects.filter(pk__in=ids).exists()
    assert not Event.objects.filter(report_id__in=ids).exists()
    assert not Notification.objects.filter(report_id__in=ids).exists()
    # Trainee accounts stay (they may be real staff); their seats are gone, so they see nothing.
    assert access.staff_reports(User.objects.get(pk=trainees["admin"].pk)).count() == 0


def test_commands_open_and_close_a_sandbox(tree, capsys):
    call_command(
        "open_sandbox",
        "pemkab-badung",
        "--trainee",
        "peserta@example.test:agency_admin",
        "--trainee",
        "peserta2@example.test:unit_admin:dinkes-badung",
        "--per-category",
        "2",
    )
    out = capsys.readouterr().out
    box = Sandbox.objects.get(agency=tree["badung"])
    tops = Category.objects.filter(parent__isnull=True, is_active=True).count()
    assert box.reports.count() == 2 * tops and box.seats.count() == 2
    assert "peserta@example.test" in out and User.objects.get(email="peserta@example.test").is_staff
    with pytest.raises(CommandError):
        call_command("open_sandbox", "pemkab-badung")
    with pytest.raises(CommandError):
        call_command("open_sandbox", "pemkab-badung-x")
    with pytest.raises(CommandError):
        call_command("open_sandbox", "pemkab-sleman", "--trainee", "x@example.test:agency_admin:pemkab-badung")
    call_command("close_sandbox", "pemkab-badung")
    assert not Sandbox.objects.filter(agency=tree["badung"]).exists() and not Report.objects.exists()
    with pytest.raises(CommandError):
        call_command("close_sandbox", "pemkab-badung")


def test_export_by_a_trainee_holds_practice_only(client, training, trainees, make_report):
    real = make_report()
    client.force_login(trainees["admin"])
    response = client.get(reverse("admin:complaints_report_export"))
    rows = list(csv.reader(io.StringIO(_text(response))))
    numbers = {cell for row in rows for cell in row}
    assert real.tracking_no not in numbers
    assert set(training.reports.values_list("tracking_no", flat=True)) <= numbers


def test_practice_dashboard_counts_practice_only_for_trainees(
    client, training, trainees, tree, make_report, agency_admin, django_assert_max_num_queries
):
    make_report()
    _work_through(training, trainees, tree)
    client.force_login(trainees["admin"])
    with django_assert_max_num_queries(14):
        response = client.get(reverse("staff:practice"))
    page = response.content.decode()
    assert response.status_code == 200 and "Bimtek Badung" in page
    assert response.context["total"] == training.reports.count()
    assert "Peserta Admin" in page and "Peserta Dinkes" in page  # the trainees' steps
    generate = sandbox.generate_reports(training, per_category=1)
    client.get(reverse("staff:practice"))  # warm
    with django_assert_max_num_queries(14):
        assert client.get(reverse("staff:practice")).context["total"] == training.reports.count() > generate
    client.force_login(agency_admin)  # real staff have no practice dashboard
    assert client.get(reverse("staff:practice")).status_code == 404


def test_the_dispatch_form_offers_a_trainee_the_sandboxs_agencies(training, trainees, tree):
    from complaints.admin_forms import DispatchForm

    practice = training.reports.order_by("pk").first()
    workflow.verify(practice, by=trainees["admin"])
    offered = set(DispatchForm(report=practice, user=trainees["admin"]).fields["to_agency"].queryset)
    assert tree["badung"] in offered and tree["dinkes"] in offered and tree["sleman"] not in offered


def test_leak_scan_of_the_map_nearby_and_similar_the_citizens_inbox_and_agency_statistics(
    client,
    eager_celery,
    training,
    trainees,
    tree,
    make_report,
    agency_admin,
    citizen,
    django_capture_on_commit_callbacks,
):
    """The surfaces the first scan leaves out: every practice report carries a pin and the title of an
    open real one (the control), so each surface has something to leak if it ever looked past real()."""
    with django_capture_on_commit_callbacks(execute=True):
        practice = _work_through(training, trainees, tree)
        first, second = training.reports.order_by("pk")[:2]
        workflow.dispatch(second, by=trainees["admin"], to_agency=tree["badung"])  # open, like the control
        real = make_report(title=second.title, body=second.body)
        workflow.verify(real, by=agency_admin)
        workflow.dispatch(real, by=agency_admin, to_agency=tree["badung"])
    pin = {"latitude": "-8.650000", "longitude": "115.170000"}
    Report.objects.filter(pk=real.pk).update(**pin)
    training.reports.update(**pin)

    def clean(text: str, where: str, control: bool = True) -> None:
        leaked = sorted(no for no in practice if no in text)
        assert not leaked, f"{where} shows practice reports {leaked}"
        if control:
            assert real.tracking_no in text, f"{where}: the control report is missing (the scan saw nothing)"

    for who in (None, citizen):
        if who:
            client.force_login(who)
        clean(_text(client.get(reverse("complaints:map_points"), {"bbox": "115.16,-8.66,115.18,-8.64"})), "map")
        clean(_text(client.get(reverse("complaints:nearby"), {"lat": "-8.65", "lng": "115.17"})), "nearby")
        similar = {"title": second.title, "body": second.body, "regency": real.regency_id}
        clean(_text(client.get(reverse("complaints:similar"), similar)), "similar reports")
        clean(_text(client.get(reverse("statistik:agency", args=["pemkab-badung"]))), "agency stats", control=False)
    # The citizen's own pages: their reports and their notifications (the control is theirs).
    clean(_text(client.get(reverse("complaints:mine"))), "my reports")
    clean(_text(client.get(reverse("complaints:notifications"))), "citizen notifications")
    assert not Notification.objects.filter(user=citizen, report__sandbox=training).exists()
    # The real admin's search in the queue's export.
    client.force_login(agency_admin)
    clean(_text(client.get(reverse("admin:complaints_report_export"), {"q": second.title[:20]})), "admin search export")
