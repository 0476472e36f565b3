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
import datetime as dt
import json
import logging
import os
import re
from pathlib import Path

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.models import (
    Action,
    Channel,
    Classification,
    Clock,
    ClockKind,
    CloseReason,
    ComplaintKind,
    Report,
    Status,
)
from lapor.queue import after_commit

LICENSE = "CC BY 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"
DESCRIPTION = _(
    "Data terbuka LAPOR: laporan publik (bukan rahasia) tanpa identitas pelapor dan tanpa teks bebas, "
    "diperbarui setiap hari."
)
log = logging.getLogger(__name__)
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
        if name in BOOLEAN_COLUMNS:
            value = bool(value)
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
            writer.writerow(csv_row(row))
            js.write(("\n" if first else ",\n") + json.dumps(row, ensure_ascii=False))
            first = False
        js.write("\n]\n")
    os.replace(csv_tmp, base.with_suffix(".csv"))
    os.replace(json_tmp, base.with_suffix(".json"))
    for old in published_files()[settings.OPEN_DATA_KEEP * 2 :]:
        old.unlink(missing_ok=True)
    expunge(withdrawn_since(_oldest_file_date()))
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


# --- The published files' machine-readable description (Frictionless Data Package) ---

BOOLEAN_COLUMNS = {"auto_completed"}
INTEGER_COLUMNS = {"rating": (1, 5), "reopen_count": (0, None), "bounce_count": (0, None)}
CLOCK_STATES = ["met", "missed", "running", "paused", "cancelled"]
ENUMS = {
    "classification": list(Classification.values),
    "complaint_kind": list(ComplaintKind.values),
    "channel": list(Channel.values),
    "status": list(Status.values),
    "close_reason": list(CloseReason.values),
    "verification_clock": CLOCK_STATES,
    "first_follow_up_clock": CLOCK_STATES,
    "resolution_clock": CLOCK_STATES,
}
REQUIRED = {"tracking_no", "classification", "category_code", "province_code", "regency_code", "status"}


def csv_row(row: dict) -> dict:
    """CSV spells booleans true/false (as the data package says), not Python's True/False."""
    return {k: ("true" if v else "false") if k in BOOLEAN_COLUMNS else v for k, v in row.items()}


def _field(name: str, description) -> dict:
    field = {"name": name, "description": str(description)}
    constraints = {}
    if name in BOOLEAN_COLUMNS:
        field.update(type="boolean", trueValues=["true"], falseValues=["false"])
    elif name in INTEGER_COLUMNS:
        field["type"] = "integer"
        low, high = INTEGER_COLUMNS[name]
        constraints["minimum"] = low
        if high is not None:
            constraints["maximum"] = high
    elif COLUMNS[name][0].endswith("_at") or name == "event_date":
        field.update(type="date", format="default")
    else:
        field["type"] = "string"
    if name in ENUMS:
        # complaint_kind and close_reason may be empty: an empty cell is a missing value.
        constraints["enum"] = ENUMS[name]
    if name in REQUIRED:
        constraints["required"] = True
    if name == "tracking_no":
        constraints["unique"] = True
    if constraints:
        field["constraints"] = constraints
    return field


def table_schema() -> dict:
    return {
        "fields": [_field(name, desc) for name, (_src, desc) in COLUMNS.items()],
        "primaryKey": ["tracking_no"],
        "missingValues": [""],
    }


def datapackage(url_for) -> dict:
    """The Frictionless Data Package descriptor of the published files; url_for(name) is a file's
    download address."""
    schema = table_schema()
    resources = []
    for path in published_files():
        csv_file = path.suffix == ".csv"
        resources.append(
            {
                "name": path.stem.lower() + ("-csv" if csv_file else "-json"),
                "path": url_for(path.name),
                "profile": "tabular-data-resource",
                "format": "csv" if csv_file else "json",
                "mediatype": "text/csv" if csv_file else "application/json",
                "encoding": "utf-8",
                "bytes": path.stat().st_size,
                "schema": schema,
                **({"dialect": {"delimiter": ",", "header": True}} if csv_file else {}),
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "lapor-open-data",
        "title": "LAPOR! open data",
        "description": str(DESCRIPTION),
        "licenses": [{"name": "CC-BY-4.0", "title": "Creative Commons Attribution 4.0", "path": LICENSE_URL}],
        "resources": resources,
    }


# --- Expunging reports that left the public from every published file ---


def _oldest_file_date():
    files = published_files()
    if not files:
        return None
    return dt.date.fromisoformat(files[-1].name[len("lapor-") : len("lapor-") + 10])


def withdrawn_since(day) -> set[str]:
    """Tracking numbers of reports changed since `day` that the public may no longer see (removed,
    made confidential): the only ones a published file can hold that it must not."""
    if day is None:
        return set()
    since = timezone.make_aware(dt.datetime.combine(day - dt.timedelta(days=1), dt.time()))
    changed = Report.objects.real().filter(updated_at__gte=since)  # practice was never published
    return set(changed.exclude(pk__in=Report.objects.public().values("pk")).values_list("tracking_no", flat=True))


def expunge(tracking_nos) -> int:
    """Rewrite every published file without these reports' rows (each file replaced whole, as the
    export writes it). Returns the number of rows dropped."""
    drop = set(tracking_nos)
    if not drop:
        return 0
    dropped = 0
    for path in published_files():
        tmp = path.with_name(path.name + ".tmp")
        removed = 0
        if path.suffix == ".csv":
            with path.open(newline="", encoding="utf-8") as src, tmp.open("w", newline="", encoding="utf-8") as out:
                reader = csv.DictReader(src)
                writer = csv.DictWriter(out, fieldnames=reader.fieldnames)
                writer.writeheader()
                for row in reader:
                    if row["tracking_no"] in drop:
                        removed += 1
                    else:
                        writer.writerow(row)
        else:
            with path.open(encoding="utf-8") as src, tmp.open("w", encoding="utf-8") as out:
                out.write("[")
                first = True
                for line in src:
                    line = line.strip().rstrip(",")
                    if not line.startswith("{"):
                        continue
                    if json.loads(line)["tracking_no"] in drop:
                        removed += 1
                        continue
                    out.write(("\n" if first else ",\n") + line)
                    first = False
                out.write("\n]\n")
        if removed:
            os.replace(tmp, path)
            dropped += removed
        else:
            tmp.unlink()
    return dropped


def on_event(event) -> None:
    """complaints.notifications listener: a report that leaves the public (removed, or made
    confidential at verification) is expunged from the published files after the commit."""
    if event.action not in (Action.REMOVE, Action.VERIFY):  # first: every other event (a submission) reads no folder
        return
    report = event.report
    if report.is_public or not published_files():
        return
    # Broker down: the next daily export expunges it (withdrawn_since).
    after_commit("api.tasks.expunge_open_data", [report.tracking_no])
