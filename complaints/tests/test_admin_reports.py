"""The report admin as a work tool: queues, action forms, bulk triage, staff entry, moderation."""

import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from complaints import workflow
from complaints.models import Category, Comment, Event, Report, ResponseTemplate
from complaints.pagination import CappedCountPaginator
from complaints.tests.portal import set_due_at

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:complaints_report_changelist"


def action_url(report, action):
    return reverse("admin:complaints_report_action", args=[report.pk, action])


def change_url(report):
    return reverse("admin:complaints_report_change", args=[report.pk])


def png_upload(name="bukti.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


# --- Queues ---


def test_queue_tabs_count_reports_per_status_in_scope(client, make_report, agency_admin, sibling_admin, national_admin):
    make_report()
    make_report(title="Kedua")
    held = make_report(title="Ketiga")
    workflow.hold(held, by=agency_admin, note="Lengkapi foto.")
    client.force_login(agency_admin)
    response = client.get(reverse(CHANGELIST))
    tabs = {key: count for key, _label, count in response.context["queue_tabs"]}
    assert tabs["submitted"] == 2 and tabs["on_hold"] == 1 and tabs["dispatched"] == 0
    client.force_login(sibling_admin)
    tabs = {key: count for key, _label, count in client.get(reverse(CHANGELIST)).context["queue_tabs"]}
    assert tabs["submitted"] == 0 and tabs["on_hold"] == 0


def test_queue_filter_shows_only_that_queue(client, make_report, agency_admin):
    make_report(title="Menunggu verifikasi")
    held = make_report(title="Menunggu pelapor")
    workflow.hold(held, by=agency_admin, note="Lengkapi foto.")
    client.force_login(agency_admin)
    content = client.get(reverse(CHANGELIST), {"antrean": "on_hold"}).content
    assert b"Menunggu pelapor" in content and b"Menunggu verifikasi" not in content
    assert "Tertunda (1)" in content.decode()


def test_overdue_reports_come_first_with_a_badge(client, make_report, agency_admin):
    late = make_report(title="Sudah lewat tenggat")
    make_report(title="Masih ada waktu")
    set_due_at(Report.objects.filter(pk=late.pk), timezone.now() - dt.timedelta(days=2))
    client.force_login(agency_admin)
    response = client.get(reverse(CHANGELIST))
    content = response.content.decode()
    assert content.index("Sudah lewat tenggat") < content.index("Masih ada waktu")
    assert 'class="lapor-badge overdue"' in content
    overdue = client.get(reverse(CHANGELIST), {"antrean": "overdue"}).content
    assert b"Sudah lewat tenggat" in overdue and b"Masih ada waktu" not in overdue
    assert client.get(reverse(CHANGELIST), {"terlambat": "1"}).context["cl"].result_count == 1


def test_list_filters_by_agency_subtree_and_province(client, make_report, national_admin, tree):
    make_report(title="Di Badung")
    make_report(title="Di Sleman", suggested_agency=tree["sleman"])
    client.force_login(national_admin)
    content = client.get(reverse(CHANGELIST), {"instansi": tree["bali"].pk}).content
    assert b"Di Badung" in content and b"Di Sleman" not in content
    content = client.get(reverse(CHANGELIST), {"provinsi": "51"}).content
    assert b"Di Badung" in content


def test_paginator_never_counts_past_its_cap(make_report, monkeypatch):
    for i in range(3):
        make_report(title=f"Laporan {i}")
    monkeypatch.setattr(CappedCountPaginator, "CAP", 2)
    assert CappedCountPaginator(Report.objects.order_by("pk"), 50).count == 2


def _grow(make_report, n):
    for i in range(n):
        make_report(title=f"Laporan {i}", is_anonymous=bool(i % 2))


@pytest.mark.parametrize("role", ["national_admin", "agency_admin"])
def test_changelist_queries_stay_flat_as_reports_grow(
    request, client, make_report, django_assert_max_num_queries, role
):
    # session, user, memberships, queue counts (one grouped query), province/agency/category filter
    # choices, capped count, two permission lookups of the admin chrome, the page of reports, and the
    # API-key managers' memberships (the api app's admin asks whether to show its models), the second-factor device,
    # the district filter's choices (the districts of the staff member's regency), the agencies' SOP
    # targets shown beside the deadlines (reference data: read once per generation, complaints/sop.py).
    client.force_login(request.getfixturevalue(role))
    _grow(make_report, 5)
    with django_assert_max_num_queries(15):
        assert client.get(reverse(CHANGELIST)).status_code == 200
    _grow(make_report, 15)
    with django_assert_max_num_queries(15):
        response = client.get(reverse(CHANGELIST), {"antrean": "submitted"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 20


def test_export_queries_stay_flat_as_reports_grow(client, make_report, agency_admin, django_assert_max_num_queries):
    client.force_login(agency_admin)
    _grow(make_report, 5)
    with django_assert_max_num_queries(13):
        b"".join(client.get(reverse("admin:complaints_report_export")).streaming_content)
    _grow(make_report, 15)
    with django_assert_max_num_queries(13):
        body = b"".join(client.get(reverse("admin:complaints_report_export")).streaming_content)
    assert body.count(b"\n") == 21


# --- The change page ---


def test_change_page_shows_only_allowed_action_buttons(client, make_report, agency_admin, head):
    report = make_report()
    client.force_login(agency_admin)
    content = client.get(change_url(report)).content.decode()
    for action in ("verify", "hold", "archive", "note"):
        assert action_url(report, action) in content
    for action in ("remove", "dispatch", "respond"):
        assert action_url(report, action) not in content
    client.force_login(head)
    content = client.get(change_url(report)).content.decode()
    assert "/action/" not in content


def test_change_page_is_read_only_and_shows_timeline_clocks_and_internal_notes(client, make_report, agency_admin):
    report = make_report()
    workflow.add_note(report, by=agency_admin, note="Catatan rahasia internal")
    client.force_login(agency_admin)
    response = client.get(change_url(report))
    content = response.content.decode()
    assert "Catatan rahasia internal" in content
    assert "Verifikasi dan disposisi" in content  # the running clock's kind
    assert 'name="title"' not in content  # no editable report field
    assert 'name="_save"' not in content


def test_attachment_download_checks_scope(client, make_report, agency_admin, sibling_admin, citizen):
    from complaints.uploads import check_upload

    report = make_report(attachments=[check_upload(png_upload())])
    attachment = report.attachments.get()
    url = reverse("admin:complaints_report_attachment", args=[report.pk, attachment.pk])
    client.force_login(agency_admin)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"\x89PNG")
    # Streaming it to the end closed it; closing again would close the test's database connection.
    client.force_login(sibling_admin)
    assert client.get(url).status_code == 404


# --- Action forms ---


def test_verify_sets_summary_and_flags_through_the_workflow(client, make_report, agency_admin):
    report = make_report()
    category = Category.objects.filter(parent__isnull=False).order_by("-pk").first()
    client.force_login(agency_admin)
    data = {
        "title": "Ringkasan: jalan rusak",
        "classification": "complaint",
        "complaint_kind": "examination",
        "category": category.pk,
        "tags": "jalan, infrastruktur",
        "is_confidential": "on",
    }
    response = client.post(action_url(report, "verify"), data)
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == "verified"
    assert (report.title, report.complaint_kind, report.category_id) == (data["title"], "examination", category.pk)
    assert report.tags == ["jalan", "infrastruktur"] and report.is_confidential


def test_verify_keeps_a_citizen_flag_even_when_the_box_is_not_sent(client, make_report, agency_admin):
    report = make_report(is_anonymous=True)
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    client.force_login(agency_admin)
    form = client.get(action_url(report, "verify")).context["form"]
    assert form.fields["is_anonymous"].disabled and not form.fields["is_confidential"].disabled
    data = {"title": "Ringkasan", "classification": "complaint", "complaint_kind": "normative", "category": category.pk}
    assert client.post(action_url(report, "verify"), data).status_code == 302
    report.refresh_from_db()
    assert report.status == "verified" and report.is_anonymous


def test_a_workflow_refusal_is_shown_on_the_form_and_keeps_the_input(
    client, make_report, national_admin, agency_admin, tree
):
    report = make_report()
    workflow.verify(report, by=national_admin, complaint_kind="normative")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    client.force_login(agency_admin)
    # A transfer inside the own subtree is a forward: the workflow refuses it.
    response = client.post(action_url(report, "transfer"), {"to_agency": tree["dinkes"].pk, "note": "Alasan saya"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "Untuk unit kerja di bawah instansi ini gunakan" in content
    assert "Alasan saya" in content
    report.refresh_from_db()
    assert (report.status, report.agency_id) == ("dispatched", tree["badung"].pk)
    assert Event.objects.filter(report=report).count() == 3


def test_missing_required_input_is_shown_next_to_the_field(client, make_report, agency_admin):
    report = make_report()
    client.force_login(agency_admin)
    response = client.post(action_url(report, "hold"), {"note": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert Event.objects.filter(report=report).count() == 1


def test_follow_up_with_attachment(client, make_report, national_admin, agency_admin, tree):
    report = make_report()
    workflow.verify(report, by=national_admin, complaint_kind="normative")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    client.force_login(agency_admin)
    response = client.post(
        action_url(report, "follow_up"), {"note": "Petugas ke lokasi", "attachments": [png_upload()]}
    )
    assert response.status_code == 302
    event = Event.objects.get(report=report, action="follow_up")
    assert event.attachments.get().original_name == "bukti.png"


def test_follow_up_refuses_a_fake_image_and_keeps_the_note(client, make_report, national_admin, agency_admin, tree):
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = make_report()
    workflow.verify(report, by=national_admin, complaint_kind="normative")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    client.force_login(agency_admin)
    fake = SimpleUploadedFile("foto.png", b"MZ not an image", content_type="image/png")
    response = client.post(action_url(report, "follow_up"), {"note": "Catatan saya", "attachments": [fake]})
    assert response.status_code == 200
    assert "Catatan saya" in response.content.decode()
    assert response.context["form"].errors["attachments"]
    assert not Event.objects.filter(report=report, action="follow_up").exists()


def test_answer_form_offers_the_agencys_response_templates(client, make_report, national_admin, agency_admin, tree):
    ResponseTemplate.objects.create(agency=tree["badung"], title="Sudah diperbaiki", body="Yth. Pelapor, sudah beres.")
    ResponseTemplate.objects.create(agency=tree["sleman"], title="Templat Sleman", body="Bukan untuk Badung")
    report = make_report()
    workflow.verify(report, by=national_admin, complaint_kind="normative")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    client.force_login(agency_admin)
    content = client.get(action_url(report, "respond")).content.decode()
    assert "Sudah diperbaiki" in content and "Templat Sleman" not in content
    template = ResponseTemplate.objects.get(title="Sudah diperbaiki")
    prefilled = client.get(action_url(report, "respond"), {"templat": template.pk})
    assert prefilled.context["form"].initial["note"] == "Yth. Pelapor, sudah beres."


def test_unit_answer_needs_approval_draft_then_approve(
    client, make_report, national_admin, agency_admin, unit_admin, liaison, tree
):
    report = make_report()
    workflow.verify(report, by=national_admin, complaint_kind="normative")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    workflow.forward(report, by=agency_admin, to_agency=tree["dinkes"])
    client.force_login(unit_admin)
    assert client.post(action_url(report, "respond"), {"note": "Jawaban"}).status_code == 302  # refused: back
    report.refresh_from_db()
    assert report.status == "dispatched"
    assert client.post(action_url(report, "draft_response"), {"note": "Draf jawaban unit"}).status_code == 302
    client.force_login(liaison)
    response = client.get(action_url(report, "approve_response"))
    assert response.context["form"].initial["note"] == "Draf jawaban unit"
    assert client.post(action_url(report, "approve_response"), {"note": ""}).status_code == 302
    report.refresh_from_db()
    assert report.status == "responded"
    assert Event.objects.get(report=report, action="approve_response").public_note == "Draf jawaban unit"


def test_archive_and_remove_take_coded_reasons(client, make_report, national_admin):
    junk, old = make_report(title="Spam"), make_report(title="Lama")
    client.force_login(national_admin)
    assert client.post(action_url(junk, "remove"), {"reason": "out_of_scope"}).status_code == 200  # not a remove code
    assert client.post(action_url(junk, "remove"), {"reason": "spam"}).status_code == 302
    assert client.post(action_url(old, "archive"), {"reason": "insufficient"}).status_code == 302
    junk.refresh_from_db()
    old.refresh_from_db()
    assert (junk.status, junk.close_reason, old.status, old.close_reason) == (
        "removed",
        "spam",
        "archived",
        "insufficient",
    )


def test_dispatch_outside_the_subtree_is_refused_by_the_form(client, make_report, national_admin, agency_admin, tree):
    report = make_report()
    workflow.verify(report, by=national_admin, complaint_kind="normative")
    client.force_login(agency_admin)
    response = client.post(action_url(report, "dispatch"), {"to_agency": tree["sleman"].pk})
    assert response.status_code == 200 and response.context["form"].errors["to_agency"]
    report.refresh_from_db()
    assert report.status == "verified"


# --- Bulk triage ---


def test_bulk_verify_and_dispatch_reports_successes_and_failures(client, make_report, agency_admin, tree):
    ok = make_report(title="Siap")
    done = make_report(title="Sudah diarsip")
    workflow.archive(done, by=agency_admin, reason="insufficient")
    client.force_login(agency_admin)
    data = {"action": "verify_and_dispatch", "_selected_action": [ok.pk, done.pk]}
    page = client.post(reverse(CHANGELIST), data)
    assert page.status_code == 200 and b"Siap" in page.content  # the intermediate page: choose the agency
    response = client.post(reverse(CHANGELIST), {**data, "apply": "1", "to_agency": tree["dinkes"].pk}, follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert any(ok.tracking_no in m and "Dinas Kesehatan" in m for m in messages)
    assert any(done.tracking_no in m and "Gagal" in m for m in messages)
    ok.refresh_from_db()
    done.refresh_from_db()
    assert (ok.status, ok.agency_id, done.status) == ("dispatched", tree["dinkes"].pk, "archived")
    assert list(Event.objects.filter(report=ok).values_list("action", flat=True)) == ["submit", "verify", "dispatch"]


# --- Staff-entered reports ---


def _entry_data(tree, **extra):
    category = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    return {
        "channel": "walk_in",
        "reporter_name": "Wayan Datang",
        "reporter_contact": "0812-000-111",
        "classification": "complaint",
        "title": "Pelayanan KTP lambat",
        "body": "Sudah tiga minggu KTP belum jadi.",
        "event_date": "2026-01-10",
        "province": "51",
        "regency": "51.03",
        "category": category.pk,
        "suggested_agency": tree["badung"].pk,
        **extra,
    }


def test_agency_admin_records_a_walk_in_report(client, agency_admin, tree):
    client.force_login(agency_admin)
    form = client.get(reverse("admin:complaints_report_entry")).context["form"]
    assert form.initial.get("suggested_agency") is None  # LAPOR routes it unless staff choose
    response = client.post(reverse("admin:complaints_report_entry"), _entry_data(tree))
    assert response.status_code == 302
    report = Report.objects.get(title="Pelayanan KTP lambat")
    assert (report.channel, report.reporter_name, report.entered_by, report.agency) == (
        "walk_in",
        "Wayan Datang",
        agency_admin,
        tree["badung"],
    )
    assert report.reporter is None and report.status == "submitted"


def test_staff_entry_for_an_existing_citizen_by_email(client, agency_admin, citizen, tree):
    client.force_login(agency_admin)
    data = _entry_data(tree, reporter_name="", reporter_email="warga@example.test", channel="phone")
    assert client.post(reverse("admin:complaints_report_entry"), data).status_code == 302
    report = Report.objects.get(title="Pelayanan KTP lambat")
    assert (report.reporter, report.channel, report.entered_by) == (citizen, "phone", agency_admin)


def test_staff_entry_errors_keep_the_input(client, agency_admin, tree):
    client.force_login(agency_admin)
    data = _entry_data(tree, reporter_name="", regency="34.04")  # Sleman is not in Bali
    response = client.post(reverse("admin:complaints_report_entry"), data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "reporter_name" in errors and "regency" in errors
    assert "Sudah tiga minggu KTP belum jadi." in response.content.decode()
    assert not Report.objects.exists()


def test_staff_entry_outside_own_subtree_is_refused(client, agency_admin, tree):
    client.force_login(agency_admin)
    response = client.post(
        reverse("admin:complaints_report_entry"), _entry_data(tree, suggested_agency=tree["sleman"].pk)
    )
    assert response.status_code == 200 and response.context["form"].errors["suggested_agency"]
    assert not Report.objects.exists()


# --- Moderation and templates ---


def test_staff_hides_and_shows_a_comment(client, make_report, agency_admin, other_citizen):
    report = make_report()
    comment = Comment.objects.create(report=report, author=other_citizen, body="Kata kasar")
    client.force_login(agency_admin)
    url = reverse("admin:complaints_report_hide_comment", args=[report.pk, comment.pk])
    client.post(url, {"hide": "1"})
    comment.refresh_from_db()
    assert comment.is_hidden and comment.hidden_by == agency_admin
    client.post(url, {"hide": "0"})
    comment.refresh_from_db()
    assert not comment.is_hidden and comment.hidden_by is None


def test_response_template_agency_choices_are_the_staff_subtree(client, agency_admin, tree):
    client.force_login(agency_admin)
    url = reverse("admin:complaints_responsetemplate_add")
    refused = client.post(url, {"agency": tree["sleman"].pk, "title": "X", "body": "Y"})
    assert refused.status_code == 200 and not ResponseTemplate.objects.exists()
    created = client.post(url, {"agency": tree["dinkes"].pk, "title": "Salam", "body": "Terima kasih"})
    assert created.status_code == 302
    assert ResponseTemplate.objects.get().agency == tree["dinkes"]


def test_the_overdue_tab_counts_every_report_its_list_shows(client, make_report, agency_admin, national_admin):
    """A verified report waiting for dispatch is late too, though it has no tab of its own."""
    late = make_report(title="Terverifikasi, belum didisposisi")
    workflow.verify(late, by=national_admin, complaint_kind="normative")
    set_due_at(Report.objects.filter(pk=late.pk), timezone.now() - dt.timedelta(days=1))
    client.force_login(agency_admin)
    response = client.get(reverse(CHANGELIST), {"antrean": "overdue"})
    tabs = {key: count for key, _label, count in response.context["queue_tabs"]}
    assert tabs["overdue"] == response.context["cl"].result_count == 1


def test_hiding_a_comment_in_the_admin_keeps_the_public_count_in_step(
    client, make_report, agency_admin, national_admin, other_citizen
):
    report = make_report()
    workflow.verify(report, by=national_admin, complaint_kind="normative")
    client.force_login(other_citizen)
    client.post(reverse("complaints:comment", args=[report.tracking_no]), {"comment-body": "Kata kasar"})
    comment = Comment.objects.get(report=report)
    assert Report.objects.get(pk=report.pk).comment_count == 1
    client.force_login(agency_admin)
    url = reverse("admin:complaints_report_hide_comment", args=[report.pk, comment.pk])
    client.post(url, {"hide": "1"})
    assert Report.objects.get(pk=report.pk).comment_count == 0
    client.post(url, {"hide": "1"})  # twice: counted once
    assert Report.objects.get(pk=report.pk).comment_count == 0
    client.post(url, {"hide": "0"})
    assert Report.objects.get(pk=report.pk).comment_count == 1


def test_a_head_who_edits_elsewhere_may_only_read_the_templates_of_the_agency_they_head(client, tree, head):
    """Head of Badung (read-only) and unit admin of Sleman: Sleman's templates are theirs to edit, Badung's not."""
    from agencies.models import Membership

    Membership.objects.create(user=head, agency=tree["sleman"], role=Membership.Role.UNIT_ADMIN)
    badung = ResponseTemplate.objects.create(agency=tree["badung"], title="Salam Badung", body="Terima kasih")
    sleman = ResponseTemplate.objects.create(agency=tree["sleman"], title="Salam Sleman", body="Terima kasih")
    client.force_login(head)
    url = reverse("admin:complaints_responsetemplate_change", args=[badung.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'name="body"' not in page.content.decode()  # read-only
    client.post(url, {"agency": tree["badung"].pk, "title": "Diubah", "body": "Diubah"})
    badung.refresh_from_db()
    assert badung.title == "Salam Badung"
    delete = client.post(reverse("admin:complaints_responsetemplate_delete", args=[badung.pk]), {"post": "yes"})
    assert delete.status_code == 403 and ResponseTemplate.objects.filter(pk=badung.pk).exists()
    page = client.get(reverse("admin:complaints_responsetemplate_change", args=[sleman.pk]))
    assert 'name="body"' in page.content.decode()
    add = client.get(reverse("admin:complaints_responsetemplate_add"))
    choices = add.context["adminform"].form.fields["agency"].queryset
    assert choices.filter(pk=tree["sleman"].pk).exists() and not choices.filter(pk=tree["badung"].pk).exists()


# --- The verification form says what is required before it is sent (issue 20 item 9) ---


def test_verify_form_marks_the_complaint_kind_required_in_the_page(client, make_report, national_admin):
    complaint = make_report()
    client.force_login(national_admin)
    html = client.get(action_url(complaint, "verify")).content.decode()
    kind = re.search(r"<select[^>]*name=\"complaint_kind\"[^>]*>", html).group(0)
    assert " required" in kind
    assert '<label for="id_complaint_kind" class="required">' in html
    assert 'enctype="multipart/form-data" novalidate' not in html  # the browser checks before sending
    assert "js/verify_form.js" in html and 'data-requires-kind="complaint"' in html
    # Sent without it anyway (no browser check): refused, and nothing is lost.
    response = client.post(action_url(complaint, "verify"), {"title": "Ringkas", "classification": "complaint"})
    assert response.status_code == 200 and "Tandai pengaduan" in response.content.decode()
    complaint.refresh_from_db()
    assert complaint.status == "submitted"
    # An aspiration has no kind: not required.
    aspiration = make_report(classification="aspiration", submission_key="asp")
    html = client.get(action_url(aspiration, "verify")).content.decode()
    assert " required" not in re.search(r"<select[^>]*name=\"complaint_kind\"[^>]*>", html).group(0)


def test_staff_entry_answers_the_same_whether_the_address_has_an_account(
    client, agency_admin, citizen, tree, mailoutbox, django_capture_on_commit_callbacks, eager_celery
):
    """#21 item 14: no "no account with this e-mail"; the reporter is mailed either way."""
    client.force_login(agency_admin)
    answers = []
    for email, title in (("warga@example.test", "Dengan akun"), ("tanpa.akun@example.test", "Tanpa akun")):
        mailoutbox.clear()
        data = _entry_data(tree, reporter_name="", reporter_email=email, title=title)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("admin:complaints_report_entry"), data)
        assert response.status_code == 302
        report = Report.objects.get(title=title)
        answers.append(response["Location"].replace(str(report.pk), "<id>"))
        to_reporter = [m for m in mailoutbox if m.to == [email]]
        assert len(to_reporter) == 1 and report.tracking_no in to_reporter[0].body
    assert answers[0] == answers[1]
    assert Report.objects.get(title="Dengan akun").reporter == citizen
    unlinked = Report.objects.get(title="Tanpa akun")
    assert unlinked.reporter is None and "tanpa.akun@example.test" in unlinked.reporter_contact


@pytest.mark.parametrize("anonymous", [False, True])
def test_staff_entry_for_an_existing_account_shows_only_what_staff_typed(
    client, agency_admin, citizen, tree, anonymous
):
    """#21 item 14: linking silently is not enough — the report page, the list and the public page
    must not show the account's name, phone or NIK, nor differ in any way from an entry for an
    address without an account (the existing account may be an Anonim reporter's)."""
    client.force_login(agency_admin)
    pages = []
    for email in ("warga@example.test", "tanpa.akun@example.test"):
        data = _entry_data(tree, reporter_name="Bu Ketut", reporter_contact="0812-000-111", reporter_email=email)
        if anonymous:
            data["is_anonymous"] = "on"
        Report.objects.all().delete()
        assert client.post(reverse("admin:complaints_report_entry"), data).status_code == 302
        report = Report.objects.get()
        html = client.get(reverse("admin:complaints_report_change", args=[report.pk])).content.decode()
        html += client.get(reverse("admin:complaints_report_changelist")).content.decode()
        workflow.verify(report, by=agency_admin, complaint_kind="normative")
        html += client.get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()
        for secret in ("Made", "081234567890", "6281234567890", "5103012345678901"):
            assert secret not in html, (email, secret)
        # What differs between the two reports by nature (numbers, ids, times, the address typed) aside.
        for value in (report.tracking_no, email):
            html = html.replace(value, "<x>")
        html = re.sub(rf'(report/|value="){report.pk}(/|")', r"\1<id>\2", html)
        html = re.sub(r"seen=\d+|name=\"seen\" value=\"\d+\"", "<seen>", html)
        html = re.sub(r'value="[A-Za-z0-9_-]{20,}"', "", html)  # CSRF and one-time action tokens
        html = re.sub(r"\d{1,2}[:.]\d{2}", "<t>", html)
        pages.append(html)
    import difflib

    assert pages[0] == pages[1], "\n".join(difflib.unified_diff(pages[0].splitlines(), pages[1].splitlines(), n=1))
    if not anonymous:
        assert "Bu Ketut" in pages[0] and "0812-000-111" in pages[0]
