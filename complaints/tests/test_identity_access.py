"""Break-glass: every look at an Anonim reporter's identity needs a reason and is recorded, told and
listed; the audit trail (events, identity accesses) is a hash chain that verify_audit proves."""

import os
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.urls import reverse

from accounts.models import User
from agencies.models import Membership
from complaints import identity, workflow
from complaints.models import Event, IdentityAccess, Notification
from lapor import audit

REASON = "Pemeriksaan Ombudsman atas dugaan pungli, surat nomor 12/ORI/2026"


@pytest.fixture
def anon(make_report, national_admin, tree):
    report = make_report(is_anonymous=True, title="Pungli di puskesmas")
    workflow.verify(report, by=national_admin, complaint_kind="normative")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    return report


@pytest.fixture
def second_admin(tree):
    user = User.objects.create_user("admin2@example.test", "x", full_name="Admin Kedua", is_staff=True)
    Membership.objects.create(user=user, agency=tree["national"], role=Membership.Role.NATIONAL_ADMIN)
    return user


def url(report):
    return reverse("staff:identity", args=[report.tracking_no])


def test_the_identity_stays_hidden_until_a_reason_is_given(client, anon, national_admin, second_admin):
    client.force_login(national_admin)
    page = client.get(url(anon)).content.decode()
    assert "Made Warga" not in page and "warga@example.test" not in page
    short = client.post(url(anon), {"reason": "cek"})
    assert short.status_code == 400 and "Made Warga" not in short.content.decode()
    assert not IdentityAccess.objects.exists()
    shown = client.post(url(anon), {"reason": REASON}).content.decode()
    assert "Made Warga" in shown and "warga@example.test" in shown and "5103012345678901" in shown
    record = IdentityAccess.objects.get()
    assert (record.user, record.report, record.reason) == (national_admin, anon, REASON)
    # The other national admins hear of it (never the identity itself); the viewer does not.
    told = Notification.objects.get(kind="identity_access")
    assert told.user == second_admin and REASON in told.body and "Made Warga" not in told.body
    # Every look is its own act: the next visit shows the form again.
    assert "Made Warga" not in client.get(url(anon)).content.decode()


def test_supervisors_may_look_and_see_the_log_agency_roles_may_not(
    client, anon, supervisor, national_admin, agency_admin, head
):
    identity.reveal(national_admin, anon, REASON)
    client.force_login(supervisor)
    assert "Made Warga" in client.post(url(anon), {"reason": REASON + " (pengawas)"}).content.decode()
    listing = client.get(reverse("admin:complaints_identityaccess_changelist")).content.decode()
    assert REASON in listing and anon.tracking_no in listing and "Pengawas" in listing
    for user in (agency_admin, head):
        client.force_login(user)
        assert client.get(url(anon)).status_code == 404
        assert client.post(url(anon), {"reason": REASON}).status_code == 404
        assert client.get(reverse("admin:complaints_identityaccess_changelist")).status_code == 403
    assert IdentityAccess.objects.count() == 2


def test_the_records_are_append_only(client, anon, national_admin):
    identity.reveal(national_admin, anon, REASON)
    record = IdentityAccess.objects.get()
    record.reason = "tidak ada"
    with pytest.raises(ValueError):
        record.save()
    with pytest.raises(ValueError):
        record.delete()
    client.force_login(national_admin)
    change = reverse("admin:complaints_identityaccess_change", args=[record.pk])
    assert client.post(change, {"reason": "lain"}).status_code in (302, 403)
    assert client.get(reverse("admin:complaints_identityaccess_delete", args=[record.pk])).status_code == 403
    assert IdentityAccess.objects.get().reason == REASON


def test_exports_never_carry_an_anonim_identity(client, anon, national_admin):
    client.force_login(national_admin)
    export = b"".join(client.get(reverse("admin:complaints_report_export")).streaming_content)
    assert anon.tracking_no.encode() in export
    assert b"warga@example.test" not in export and b"Made Warga" not in export


def _verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


def test_verify_audit_proves_the_chains_and_finds_an_altered_row(anon, national_admin, agency_admin):
    # Through the admin's path too: workflow.act adds its double-submit token to the event afterwards.
    workflow.act("respond", anon, by=agency_admin, once="token-1", note="Sudah kami tindak lanjuti.")
    identity.reveal(national_admin, anon, REASON)
    identity.reveal(national_admin, anon, REASON + " kedua")
    events = list(Event.objects.order_by("pk"))
    assert all(e.chain_hash for e in events)
    assert all(later.prev_hash == earlier.chain_hash for earlier, later in zip(events, events[1:]))
    assert f"event: {len(events)} rows verified" in _verify()

    # An edited note (a raw UPDATE, as someone with database access would do).
    middle = events[len(events) // 2]
    Event.objects.filter(pk=middle.pk).update(public_note="Tidak ada masalah.")
    with pytest.raises(CommandError, match="event"):
        _verify()
    assert not audit.verify(audit.EVENT_CHAIN).ok
    assert f"#{middle.pk}" in audit.verify(audit.EVENT_CHAIN).errors[0]
    Event.objects.filter(pk=middle.pk).update(public_note=middle.public_note)
    assert audit.verify(audit.EVENT_CHAIN).ok

    # A removed row, and a removed last row.
    Event.objects.filter(pk=middle.pk).delete()
    assert not audit.verify(audit.EVENT_CHAIN).ok


def test_verify_audit_finds_an_altered_identity_access(anon, national_admin):
    identity.reveal(national_admin, anon, REASON)
    identity.reveal(national_admin, anon, REASON + " kedua")
    assert audit.verify(audit.IDENTITY_CHAIN).ok and audit.verify(audit.IDENTITY_CHAIN).checked == 2
    first = IdentityAccess.objects.order_by("pk").first()
    IdentityAccess.objects.filter(pk=first.pk).update(reason="Iseng saja, tanpa alasan resmi apa pun")
    result = audit.verify(audit.IDENTITY_CHAIN)
    assert not result.ok and f"#{first.pk}" in result.errors[0]


def test_a_removed_tail_is_found(anon):
    last = Event.objects.order_by("pk").last()
    Event.objects.filter(pk=last.pk).delete()
    result = audit.verify(audit.EVENT_CHAIN)
    assert not result.ok and "last rows are missing" in result.errors[0]


def test_bulk_loaded_events_are_counted_not_verified(anon):
    Event.objects.bulk_create([Event(report=anon, action="note"), Event(report=anon, action="note")])
    result = audit.verify(audit.EVENT_CHAIN)
    assert result.ok and result.unsealed == 2
    assert "2 rows without a hash" in _verify()


@pytest.fixture
def reload_reference(django_db_blocker):
    yield
    with django_db_blocker.unblock():
        call_command("load_reference", verbosity=0)


@pytest.mark.postgres
@pytest.mark.skipif(not os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="needs PostgreSQL")
def test_concurrent_actions_on_postgresql_keep_one_unbroken_chain(
    reload_reference, transactional_db, make_report, national_admin, agency_admin, tree
):
    reports = [make_report() for _ in range(6)]
    barrier = threading.Barrier(len(reports))
    errors = []

    def act(report):
        try:
            barrier.wait()
            workflow.verify(report, by=national_admin, complaint_kind="normative")
            workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(r,)) for r in reports]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    result = audit.verify(audit.EVENT_CHAIN)
    assert result.ok, result.errors
    assert result.checked == Event.objects.count() == 3 * len(reports)


# Every staff role that can export the report list, and every way an export is built.
EXPORTERS = ["national_admin", "agency_admin", "unit_admin", "liaison", "head", "supervisor"]
EXPORT_WAYS = [
    ("admin:complaints_report_export", False),
    ("admin:complaints_report_export_xlsx", False),
    ("admin:complaints_report_export", True),
    ("admin:complaints_report_export_xlsx", True),
]


@pytest.mark.parametrize("role", EXPORTERS)
@pytest.mark.parametrize("name,as_job", EXPORT_WAYS)
def test_no_export_carries_an_anonim_identity_for_any_role(
    request, client, make_report, national_admin, tree, settings, role, name, as_job, django_capture_on_commit_callbacks
):
    """#21 item 11 (exports): an Anonim reporter's name, e-mail, phone and NIK reach no export — CSV
    or XLSX, built at once or by a background job — for any role, national admins and supervisors
    included (break-glass is one report at a time, with a reason, on /kerja/identitas/). So no export
    needs an IdentityAccess record; a named reporter's identity still reaches the staff who see it."""
    import io

    import openpyxl

    from complaints.models import ExportJob
    from lapor.celery import app as celery_app

    from .portal import close_response

    anon = make_report(is_anonymous=True, title="Pungli di puskesmas")
    named = make_report(title="Antrean puskesmas", submission_key="named")
    for report in (anon, named):  # down to Dinkes Badung: every exporting role sees both
        workflow.verify(report, by=national_admin, complaint_kind="normative")
        workflow.dispatch(report, by=national_admin, to_agency=tree["dinkes"])
    user = request.getfixturevalue(role)
    client.force_login(user)
    if as_job:
        settings.LAPOR_EXPORT_INLINE_MAX = 1
        before, celery_app.conf.task_always_eager = celery_app.conf.task_always_eager, True
        try:
            with django_capture_on_commit_callbacks(execute=True):
                started = client.get(reverse(name))
        finally:
            celery_app.conf.task_always_eager = before
        assert started.status_code == 302
        job = ExportJob.objects.get(user=user)
        assert job.state == "done", job.error
        response = client.get(reverse("staff:export_download", args=[job.token]))
    else:
        response = client.get(reverse(name))
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    close_response(response)
    if name.endswith("xlsx"):
        sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
        cells = sheet.iter_rows(values_only=True)
        text = "\n".join(",".join("" if v is None else str(v) for v in row) for row in cells)
    else:
        text = content.decode("utf-8-sig")
    lines = {line.split(",")[0]: line for line in text.splitlines()}
    assert anon.tracking_no in lines and named.tracking_no in lines
    for secret in ("Made Warga", "warga@example.test", "081234567890", "6281234567890", "5103012345678901"):
        assert secret not in lines[anon.tracking_no], (role, name, as_job, secret)
    assert "Made Warga" in lines[named.tracking_no] and "warga@example.test" in lines[named.tracking_no]
    assert not IdentityAccess.objects.exists()
