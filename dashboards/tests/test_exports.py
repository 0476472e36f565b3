"""Exports carry the page's numbers, scoped exactly like the page."""

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dashboards.exports import export_rows

from .conftest import at

PERIOD = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def histories(life, rebuild, tree):
    life(at(dt.date(2026, 3, 2)), "accepted", rating=5)
    life(at(dt.date(2026, 3, 3)), "reopened", is_confidential=True)
    life(at(dt.date(2026, 3, 4)), "submitted", suggested_agency=tree["sleman"])
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def _value(v):
    """Numbers compared as numbers (a spreadsheet reads 100.0 back as 100)."""
    if v is None:
        return ""
    try:
        return float(v)
    except (TypeError, ValueError):
        return str(v)


def _normal(rows):
    return [tuple(_value(v) for v in row) for row in rows]


def test_csv_export_has_the_numbers_of_the_page(client, head, histories):
    client.force_login(head)
    page = client.get(reverse("dashboards:dashboard"), PERIOD)
    response = client.get(reverse("dashboards:export_csv"), PERIOD)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["bagian", "butir", "ukuran", "nilai"]
    assert _normal(rows[1:]) == _normal(export_rows(page.context["figures"]))
    received = next(r for r in rows if r[0] == "Total" and r[2] == "Laporan diterima")
    assert received[3] == "2"  # Badung's two reports (one confidential), not Sleman's
    html = page.content.decode()
    assert 'data-figure="received"><a href=' in html and ">2</a>" in html


def test_xlsx_export_has_the_same_rows_as_the_csv(client, head, histories):
    client.force_login(head)
    xlsx = client.get(reverse("dashboards:export_xlsx"), PERIOD)
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    from_xlsx = [tuple(c for c in row) for row in sheet.iter_rows(values_only=True)]
    from_csv = list(
        csv.reader(io.StringIO(client.get(reverse("dashboards:export_csv"), PERIOD).content.decode("utf-8-sig")))
    )
    assert _normal(from_xlsx) == _normal(from_csv)


def test_export_is_scoped_like_the_page(client, sibling_admin, histories, tree):
    client.force_login(sibling_admin)
    rows = list(
        csv.reader(io.StringIO(client.get(reverse("dashboards:export_csv"), PERIOD).content.decode("utf-8-sig")))
    )
    received = next(r for r in rows if r[0] == "Total" and r[2] == "Laporan diterima")
    assert received[3] == "1"
    assert client.get(reverse("dashboards:export_csv"), {**PERIOD, "agency": tree["badung"].pk}).status_code == 404
