"""The daily open-data export: de-identified, non-confidential reports as CSV and JSON.

What is published: only reports the public may already see (verified, not confidential, not removed);
codes, dates at day precision, status, clock outcomes and rating. Never published: anything about
the reporter and any free text (title, body, notes, rating comments) — free text can name people,
and an anonymous reporter's text can identify them. Rows are streamed from an .iterator() into a
temporary file that is renamed when complete, so a download never sees half a file and memory stays
flat at millions of rows.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import Clock, ClockKind, Report

LICENSE = "CC BY 4.0"
DESCRIPTION = _(
    "Data terbuka LAPOR: laporan publik (bukan rahasia) tanpa identitas pelapor dan tanpa teks bebas, "
    "diperbarui setiap hari."
)
FILE_RE = re.compile(r"^lapor-\d{4}-\d{2}-\d{2}\.(csv|json)$")
CHUNK = 2000

# column → (source, description). Sources ending in _at are dates at day precision (Asia/Jakarta).
COLUMNS = {
    "tracking_no": ("tracking_no", _("Nomor pelacakan publik laporan.")),
    "classification": ("classification", _("Klasifikasi: complaint, aspiration, information.")),
    "complaint_kind": ("complaint_kind", _("Jenis pengaduan: normative, examination, atau kosong.")),
    "category_code": ("category__code", _("Kode kategori.")),
    "category_group_code": ("category__parent__code", _("Kode kategori induk.")),
    "province_code": ("province_id", _("Kode provinsi Kemendagri.")),
    "regency_code": ("regency_id", _("Kode kabupaten/kota Kemendagri.")),
    "agency_code": ("agency__code", _("Kode instansi yang memegang laporan saat ekspor.")),
    "channel": ("channel", _("Kanal masuk (web, mobile, sms, social, integrated, walk_in, letter, …).")),
    "status": ("status", _("Status alur kerja.")),
    "close_reason": ("close_reason", _("Alasan penutupan berkode, bila diarsipkan.")),
    "event_date": ("event_date", _("Tanggal kejadian.")),
    "created_date": ("created_at", _("Tanggal laporan masuk.")),
    "verified_date": ("verified_at", _("Tanggal verifikasi.")),
    "dispatched_date": ("dispatched_at", _("Tanggal disposisi pertama.")),
    "first_follow_up_date": ("first_follow_up_at", _("Tanggal tindak lanjut pertama.")),
    "responded_date": ("responded_at", _("Tanggal jawaban terakhir.")),
    "closed_date": ("closed_at", _("Tanggal ditutup.")),
    "verification_clock": ("verification_clock", _("Tenggat verifikasi: met, missed, running, paused, cancelled.")),
    "first_follow_up_clock": ("first_follow_up_clock", _("Tenggat tindak lanjut pertama (nilai seperti di atas).")),
    "resolution_clock": ("resolution_clock", _("Tenggat penyelesaian (nilai seperti di atas).")),
    "rating": ("rating", _("Penilaian pelapor 1–5, bila ada.")),
    "auto_completed": ("auto_completed", _("Selesai otomatis karena pelapor tidak menanggapi.")),
    "reopen_count": ("reopen_count", _("Berapa kali dibuka kembali.")),
    "bounce_count": ("bounce_count", _("Berapa kali dikembalikan atau dialihkan.")),
}


def root() -> Path:
    return Path(settings.OPEN_DATA_ROOT)


def dictionary() -> list[dict]:
    return [{"column": name, "description": str(desc)} for name, (_src, desc) in COLUMNS.items()]


def rows_queryset():
    def clock(kind):
        return Subquery(
            Clock.objects.filter(report=OuterRef("pk"), kind=kind).order_by("-started_at", "-pk").values("state")[:1]
        )

    return (
        Report.objects.public()
        .annotate(
            verification_clock=clock(ClockKind.VERIFICATION),
            first_follow_up_clock=clock(ClockKind.FIRST_FOLLOW_UP),
            resolution_clock=clock(ClockKind.RESOLUTION),
        )
        .order_by("pk")
        .values(*(src for src, _desc in COLUMNS.values()))
    )


def _row(values: dict) -> dict:
    row = {}
    for name, (src, _desc) in COLUMNS.items():
        value = values[src]
        if src.endswith("_at") and value is not None:
            value = timezone.localtime(value).date().isoformat()
        elif src == "event_date" and value is not None:
            value = value.isoformat()
        row[name] = value
    return row


def export(today=None) -> Path:
    """Write today's CSV and JSON files; keep the last OPEN_DATA_KEEP days. Returns the CSV path."""
    today = today or timezone.localdate()
    folder = root()
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / f"lapor-{today.isoformat()}"
    csv_tmp, json_tmp = base.with_suffix(".csv.tmp"), base.with_suffix(".json.tmp")
    with csv_tmp.open("w", newline="", encoding="utf-8") as csv_file, json_tmp.open("w", encoding="utf-8") as js:
        writer = csv.DictWriter(csv_file, fieldnames=list(COLUMNS))
        writer.writeheader()
        js.write("[")
        first = True
        for values in rows_queryset().iterator(chunk_size=CHUNK):
            row = _row(values)
            writer.writerow(row)
            js.write(("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False))
            first = False
        js.write("\n]\n")
    os.replace(csv_tmp, base.with_suffix(".csv"))
    os.replace(json_tmp, base.with_suffix(".json"))
    for old in published_files()[settings.OPEN_DATA_KEEP * 2 :]:
        old.unlink(missing_ok=True)
    return base.with_suffix(".csv")


def published_files() -> list[Path]:
    """The complete export files, newest first."""
    folder = root()
    if not folder.is_dir():
        return []
    return sorted((p for p in folder.iterdir() if FILE_RE.match(p.name)), key=lambda p: p.name, reverse=True)


def published_file(name: str) -> Path | None:
    if not FILE_RE.match(name or ""):
        return None
    path = root() / name
    return path if path.is_file() else None
