import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from complaints import workflow
from complaints.models import Category, Clock, Report, Status
from complaints.tests.portal import answered, close_response, png_upload, published


def _url(name, report, *args):
    return reverse(f"complaints:{name}", args=[report.tracking_no, *args])


def _status(client, url):
    response = client.get(url)
    close_response(response)  # a streamed file stays open until the response is closed
    return response.status_code


@pytest.fixture
def answered_report(make_report, national_admin, agency_admin, tree):
    return answered(make_report, national_admin, agency_admin, tree)


def test_report_page_shows_status_timeline_and_answer(client, answered_report):
    html = client.get(_url("detail", answered_report)).content.decode()
    assert "Ditanggapi – Menunggu Tanggapan Pelapor" in html
    assert "Jalan sudah ditambal." in html
    # The holding agency by name (the regency line prints "Kabupaten Badung" whatever the holder).
    assert html.split('id="holding-agency">', 1)[1].startswith("Pemerintah Kabupaten Badung")


def test_stranger_sees_no_citizen_actions(client, other_citizen, answered_report):
    client.force_login(other_citizen)
    html = client.get(_url("detail", answered_report)).content.decode()
    assert 'id="form-reply"' not in html and 'id="form-accept"' not in html


def test_reporter_sees_reply_and_accept_when_answered(client, citizen, answered_report):
    client.force_login(citizen)
    html = client.get(_url("detail", answered_report)).content.decode()
    assert 'id="form-reply"' in html and 'id="form-accept"' in html
    assert 'id="form-reopen"' not in html and 'id="form-provide-info"' not in html
    assert 'type="radio"' in html and "5 dari 5 bintang" in html


def test_reporter_reply_moves_report_back_to_in_progress(client, citizen, answered_report):
    client.force_login(citizen)
    response = client.post(
        _url("reply", answered_report), {"reply-note": "Masih berlubang.", "reply-attachments": [png_upload()]}
    )
    assert response.status_code == 302
    answered_report.refresh_from_db()
    assert answered_report.status == Status.IN_PROGRESS
    assert answered_report.attachments.get().event.action == "reply"


def test_empty_reply_is_refused_next_to_the_field(client, citizen, answered_report):
    client.force_login(citizen)
    response = client.post(_url("reply", answered_report), {"reply-note": "   "})
    assert response.status_code == 400
    assert response.context["forms"]["reply"].errors["note"] == ["Tuliskan tanggapan Anda."]
    assert Report.objects.get(pk=answered_report.pk).status == Status.RESPONDED


def test_bad_attachment_keeps_the_typed_reply(client, citizen, answered_report):
    client.force_login(citizen)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = SimpleUploadedFile("skrip.png", b"<script>alert(1)</script>", content_type="image/png")
    response = client.post(_url("reply", answered_report), {"reply-note": "Teks saya", "reply-attachments": [bad]})
    assert response.status_code == 400
    assert "skrip.png" in response.context["forms"]["reply"].errors["attachments"][0]
    assert "Teks saya" in response.content.decode()


def test_accept_with_rating_completes_the_report(client, citizen, answered_report):
    client.force_login(citizen)
    response = client.post(_url("accept", answered_report), {"accept-rating": "4", "accept-comment": "Terima kasih"})
    assert response.status_code == 302
    answered_report.refresh_from_db()
    assert (answered_report.status, answered_report.rating) == (Status.COMPLETED, 4)


def test_accept_without_rating_is_refused_and_keeps_the_comment(client, citizen, answered_report):
    client.force_login(citizen)
    response = client.post(_url("accept", answered_report), {"accept-comment": "Komentar saya"})
    assert response.status_code == 400
    assert response.context["forms"]["accept"].errors["rating"] == ["Beri penilaian 1 sampai 5 bintang."]
    html = response.content.decode()
    assert "Komentar saya" in html and 'id="accept-rating-error"' in html


def test_reopen_needs_a_reason_and_keeps_nothing_lost(client, citizen, answered_report):
    workflow.accept(answered_report, by=citizen, rating=2)
    client.force_login(citizen)
    response = client.post(_url("reopen", answered_report), {"reopen-reason": ""})
    assert response.status_code == 400
    assert response.context["forms"]["reopen"].errors["reason"] == ["Alasan membuka kembali wajib diisi."]
    response = client.post(_url("reopen", answered_report), {"reopen-reason": "Lubang muncul lagi."})
    assert response.status_code == 302
    assert Report.objects.get(pk=answered_report.pk).status == Status.IN_PROGRESS


def test_reopen_past_the_limit_shows_the_reason_field_error(client, citizen, answered_report, settings):
    settings.LAPOR_MAX_REOPENS = 0
    workflow.accept(answered_report, by=citizen, rating=3)
    client.force_login(citizen)
    response = client.post(_url("reopen", answered_report), {"reopen-reason": "Belum beres."})
    assert response.status_code == 400
    assert "batas maksimalnya" in response.context["forms"]["reopen"].errors["reason"][0]
    assert "Belum beres." in response.content.decode()


def test_provide_info_when_on_hold(client, citizen, make_report, national_admin):
    report = make_report()
    workflow.hold(report, by=national_admin, note="Sebutkan alamat lengkap.")
    client.force_login(citizen)
    html = client.get(_url("detail", report)).content.decode()
    assert 'id="form-provide-info"' in html
    bad = client.post(_url("provide_info", report), {"info-note": ""})
    assert bad.status_code == 400 and bad.context["forms"]["provide_info"].errors["note"]
    ok = client.post(_url("provide_info", report), {"info-note": "Jl. Raya Kuta 1", "info-attachments": [png_upload()]})
    assert ok.status_code == 302
    assert Report.objects.get(pk=report.pk).status == Status.SUBMITTED


def test_action_no_longer_allowed_is_explained(client, citizen, answered_report):
    workflow.accept(answered_report, by=citizen, rating=5)
    client.force_login(citizen)
    response = client.post(_url("reply", answered_report), {"reply-note": "Telat"})
    assert response.status_code == 400
    assert "tidak dapat dilakukan" in response.context["forms"]["reply"].non_field_errors()[0]


def test_other_citizen_cannot_act_on_a_report(client, other_citizen, answered_report):
    client.force_login(other_citizen)
    response = client.post(_url("accept", answered_report), {"accept-rating": "5"})
    assert response.status_code == 400
    assert Report.objects.get(pk=answered_report.pk).status == Status.RESPONDED


def test_actions_require_login(client, answered_report):
    response = client.post(_url("accept", answered_report), {"accept-rating": "5"})
    assert response.status_code == 302 and "masuk" in response["Location"]


# --- Attachments ---


def test_attachment_is_streamed_with_safe_headers(client, citizen, make_report, national_admin):
    from complaints.uploads import check_upload

    report = published(make_report, national_admin, attachments=[check_upload(png_upload("bukti.png"))])
    item = report.attachments.get()
    response = client.get(_url("attachment", report, item.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "bukti.png" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    close_response(response)


def test_attachment_of_unverified_report_is_404_for_strangers(client, other_citizen, citizen, make_report):
    from complaints.uploads import check_upload

    report = make_report(attachments=[check_upload(png_upload())])
    item = report.attachments.get()
    assert client.get(_url("attachment", report, item.pk)).status_code == 404
    client.force_login(other_citizen)
    assert client.get(_url("attachment", report, item.pk)).status_code == 404
    client.force_login(citizen)
    assert _status(client, _url("attachment", report, item.pk)) == 200


def test_attachment_of_another_report_is_404(client, make_report, national_admin):
    from complaints.uploads import check_upload

    public = published(make_report, national_admin)
    hidden = make_report(attachments=[check_upload(png_upload())])
    assert client.get(_url("attachment", public, hidden.attachments.get().pk)).status_code == 404


def test_draft_answer_files_are_for_staff_only(client, citizen, make_report, national_admin, unit_admin, tree):
    from complaints.uploads import check_upload

    report = published(make_report, national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["dinkes"])
    workflow.draft_response(report, by=unit_admin, note="Draf", attachments=[check_upload(png_upload())])
    item = report.attachments.get()
    client.force_login(citizen)
    assert client.get(_url("attachment", report, item.pk)).status_code == 404
    client.force_login(unit_admin)
    assert _status(client, _url("attachment", report, item.pk)) == 200


# --- Ombudsman case file ---


def test_case_file_after_a_low_rating(client, citizen, answered_report):
    workflow.accept(answered_report, by=citizen, rating=1, comment="Tidak diperbaiki")
    client.force_login(citizen)
    assert "berkas-ombudsman" in client.get(_url("detail", answered_report)).content.decode()
    response = client.get(_url("case_file", answered_report))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ombudsman" in html and "Jalan sudah ditambal." in html and "css/case_file.css" in html  # print styles
    assert citizen.email in html  # the reporter's own file carries their identity for the Ombudsman


def test_case_file_lists_missed_deadlines(client, citizen, make_report):
    report = make_report()
    Clock.objects.filter(report=report).update(due_at=timezone.now() - dt.timedelta(days=2))
    client.force_login(citizen)
    response = client.get(_url("case_file", report))
    assert response.status_code == 200
    assert list(response.context["missed"]) and "Verifikasi dan disposisi" in response.content.decode()


def test_case_file_not_offered_when_all_is_well(client, citizen, answered_report):
    workflow.accept(answered_report, by=citizen, rating=5)
    client.force_login(citizen)
    assert "berkas-ombudsman" not in client.get(_url("detail", answered_report)).content.decode()
    assert client.get(_url("case_file", answered_report)).status_code == 302


def test_case_file_is_only_for_the_reporter(client, other_citizen, agency_admin, citizen, answered_report):
    workflow.accept(answered_report, by=citizen, rating=1)
    client.force_login(other_citizen)
    assert client.get(_url("case_file", answered_report)).status_code == 404
    client.force_login(agency_admin)
    assert client.get(_url("case_file", answered_report)).status_code == 404


def test_pdf_attachment_is_downloaded_not_rendered(client, make_report, national_admin):
    from complaints.uploads import check_upload

    from .portal import pdf_upload

    report = published(make_report, national_admin, attachments=[check_upload(pdf_upload())])
    response = client.get(_url("attachment", report, report.attachments.get().pk))
    close_response(response)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;") and "surat.pdf" in response["Content-Disposition"]


def test_an_unreadable_image_refuses_the_whole_answer_with_a_message_and_keeps_the_report_on_hold(
    client, citizen, make_report, agency_admin
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    report = make_report(is_anonymous=True)
    workflow.hold(report, by=agency_admin, note="Lampirkan foto lokasi.")
    client.force_login(citizen)
    broken = SimpleUploadedFile("foto.png", b"\x89PNG\r\n\x1a\n" + b"rusak" * 40, content_type="image/png")
    response = client.post(
        reverse("complaints:provide_info", args=[report.tracking_no]),
        {"info-note": "Ini fotonya, Pak.", "info-attachments": [broken]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert (
        "Gambar “foto.png” tidak dapat dibaca." in html and "Ini fotonya, Pak." in html
    )  # said, and nothing typed lost
    report.refresh_from_db()
    assert report.status == "on_hold"
    assert not report.events.filter(action="provide_info").exists() and not report.attachments.exists()


def test_a_refused_action_says_why(client, citizen, make_report):
    report = make_report()
    client.force_login(citizen)
    response = client.post(reverse("complaints:reply", args=[report.tracking_no]), {"reply-note": "Belum beres."})
    assert response.status_code == 400
    assert "tidak dapat dilakukan pada laporan berstatus" in response.content.decode()


def test_rating_choices_and_the_attachment_help_follow_the_readers_language():
    from django.utils import translation

    from complaints.citizen_forms import AcceptForm
    from complaints.forms import ReportForm

    with translation.override("en"):
        assert str(AcceptForm().fields["rating"].choices[0][1]) == "1 out of 5 stars"
        assert str(ReportForm.base_fields["attachments"].help_text).startswith("Photos")
    with translation.override("id"):
        assert str(AcceptForm().fields["rating"].choices[0][1]) == "1 dari 5 bintang"


# --- Who holds the report, and why (issue 20 items 2 and 5) ---


def test_report_page_says_which_agency_holds_it_and_why(client, citizen, make_report, national_admin, tree):
    puskesmas = Category.objects.get(code="kesehatan-puskesmas")
    report = make_report(suggested_agency=None, category=puskesmas)  # LAPOR routes it: → Dinas Kesehatan Badung
    client.force_login(citizen)
    html = client.get(_url("detail", report)).content.decode()
    holder = html[html.index('id="holding-agency"') :][:600]
    assert "Dinas Kesehatan Kabupaten Badung" in holder and "aturan disposisi LAPOR!" in holder

    chosen = make_report(suggested_agency=tree["sleman"], submission_key="chosen")
    holder = client.get(_url("detail", chosen)).content.decode()
    assert "dipilih saat laporan dikirim" in holder

    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    workflow.transfer(report, by=national_admin, to_agency=tree["sleman"], note="Kejadiannya di Sleman.")
    html = client.get(_url("detail", report)).content.decode()
    holder = html[html.index('id="holding-agency"') :][:600]
    assert "Pemerintah Kabupaten Sleman" in holder
    assert "Pemerintah Kabupaten Badung mengalihkan laporan ke instansi ini. Alasan: Kejadiannya di Sleman." in holder


def test_anonymous_reporter_sees_the_badge_and_who_sees_what(
    client, citizen, other_citizen, make_report, national_admin
):
    report = published(make_report, national_admin, is_anonymous=True)
    client.force_login(citizen)
    html = client.get(_url("detail", report)).content.decode()
    assert "Made Warga" in html  # their own identity, to them
    assert 'id="anonymous-badge"' in html and 'id="anonymous-note"' in html
    assert "publik dan instansi yang menangani tidak dapat melihatnya" in html
    client.force_login(other_citizen)
    html = client.get(_url("detail", report)).content.decode()
    assert "Made Warga" not in html and 'id="anonymous-note"' not in html


def test_citizen_reads_each_step_in_citizen_words_on_the_page_and_in_mail_subjects(
    client, citizen, make_report, national_admin, unit_admin, liaison, tree
):
    from complaints.models import Notification

    report = published(make_report, national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["dinkes"])
    workflow.draft_response(report, by=unit_admin, note="Antrean sudah kami tambah lokernya.")
    workflow.approve_response(report, by=liaison)
    client.force_login(citizen)
    html = client.get(_url("detail", report)).content.decode()
    timeline = html[html.index('class="timeline"') :]
    for words in ("Laporan diterima", "Laporan diverifikasi", "Laporan diteruskan ke instansi yang berwenang"):
        assert words in timeline
    assert "Instansi menjawab laporan" in timeline
    assert "Setujui dan terbitkan jawaban" not in html and "Disposisi" not in timeline
    subjects = list(Notification.objects.filter(user=citizen).order_by("pk").values_list("subject", flat=True))
    assert any("Instansi menjawab laporan" in s for s in subjects)
    assert not any("Setujui" in s or "Disposisi" in s for s in subjects)
    # Staff keep their own vocabulary.
    staff_subjects = Notification.objects.exclude(user=citizen).values_list("subject", flat=True)
    assert any("Disposisi" in s for s in staff_subjects)


def test_each_file_is_shown_with_its_own_public_step_and_an_internal_steps_never(
    client, citizen, answered_report, agency_admin
):
    """The page reads the report's files once and hands each public step its own (views._detail_context)."""
    from complaints.models import Event
    from complaints.uploads import check_upload

    workflow.reply(answered_report, by=citizen, note="Belum", attachments=[check_upload(png_upload("balasan.png"))])
    internal = workflow.respond(
        answered_report, by=agency_admin, note="Sudah", attachments=[check_upload(png_upload("internal.png"))]
    )
    Event.objects.filter(pk=internal.pk).update(is_public=False)  # a step the public never sees, with a file
    html = client.get(_url("detail", answered_report)).content.decode()
    timeline = html.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    steps = re.split(r'<li(?: class="answer")?>', timeline)
    (step,) = [s for s in steps if "Belum" in s]
    assert "balasan.png" in step and sum("balasan.png" in s for s in steps) == 1
    assert "internal.png" not in html
    assert "Lampiran laporan" not in html  # no file of the report itself
