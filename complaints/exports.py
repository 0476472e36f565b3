"""Streaming CSV export of a staff member's (filtered) report list.

Same scope as the admin changelist (the queryset comes from it) and the same redaction as every
page: an anonymous reporter's identity never reaches agency roles.
"""

from __future__ import annotations

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from . import access

CHUNK_SIZE = 2000


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


def row(report, user, now) -> list:
    reporter = access.reporter_shown_to(user, report)
    overdue = bool(report.due_at and report.due_at < now)
    return [
        report.tracking_no,
        report.title,
        report.get_classification_display(),
        report.category.name,
        report.province.name,
        report.regency.name,
        report.agency.name if report.agency_id else _("Admin Nasional"),
        report.get_status_display(),
        report.get_channel_display(),
        timezone.localtime(report.created_at).strftime("%Y-%m-%d %H:%M"),
        timezone.localtime(report.due_at).strftime("%Y-%m-%d %H:%M") if report.due_at else "",
        _("ya") if overdue else "",
        _("ya") if report.is_anonymous else "",
        _("ya") if report.is_confidential else "",
        reporter["name"],
        reporter["email"],
        reporter["phone"],
    ]


def export_reports(queryset, user, filename="laporan.csv") -> StreamingHttpResponse:
    """Stream `queryset` (already scoped and filtered) as CSV, chunk by chunk from the database."""
    qs = queryset.select_related("category", "province", "regency", "agency", "reporter").order_by("pk")
    now = timezone.now()
    writer = csv.writer(_Echo())

    def rows():
        yield writer.writerow(header())
        for report in qs.iterator(chunk_size=CHUNK_SIZE):
            yield writer.writerow([safe(value) for value in row(report, user, now)])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
