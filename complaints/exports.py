"""CSV and XLSX exports of a staff member's (filtered) report list.

Same scope as the admin changelist (the queryset comes from it) and the same redaction as every
page: an anonymous reporter's identity never reaches agency roles. Lists up to
LAPOR_EXPORT_INLINE_MAX rows are built during the request; larger ones become an ExportJob that a
Celery task builds (`build`), with its progress on the job's page and a download link when ready.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import tempfile

from django.conf import settings
from django.core.files import File
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, QueryDict, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from agencies.roles import set_acting_agency
from lapor.queue import after_commit

from . import access
from .models import Channel, Classification, ExportJob, Report, Status

log = logging.getLogger(__name__)
CHUNK_SIZE = 2000
XLSX_MAX_ROWS = 1_048_575  # a worksheet's rows, less the header
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# ExportJob.error codes → what the job's page says.
ERRORS = {
    "queue_down": gettext_lazy("Antrean pekerjaan sedang tidak tersedia. Silakan coba lagi beberapa saat lagi."),
    "too_large": gettext_lazy(
        "Terlalu banyak baris untuk XLSX (maksimum 1.048.575). Gunakan CSV atau persempit saringan."
    ),
    "failed": gettext_lazy("Ekspor gagal dibuat. Silakan coba lagi; bila berulang, hubungi admin."),
    "stalled": gettext_lazy(
        "Pembuatan ekspor terhenti karena pekerja latar belakang berhenti, juga setelah dicoba ulang. "
        "Silakan minta ekspor ini lagi."
    ),
}


class TooLarge(Exception):
    pass


class _Echo:
    def write(self, value):
        return value


def header() -> list[str]:
    return [
        _("Nomor pelacakan"),
        _("Judul"),
        _("Klasifikasi"),
        _("Kategori"),
        _("Provinsi"),
        _("Kabupaten/kota"),
        _("Instansi penangan"),
        _("Status"),
        _("Kanal"),
        _("Dibuat"),
        _("Tenggat"),
        _("Terlambat"),
        _("Anonim"),
        _("Rahasia"),
        _("Nama pelapor"),
        _("E-mail pelapor"),
        _("Telepon pelapor"),
    ]


def safe(value) -> str:
    """Citizen-typed text must not run as a spreadsheet formula (CSV injection)."""
    value = "" if value is None else str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


# What `row` reads (and access.reporter_shown_to): the report's body and the rest stay in the database.
ROW_FIELDS = [
    *("tracking_no", "title", "classification", "status", "channel", "created_at", "due_at"),
    *("is_anonymous", "is_confidential", "reporter_name", "reporter_contact", "entered_by"),
    "sandbox",  # access.roles_for reads it
    *("category__name", "province__name", "regency__name", "agency__name", "agency__path"),
    *("reporter__full_name", "reporter__display_name", "reporter__email", "reporter__phone", "reporter__nik"),
]


class Labels:
    """The choice labels and words of one export, translated once (not once per row and column)."""

    def __init__(self):
        self.classification = {k: str(v) for k, v in Classification.choices}
        self.status = {k: str(v) for k, v in Status.choices}
        self.channel = {k: str(v) for k, v in Channel.choices}
        self.national, self.yes = _("Admin Nasional"), _("ya")


def row(report, user, now, labels: Labels) -> list:
    reporter = access.reporter_shown_to(user, report)
    return [
        report.tracking_no,
        report.title,
        labels.classification.get(report.classification, report.classification),
        report.category.name,
        report.province.name,
        report.regency.name,
        report.agency.name if report.agency_id else labels.national,
        labels.status.get(report.status, report.status),
        labels.channel.get(report.channel, report.channel),
        timezone.localtime(report.created_at).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(report.due_at).strftime("%Y-%m-%d %H:%M") if report.due_at else "",
        labels.yes if report.is_overdue(now) else "",
        labels.yes if report.is_anonymous else "",
        labels.yes if report.is_confidential else "",
        reporter["name"],
        reporter["email"],
        reporter["phone"],
    ]


def report_rows(queryset, user):
    """The header, then one row per report of `queryset` (already scoped and filtered), read from the
    database in chunks, text made safe for spreadsheets."""
    qs = queryset.select_related("category", "province", "regency", "agency", "reporter").only(*ROW_FIELDS)
    qs = qs.order_by("pk")
    now, labels = timezone.now(), Labels()
    yield header()
    for report in qs.iterator(chunk_size=CHUNK_SIZE):
        yield [safe(value) for value in row(report, user, now, labels)]


def export_reports(queryset, user, fmt: str = "csv", filename: str = "laporan") -> HttpResponse:
    """A list small enough to build during the request (see `needs_job`): CSV streamed, XLSX built."""
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(report_rows(queryset, user), buffer)
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    else:
        writer = csv.writer(_Echo())
        response = StreamingHttpResponse(
            (writer.writerow(r) for r in report_rows(queryset, user)), content_type="text/csv; charset=utf-8"
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response


def write_csv(rows, fileobj, progress=None) -> int:
    """Write rows to a binary file as UTF-8 CSV (with a BOM, so that spreadsheets read it as UTF-8)."""
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    n = -1
    for n, values in enumerate(rows):
        writer.writerow(values)
        if progress and n and n % CHUNK_SIZE == 0:
            progress(n)
    text.flush()
    text.detach()
    return max(n, 0)


def write_xlsx(rows, fileobj, progress=None) -> int:
    """Write rows to an XLSX workbook in openpyxl's write-only mode (memory does not grow with rows)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Laporan"))
    n = -1
    for n, values in enumerate(rows):
        sheet.append(values)
        if progress and n and n % CHUNK_SIZE == 0:
            progress(n)
    book.save(fileobj)
    return max(n, 0)


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}


# --- Large exports: an ExportJob built by a Celery task ---


def needs_job(queryset) -> bool:
    """More rows than a request may build (the count stops at the limit: no full count of 2M rows)."""
    return queryset.order_by()[: settings.LAPOR_EXPORT_INLINE_MAX + 1].count() > settings.LAPOR_EXPORT_INLINE_MAX


def start(user, fmt: str, query: str) -> ExportJob | None:
    """Queue an export of the admin report list with these filters; None when the user already has
    LAPOR_EXPORT_ACTIVE_MAX unfinished exports."""
    active = ExportJob.objects.filter(user=user, state__in=[ExportJob.State.PENDING, ExportJob.State.RUNNING])
    if active.count() >= settings.LAPOR_EXPORT_ACTIVE_MAX:
        return None
    job = ExportJob.objects.create(
        user=user,
        format=fmt,
        query=query,
        language=translation.get_language(),
        acting_agency_id=getattr(user, "lapor_acting_agency_id", None),
    )
    _queue(job.pk)
    return job


def _queue(job_id: int) -> None:
    def queue_down():  # broker down: say so on the job's page rather than wait forever
        ExportJob.objects.filter(pk=job_id, state=ExportJob.State.PENDING).update(
            state=ExportJob.State.FAILED, error="queue_down", finished_at=timezone.now()
        )

    after_commit("complaints.tasks.build_export", job_id, fallback=queue_down)


def admin_list_queryset(user, query: str):
    """The admin report list `user` sees with these filters, as the changelist builds it: the same
    scope (access.staff_reports), filters, search and redaction rules as the page."""
    from django.contrib import admin

    request = HttpRequest()
    request.method, request.path = "GET", reverse("admin:complaints_report_changelist")
    request.GET, request.user = QueryDict(query), user
    model_admin = admin.site.get_model_admin(Report)
    return model_admin.get_changelist_instance(request).queryset


class Superseded(Exception):
    """This build was presumed dead (no heartbeat) and the job handed to another build."""


def build(job_id: int) -> str:
    """Build the file of an export job (the Celery task). Safe to run again: a finished job, or one
    that another build is working on (its heartbeat is fresh), is left alone."""
    now = timezone.now()
    stale = now - dt.timedelta(seconds=settings.LAPOR_EXPORT_STALE_SECONDS)
    claimable = ExportJob.objects.filter(pk=job_id).filter(
        Q(state=ExportJob.State.PENDING)
        | Q(state=ExportJob.State.RUNNING, heartbeat_at__lt=stale)
        | Q(state=ExportJob.State.RUNNING, heartbeat_at__isnull=True)
    )
    job = claimable.select_related("user").first()
    if job is None:
        job = ExportJob.objects.filter(pk=job_id).first()
        return job.state if job else "missing"
    attempt = job.attempts + 1
    claimed = claimable.filter(attempts=job.attempts).update(
        state=ExportJob.State.RUNNING, done=0, heartbeat_at=now, attempts=attempt
    )
    if not claimed:
        return "taken"
    mine = ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.RUNNING, attempts=attempt)

    def beat(**fields):
        if not mine.update(heartbeat_at=timezone.now(), **fields):
            raise Superseded

    try:
        with translation.override(job.language):
            set_acting_agency(job.user, job.acting_agency_id)  # the scope its owner had when asking
            queryset = admin_list_queryset(job.user, job.query)
            total = queryset.count()
            if job.format == ExportJob.Format.XLSX and total > XLSX_MAX_ROWS:
                raise TooLarge
            beat(total=total)
            with tempfile.TemporaryFile() as tmp:
                done = WRITERS[job.format](report_rows(queryset, job.user), tmp, lambda n: beat(done=n))
                tmp.seek(0)
                beat()
                job.file.save(job.filename, File(tmp, name=job.filename), save=False)
        if not mine.update(
            state=ExportJob.State.DONE, file=job.file.name, done=done, total=done, finished_at=timezone.now()
        ):
            job.file.delete(save=False)
            raise Superseded
        return ExportJob.State.DONE
    except Superseded:
        log.warning("Export %s: build %s was superseded by a later one; stopped", job.pk, attempt)
        return "superseded"
    except TooLarge:
        error = "too_large"
    except Exception:
        log.exception("Export %s failed", job.pk)
        error = "failed"
    mine.update(state=ExportJob.State.FAILED, error=error, finished_at=timezone.now())
    return ExportJob.State.FAILED


def reap_stale(now=None) -> dict:
    """Running exports whose build wrote no heartbeat for LAPOR_EXPORT_STALE_SECONDS (the worker was
    killed or lost): built again while attempts remain, else marked failed with a message, which
    frees the owner's export slot. Runs every minute (beat)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(seconds=settings.LAPOR_EXPORT_STALE_SECONDS)
    stale = ExportJob.objects.filter(
        Q(heartbeat_at__lt=cutoff)
        | Q(heartbeat_at__isnull=True, created_at__lt=cutoff),  # (jobs from before heartbeats)
        state=ExportJob.State.RUNNING,
    )
    retried = list(stale.filter(attempts__lt=settings.LAPOR_EXPORT_MAX_ATTEMPTS).values_list("pk", "attempts"))
    result = {"retried": 0, "failed": 0}
    for pk, attempts in retried:
        if stale.filter(pk=pk, attempts=attempts).update(state=ExportJob.State.PENDING, done=0, heartbeat_at=None):
            log.warning("Export %s: no heartbeat since its worker stopped; building it again", pk)
            result["retried"] += 1
            _queue(pk)
    result["failed"] = stale.filter(attempts__gte=settings.LAPOR_EXPORT_MAX_ATTEMPTS).update(
        state=ExportJob.State.FAILED, error="stalled", finished_at=now
    )
    if result["failed"]:
        log.warning(
            "%d export(s) failed: no heartbeat after %d builds", result["failed"], settings.LAPOR_EXPORT_MAX_ATTEMPTS
        )
    return result


def purge(now=None) -> int:
    """Delete exports (and their files) older than LAPOR_EXPORT_KEEP_DAYS; returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.LAPOR_EXPORT_KEEP_DAYS)
    old = ExportJob.objects.filter(created_at__lt=cutoff)
    for job in old.exclude(file="").only("pk", "file").iterator():
        job.file.delete(save=False)
    return old.delete()[0]
