"""The dashboard figures as rows (section, item, measure, value) for CSV and XLSX."""

import csv
import io

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .labels import COUNTER_LABELS, INDICATOR_LABELS
from .models import COUNTERS

BREAKDOWNS = [
    ("by_classification", gettext_lazy("Klasifikasi")),
    ("by_category", gettext_lazy("Kategori")),
    ("by_channel", gettext_lazy("Kanal")),
    ("by_province", gettext_lazy("Provinsi")),
    ("by_child", gettext_lazy("Instansi")),
]
ROW_MEASURES = ["received", "completed", "res_on_time", "ffu_on_time", "rating_mean", "score"]


def _label(name):
    return str(COUNTER_LABELS.get(name) or INDICATOR_LABELS.get(name) or name)


def export_rows(figures: dict) -> list[tuple]:
    period = f"{figures['first'].isoformat()}..{figures['last'].isoformat()}"
    rows = [(_("Periode"), period, "", "")]
    totals = figures["totals"]
    rows += [(_("Total"), "", _label(name), totals[name]) for name in COUNTERS]
    rows += [(_("Indikator"), "", _label(name), totals[name]) for name in INDICATOR_LABELS]
    for d in figures["durations"]:
        rows += [
            (_("Durasi (hari kerja)"), d["label"], _("Jumlah"), d["count"]),
            (_("Durasi (hari kerja)"), d["label"], _("Median"), d["median"]),
            (_("Durasi (hari kerja)"), d["label"], _("Persentil 90"), d["p90"]),
        ]
    rows += [(_("Status"), r["label"], _("Jumlah"), r["count"]) for r in figures["funnel"]]
    rows += [(_("Tunggakan menurut umur (hari)"), r["label"], _("Jumlah"), r["count"]) for r in figures["backlog"]]
    for key, section in BREAKDOWNS:
        for r in figures[key]:
            rows += [(str(section), r["label"], _label(m), r[m]) for m in ROW_MEASURES]
    rows += [
        (_("Tren"), r["bucket"].isoformat(), _label(k), r[k])
        for r in figures["trend"]["rows"]
        for k in ("received", "followed_up", "completed")
    ]
    return rows


def header():
    return [_("bagian"), _("butir"), _("ukuran"), _("nilai")]


def csv_response(figures: dict, filename: str) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    response.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
    writer = csv.writer(response)
    writer.writerow(header())
    writer.writerows(["" if v is None else v for v in row] for row in export_rows(figures))
    return response


def xlsx_response(figures: dict, filename: str) -> HttpResponse:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Statistik")
    sheet.append(header())
    for row in export_rows(figures):
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    response = HttpResponse(
        buffer.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}.xlsx"'
    return response
