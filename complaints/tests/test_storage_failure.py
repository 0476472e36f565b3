"""A file store that refuses uploads (read-only or full): a form error that keeps the rest of the
report, nothing half-stored, logged, and the national admins alerted once."""

import errno
import io
import logging

import pytest
from django.core.cache import cache
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from complaints import workflow
from complaints.models import Attachment, Category, Notification, Report
from lapor.celery import app as celery_app

URL = "/laporan/baru/"


@pytest.fixture(autouse=True)
def _local(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "store"}}
    cache.clear()
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def png(name):
    out = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(out, format="PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@pytest.fixture
def disk_full(monkeypatch):
    """The second and later files hit a full disk (the first one is stored)."""
    real = FileSystemStorage._save
    calls = []

    def save(self, name, content):
        calls.append(name)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", save)
    return calls


def _files(tmp_path):
    root = tmp_path / "private"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def data(db):
    category = Category.objects.get(code="kesehatan-puskesmas")
    return {
        "classification": "complaint",
        "title": "Antrean puskesmas sangat lama",
        "body": "Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan.",
        "event_date": "2026-01-05",
        "province": "51",
        "regency": "51.03",
        "category": str(category.pk),
        "submission_key": "store-1",
    }


def test_a_full_disk_is_a_form_error_that_keeps_the_report_and_alerts_the_admins_once(
    client,
    citizen,
    other_citizen,
    national_admin,
    data,
    disk_full,
    tmp_path,
    caplog,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    client.force_login(citizen)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**data, "attachments": [png("satu.png"), png("dua.png")]})
    assert response.status_code == 400
    html = response.content.decode()
    assert "gangguan penyimpanan" in html
    assert "Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan." in html  # the rest is kept
    assert "satu.png" in html  # the files are named, to be chosen again
    assert not Report.objects.exists() and not Attachment.objects.exists()
    assert _files(tmp_path) == []  # the first file, stored before the disk filled up, is removed too
    assert any("No space left on device" in r.getMessage() for r in caplog.records)
    alert = Notification.objects.get(kind="storage_failure")
    assert alert.user == national_admin
    assert [m.to for m in mailoutbox] == [[national_admin.email]]

    # Another citizen a minute later: the same clear error, no second alert.
    client.force_login(other_citizen)
    again = client.post(URL, {**data, "submission_key": "store-2", "attachments": [png("a.png"), png("b.png")]})
    assert again.status_code == 400
    assert Notification.objects.filter(kind="storage_failure").count() == 1


def test_a_staff_action_with_a_file_on_a_read_only_store_is_undone(
    make_report, national_admin, agency_admin, tree, monkeypatch
):
    report = make_report()
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    from complaints.uploads import check_upload

    upload = check_upload(png("bukti.png"))

    def read_only(self, name, content):
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(FileSystemStorage, "_save", read_only)
    with pytest.raises(workflow.AttachmentNotStored):
        workflow.follow_up(report, by=agency_admin, note="Sudah ditindaklanjuti", attachments=[upload])
    report.refresh_from_db()
    assert not report.events.filter(action="follow_up").exists()
    assert Notification.objects.filter(kind="storage_failure").count() == 1


def test_a_repeated_submission_with_files_stores_nothing_again(make_report, tmp_path):
    """A double click on a form with files: the second submission's report INSERT fails on the unique
    submission_key and the first report is returned. On PostgreSQL that INSERT travels with the next
    statement (lapor/prepared.py writes_sent_with_the_next_statement); it must fail before the second
    copy's files are written to the store, which is outside the transaction and would keep them."""
    from complaints.uploads import check_upload

    first = make_report(submission_key="twice-with-files", attachments=[check_upload(png("foto.png"))])
    stored = sorted(_files(tmp_path))
    assert stored  # the original and its public copy
    again = make_report(submission_key="twice-with-files", attachments=[check_upload(png("foto.png"))])
    assert again.pk == first.pk and again.resubmitted
    assert Attachment.objects.filter(report=first).count() == 1
    assert sorted(_files(tmp_path)) == stored  # no orphan copy of the second submission's files
