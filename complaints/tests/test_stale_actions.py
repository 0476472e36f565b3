"""Double clicks and stale pages: an admin action form carries the latest step its operator saw and
a one-time token; the workflow refuses an action whose premise changed (saying what changed), records a
form sent twice once, and takes a further answer only as the deliberate "answer again"."""

import os
import re
import threading

import pytest
from django.core import mail
from django.db import connections
from django.urls import reverse

from complaints import workflow
from complaints.models import ComplaintKind, Event, Notification
from lapor.celery import app as celery_app


@pytest.fixture(autouse=True)
def _eager_celery():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture
def dispatched(make_report, national_admin, tree):
    report = make_report()
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    return report


def _open_form(client, report, action, seen=None):
    """GET the action form as the change page's button does; its hidden premise fields."""
    if seen is None:
        page = client.get(reverse("admin:complaints_report_change", args=[report.pk])).content.decode()
        seen = re.search(rf"/{action}/\?seen=(\d+)", page).group(1)
    html = client.get(reverse("admin:complaints_report_action", args=[report.pk, action]), {"seen": seen})
    html = html.content.decode()
    return {name: re.search(rf'name="{name}" value="([^"]*)"', html).group(1) for name in ("seen_event", "once")}


def _post(client, report, action, data):
    return client.post(reverse("admin:complaints_report_action", args=[report.pk, action]), data)


def test_an_action_on_a_stale_page_is_refused_naming_what_changed(client, make_report, national_admin):
    report = make_report()
    client.force_login(national_admin)
    verify_form = _open_form(client, report, "verify")
    hold_form = _open_form(client, report, "hold")  # the same page, open in another tab (or by a colleague)
    verified = {
        **verify_form,
        "title": report.title,
        "classification": "complaint",
        "complaint_kind": ComplaintKind.values[0],
        "category": report.category_id,
    }
    assert _post(client, report, "verify", verified).status_code == 302
    refused = _post(client, report, "hold", {**hold_form, "note": "Mohon lengkapi foto."})
    assert refused.status_code == 200
    html = refused.content.decode()
    assert "sudah berubah sejak halaman Anda dibuka" in html
    assert "Verifikasi (Admin Nasional" in html and "Terverifikasi" in html  # what changed, and the status now
    assert not report.events.filter(action="hold").exists()
    # Sent again from the page that now says so, it is a deliberate action on the report as it is.
    again = {**dict(re.findall(r'name="(seen_event|once)" value="([^"]*)"', html)), "note": "Mohon lengkapi foto."}
    assert _post(client, report, "hold", again).status_code == 302
    assert report.events.filter(action="hold").count() == 1


def test_a_form_opened_from_an_out_of_date_page_warns_at_once(client, make_report, national_admin):
    report = make_report()
    client.force_login(national_admin)
    page = client.get(reverse("admin:complaints_report_change", args=[report.pk])).content.decode()
    seen = re.search(r"/verify/\?seen=(\d+)", page).group(1)
    workflow.add_note(report, by=national_admin, note="Sudah dicek.")
    form = client.get(reverse("admin:complaints_report_action", args=[report.pk, "verify"]), {"seen": seen})
    assert "Catatan internal (Admin Nasional" in form.content.decode()


def test_a_double_submitted_answer_is_recorded_once_and_mailed_once(
    client, dispatched, agency_admin, citizen, django_capture_on_commit_callbacks
):
    client.force_login(agency_admin)
    form = {**_open_form(client, dispatched, "respond"), "note": "Jalan sudah ditambal kemarin."}
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        first = _post(client, dispatched, "respond", form)
        second = _post(client, dispatched, "respond", form)
    assert first.status_code == second.status_code == 302
    assert dispatched.events.filter(action="respond").count() == 1
    assert [m.to for m in mail.outbox].count([citizen.email]) == 1
    assert "sudah tercatat sekali" in client.get(second["Location"]).content.decode()


def test_answering_an_answered_report_is_a_deliberate_separate_action(client, dispatched, agency_admin):
    workflow.respond(dispatched, by=agency_admin, note="Jawaban pertama.")
    with pytest.raises(workflow.AlreadyAnswered):
        workflow.respond(dispatched, by=agency_admin, note="Jawaban kedua tanpa sengaja.")
    assert dispatched.events.filter(action="respond").count() == 1
    client.force_login(agency_admin)
    page = client.get(reverse("admin:complaints_report_change", args=[dispatched.pk])).content.decode()
    assert "/respond_again/" in page and "/respond/?" not in page  # its own button
    form = _open_form(client, dispatched, "respond_again")
    unconfirmed = _post(client, dispatched, "respond_again", {**form, "note": "Jawaban tambahan."})
    assert unconfirmed.status_code == 200  # the box "I mean to answer again" must be ticked
    confirmed = _post(client, dispatched, "respond_again", {**form, "note": "Jawaban tambahan.", "confirm": "on"})
    assert confirmed.status_code == 302
    assert dispatched.events.filter(action="respond").count() == 2


needs_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL: set DATABASE_URL"
)


def _race(*calls):
    """Run the calls at the same moment in threads (each its own connection); their outcomes."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def reload_reference(django_db_blocker):
    yield
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)


@pytest.mark.postgres
@needs_postgres
@pytest.mark.parametrize("same_form", [False, True], ids=["two-staff", "double-submit"])
def test_two_concurrent_answers_publish_one_answer_and_one_mail(
    reload_reference, transactional_db, dispatched, agency_admin, national_admin, citizen, same_form
):
    seen = dispatched.events.order_by("-pk").first().pk
    mail.outbox.clear()

    def answer(user, once):
        return lambda: workflow.act(
            "respond", dispatched, by=user, seen_event=seen, once=once, note=f"Jawaban dari {user.full_name}."
        )

    results = _race(
        answer(agency_admin, "form-a"),
        # Two staff who may both answer this report (whichever wins, the other's page is out of date).
        answer(agency_admin if same_form else national_admin, "form-a" if same_form else "b"),
    )
    events = [r for r in results if isinstance(r, Event)]
    refusals = [r for r in results if isinstance(r, workflow.WorkflowError)]
    assert len(events) == 1 and len(refusals) == 1, results
    assert isinstance(refusals[0], workflow.AlreadyDone if same_form else workflow.StaleAction)
    assert Event.objects.filter(report=dispatched, action="respond").count() == 1
    assert Notification.objects.filter(user=citizen, kind="respond").count() == 1
    assert [m.to for m in mail.outbox].count([citizen.email]) == 1


def test_bulk_triage_skips_a_report_that_moved_on_since_the_list_was_shown(
    client, make_report, agency_admin, national_admin, tree
):
    fresh = make_report(title="Siap")
    taken = make_report(title="Diambil rekan")
    client.force_login(agency_admin)
    url = reverse("admin:complaints_report_changelist")
    data = {"action": "verify_and_dispatch", "_selected_action": [fresh.pk, taken.pk]}
    page = client.post(url, data).content.decode()
    seen = dict(re.findall(r'name="(seen_\d+)" value="(\d+)"', page))
    assert set(seen) == {f"seen_{fresh.pk}", f"seen_{taken.pk}"}
    workflow.verify(taken, by=national_admin, note="Diverifikasi rekan.")  # a colleague, meanwhile
    response = client.post(url, {**data, **seen, "apply": "1", "to_agency": tree["dinkes"].pk}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any(taken.tracking_no in m and "sudah berubah" in m and "Verifikasi" in m for m in messages)
    assert not taken.events.filter(action="dispatch").exists()  # the operator decides again, on what is there
    fresh.refresh_from_db()
    assert fresh.agency_id == tree["dinkes"].pk
