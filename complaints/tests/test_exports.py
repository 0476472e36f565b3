"""The staff exports: the changelist's scope and filters, with the same redaction; CSV streamed, XLSX
built, and large lists built by a Celery job with a progress page and a download for its owner only."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from complaints import exports, tasks, workflow
from complaints.models import ExportJob
from lapor.celery import app as celery_app

pytestmark = pytest.mark.django_db
EXPORT = "admin:complaints_report_export"


def rows(response):
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_export_follows_the_changelist_filters(client, make_report, agency_admin):
    make_report(title="Menunggu verifikasi")
    held = make_report(title="Menunggu pelapor")
    workflow.hold(held, by=agency_admin, note="Lengkapi foto.")
    client.force_login(agency_admin)
    data = rows(client.get(reverse(EXPORT), {"antrean": "on_hold"}))
    assert [r[1] for r in data[1:]] == ["Menunggu pelapor"]
    assert len(rows(client.get(reverse(EXPORT)))) == 3


def test_export_is_scoped_to_the_staff_subtree(client, make_report, sibling_admin, tree):
    make_report(title="Di Badung")
    make_report(title="Di Sleman", suggested_agency=tree["sleman"])
    client.force_login(sibling_admin)
    assert [r[1] for r in rows(client.get(reverse(EXPORT)))[1:]] == ["Di Sleman"]


def test_export_redacts_anonymous_reporters_for_agency_roles(client, make_report, agency_admin, national_admin):
    make_report(title="Anonim", is_anonymous=True)
    make_report(title="Bernama")
    client.force_login(agency_admin)
    by_title = {r[1]: r for r in rows(client.get(reverse(EXPORT)))[1:]}
    assert by_title["Anonim"][-3:] == ["Anonim", "", ""]
    assert by_title["Bernama"][-3:-1] == ["Made Warga", "warga@example.test"]
    # Exports never carry an Anonim identity, a national admin's neither (break-glass is one report at a time).
    client.force_login(national_admin)
    by_title = {r[1]: r for r in rows(client.get(reverse(EXPORT)))[1:]}
    assert by_title["Anonim"][-3:] == ["Anonim", "", ""]
    assert by_title["Bernama"][-3:-1] == ["Made Warga", "warga@example.test"]


def test_export_neutralises_spreadsheet_formulas(client, make_report, agency_admin):
    make_report(title='=HYPERLINK("http://x")')
    client.force_login(agency_admin)
    assert rows(client.get(reverse(EXPORT)))[1][1] == '\'=HYPERLINK("http://x")'


def test_export_link_keeps_the_current_filters(client, make_report, agency_admin):
    make_report()
    client.force_login(agency_admin)
    content = client.get(reverse("admin:complaints_report_changelist"), {"antrean": "submitted"}).content.decode()
    assert reverse(EXPORT) + "?antrean=submitted" in content


# --- XLSX, and large exports built by a Celery job ---

XLSX = "admin:complaints_report_export_xlsx"


def xlsx_rows(content: bytes) -> list[list]:
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    return [["" if v is None else v for v in row] for row in sheet.iter_rows(values_only=True)]


def test_small_xlsx_export_is_built_at_once_with_the_same_redaction(client, make_report, agency_admin):
    make_report(title="Anonim", is_anonymous=True)
    client.force_login(agency_admin)
    response = client.get(reverse(XLSX))
    assert response["Content-Type"] == exports.XLSX_TYPE
    data = xlsx_rows(response.content)
    assert data[0][0] == "Nomor pelacakan"
    assert data[1][1] == "Anonim" and data[1][-3:] == ["Anonim", "", ""]


@pytest.fixture
def eager(settings):
    """Large exports on: more than one row needs a job, and the task runs in-process."""
    settings.LAPOR_EXPORT_INLINE_MAX = 1
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def _export(client, django_capture_on_commit_callbacks, name=EXPORT, **params):
    with django_capture_on_commit_callbacks(execute=True):
        return client.get(reverse(name), params)


def test_a_large_export_becomes_a_job_with_a_download_for_its_owner_only(
    client, make_report, agency_admin, sibling_admin, citizen, eager, django_capture_on_commit_callbacks
):
    make_report(title="Anonim", is_anonymous=True)
    make_report(title="Bernama")
    make_report(title="Ditunda")
    client.force_login(agency_admin)
    response = _export(client, django_capture_on_commit_callbacks, name=XLSX)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("staff:export", args=[job.token])
    assert (job.state, job.format, job.total, job.done) == ("done", "xlsx", 3, 3)

    page = client.get(response["Location"])
    assert "Berkas siap: 3 laporan." in page.content.decode()
    assert 'http-equiv="refresh"' not in page.content.decode()  # finished: no more refreshing
    download = client.get(reverse("staff:export_download", args=[job.token]))
    assert download["Content-Disposition"].startswith("attachment")
    data = xlsx_rows(b"".join(download.streaming_content))
    by_title = {r[1]: r for r in data[1:]}
    assert by_title["Anonim"][-3:] == ["Anonim", "", ""]  # redacted for an agency role, as on the page
    assert by_title["Bernama"][-3:-1] == ["Made Warga", "warga@example.test"]
    assert job.file.name.startswith("exports/") and "/media/" not in job.file.name

    for outsider in (sibling_admin, citizen):
        client.force_login(outsider)
        assert client.get(reverse("staff:export", args=[job.token])).status_code == 404
        assert client.get(reverse("staff:export_download", args=[job.token])).status_code == 404
    client.logout()
    assert client.get(reverse("staff:export_download", args=[job.token])).status_code == 302  # to login


def test_a_job_exports_the_list_as_it_was_filtered(
    client, make_report, agency_admin, eager, django_capture_on_commit_callbacks
):
    for title in ("Satu", "Dua"):
        make_report(title=title)
    for title in ("Menunggu pelapor", "Menunggu pelapor juga"):
        workflow.hold(make_report(title=title), by=agency_admin, note="Lengkapi foto.")
    client.force_login(agency_admin)
    _export(client, django_capture_on_commit_callbacks, antrean="on_hold")
    job = ExportJob.objects.get()
    assert job.query == "antrean=on_hold"
    text = b"".join(client.get(reverse("staff:export_download", args=[job.token])).streaming_content)
    assert text.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheets read the names right
    data = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert sorted(r[1] for r in data[1:]) == ["Menunggu pelapor", "Menunggu pelapor juga"]


def test_progress_page_refreshes_while_the_job_runs(client, agency_admin):
    job = ExportJob.objects.create(user=agency_admin, format="csv", language="id", state="running", total=10, done=4)
    client.force_login(agency_admin)
    html = client.get(reverse("staff:export", args=[job.token])).content.decode()
    assert 'http-equiv="refresh"' in html
    assert 'aria-valuenow="40"' in html and "4 dari 10 laporan" in html
    assert client.get(reverse("staff:export_download", args=[job.token])).status_code == 404  # not ready


def test_too_many_unfinished_exports_are_refused_with_a_message(
    client, make_report, agency_admin, eager, django_capture_on_commit_callbacks, settings
):
    settings.LAPOR_EXPORT_ACTIVE_MAX = 1
    make_report()
    make_report()
    ExportJob.objects.create(user=agency_admin, format="csv", language="id", state="running")
    client.force_login(agency_admin)
    response = _export(client, django_capture_on_commit_callbacks)
    assert response.status_code == 302 and response["Location"] == reverse("staff:exports")
    assert ExportJob.objects.count() == 1
    page = client.get(response["Location"])
    assert "Anda masih punya ekspor yang sedang dibuat" in page.content.decode()


def test_broker_down_marks_the_job_failed_with_a_clear_message(
    client, make_report, agency_admin, eager, django_capture_on_commit_callbacks, monkeypatch
):
    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.build_export, "delay", down)
    make_report()
    make_report()
    client.force_login(agency_admin)
    response = _export(client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    assert job.state == "failed" and job.error == "queue_down"
    assert "Antrean pekerjaan sedang tidak tersedia" in client.get(response["Location"]).content.decode()


def test_xlsx_beyond_a_worksheet_fails_with_advice_and_a_finished_job_is_not_rebuilt(
    client, make_report, agency_admin, eager, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 1)
    make_report()
    make_report()
    client.force_login(agency_admin)
    response = _export(client, django_capture_on_commit_callbacks, name=XLSX)
    job = ExportJob.objects.get()
    assert (job.state, job.error) == ("failed", "too_large")
    assert "Gunakan CSV" in client.get(response["Location"]).content.decode()
    assert exports.build(job.pk) == "failed"  # a retried task leaves a finished job alone


def test_old_exports_and_their_files_are_purged(
    client, make_report, agency_admin, eager, django_capture_on_commit_callbacks
):
    make_report()
    make_report()
    client.force_login(agency_admin)
    _export(client, django_capture_on_commit_callbacks)
    job = ExportJob.objects.get()
    storage = job.file.storage
    assert storage.exists(job.file.name)
    assert exports.purge(now=job.created_at + dt.timedelta(days=6)) == 0
    assert exports.purge(now=job.created_at + dt.timedelta(days=8)) == 1
    assert not storage.exists(job.file.name) and not ExportJob.objects.exists()
    assert "complaints.tasks.purge_exports" in {e["task"] for e in celery_app.conf.beat_schedule.values()}


def test_the_export_list_shows_only_the_users_own_exports(client, agency_admin, sibling_admin, citizen):
    mine = ExportJob.objects.create(user=agency_admin, format="csv", language="id", state="done", total=5)
    theirs = ExportJob.objects.create(user=sibling_admin, format="csv", language="id", state="done", total=7)
    client.force_login(agency_admin)
    html = client.get(reverse("staff:exports")).content.decode()
    assert reverse("staff:export", args=[mine.token]) in html
    assert reverse("staff:export", args=[theirs.token]) not in html
    client.force_login(citizen)
    assert client.get(reverse("staff:exports")).status_code == 404


@pytest.mark.parametrize("who", ["agency_admin", "national_admin"])
def test_export_query_count_does_not_grow_with_reports(
    client, make_report, request, who, django_assert_max_num_queries
):
    client.force_login(request.getfixturevalue(who))
    make_report(is_anonymous=True)
    with django_assert_max_num_queries(16) as first:
        assert len(rows(client.get(reverse(EXPORT)))) == 2
    for i in range(6):
        make_report(is_anonymous=i % 2 == 0)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert len(rows(client.get(reverse(EXPORT)))) == 8


def _killed_mid_build(user, seconds_ago, attempts=1):
    """A job whose worker died while building it: running, last heartbeat `seconds_ago`."""
    beat = timezone.now() - dt.timedelta(seconds=seconds_ago)
    return ExportJob.objects.create(
        user=user, format="csv", language="id", state="running", done=2000, heartbeat_at=beat, attempts=attempts
    )


def test_a_job_whose_worker_died_is_built_again(
    client, make_report, agency_admin, eager, django_capture_on_commit_callbacks, settings
):
    make_report()
    make_report()
    job = _killed_mid_build(agency_admin, settings.LAPOR_EXPORT_STALE_SECONDS + 5)
    fresh = _killed_mid_build(agency_admin, 10)  # still building elsewhere: left alone
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.reap_stale_exports.apply().get() == {"retried": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.state, job.total, job.attempts) == ("done", 2, 2)
    fresh.refresh_from_db()
    assert fresh.state == "running"
    assert exports.build(fresh.pk) == "running"  # a redelivered task does not take over a live build


def test_a_job_that_keeps_losing_its_worker_fails_with_a_message_and_frees_the_slot(
    client, make_report, agency_admin, eager, django_capture_on_commit_callbacks, settings
):
    settings.LAPOR_EXPORT_ACTIVE_MAX = 1
    make_report()
    make_report()
    job = _killed_mid_build(agency_admin, settings.LAPOR_EXPORT_STALE_SECONDS + 5, attempts=2)
    assert exports.reap_stale() == {"retried": 0, "failed": 1}
    job.refresh_from_db()
    assert (job.state, job.error) == ("failed", "stalled")
    client.force_login(agency_admin)
    assert "pekerja latar belakang berhenti" in client.get(reverse("staff:export", args=[job.token])).content.decode()
    response = _export(client, django_capture_on_commit_callbacks)  # the slot is free again
    assert ExportJob.objects.filter(state="done").count() == 1, response


def test_a_build_presumed_dead_stops_when_another_took_its_job(agency_admin, make_report, eager, monkeypatch):
    make_report()
    make_report()
    job = ExportJob.objects.create(user=agency_admin, format="csv", language="id")

    def taken_over(rows, fileobj, progress):
        ExportJob.objects.filter(pk=job.pk).update(attempts=5)  # the reaper handed it to another build
        progress(2000)

    monkeypatch.setitem(exports.WRITERS, "csv", taken_over)
    assert exports.build(job.pk) == "superseded"
    job.refresh_from_db()
    assert job.state == "running" and not job.file
