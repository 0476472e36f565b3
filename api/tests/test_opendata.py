import csv
import json
from pathlib import Path

import pytest

from api import opendata, tasks
from complaints import workflow

IDENTITY = ["Made Warga", "warga@example.test", "081234567890", "5103012345678901", "Ketut Offline"]


@pytest.fixture
def reports(make_report, national_admin, agency_admin, citizen, tree):
    public = make_report(title="Judul publik yang tidak boleh diekspor", body="Isi laporan publik")
    anonymous = make_report(is_anonymous=True, title="Judul anonim", body="Isi anonim menyebut nama saya")
    confidential = make_report(is_confidential=True, title="Rahasia")
    offline = make_report(by=agency_admin, reporter_name="Ketut Offline", reporter_contact="0812", channel="walk_in")
    unverified = make_report()
    for r in (public, anonymous, confidential, offline):
        workflow.verify(r, by=national_admin)
    workflow.dispatch(public, by=national_admin, to_agency=tree["badung"])
    workflow.respond(public, by=agency_admin, note="Sudah diperbaiki")
    workflow.accept(public, by=citizen, rating=5, comment="Terima kasih Made Warga")
    return {
        "public": public,
        "anonymous": anonymous,
        "confidential": confidential,
        "offline": offline,
        "new": unverified,
    }


def test_export_writes_csv_and_json_of_public_reports_without_identity_or_free_text(reports):
    path = opendata.export()
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    data = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    assert [r["tracking_no"] for r in rows] == [r["tracking_no"] for r in data]
    assert {r["tracking_no"] for r in rows} == {reports[k].tracking_no for k in ("public", "anonymous", "offline")}
    assert set(rows[0]) == set(opendata.COLUMNS)
    text = path.read_text() + path.with_suffix(".json").read_text()
    for forbidden in [*IDENTITY, "Judul", "Isi laporan", "Isi anonim", "Rahasia", "Sudah diperbaiki", "Terima kasih"]:
        assert forbidden not in text
    public = next(r for r in data if r["tracking_no"] == reports["public"].tracking_no)
    assert public["status"] == "completed" and public["rating"] == 5
    assert public["verification_clock"] == "met" and public["resolution_clock"] == "met"
    assert public["agency_code"] == "pemkab-badung" and public["regency_code"] == "51.03"
    assert len(public["created_date"]) == 10  # day precision


def test_export_task_and_public_download(client, reports):
    tasks.export_open_data.delay()
    index = client.get("/api/v1/open-data/", headers={"Accept": "application/json"}).json()
    page = client.get("/api/v1/open-data/", headers={"Accept": "text/html"})
    assert "Kamus data" in page.content.decode() and "verification_clock" in page.content.decode()
    assert {c["column"] for c in index["dictionary"]} == set(opendata.COLUMNS)
    names = [f["name"] for f in index["files"]]
    assert len(names) == 2 and {Path(n).suffix for n in names} == {".csv", ".json"}
    csv_name = next(n for n in names if n.endswith(".csv"))
    response = client.get(f"/api/v1/open-data/{csv_name}")
    assert response.status_code == 200
    assert b"tracking_no" in b"".join(response.streaming_content)
    # Streaming it to the end closed it; closing again would close the test's database connection.
    assert client.get("/api/v1/open-data/..%2Fsettings.py").status_code == 404
    assert client.get("/api/v1/open-data/lapor-2020-01-01.csv").status_code == 404


def test_old_files_are_pruned(reports, settings):
    import datetime as dt

    settings.OPEN_DATA_KEEP = 2
    for day in range(1, 5):
        opendata.export(today=dt.date(2026, 1, day))
    assert [p.name for p in opendata.published_files()] == [
        "lapor-2026-01-04.json",
        "lapor-2026-01-04.csv",
        "lapor-2026-01-03.json",
        "lapor-2026-01-03.csv",
    ]


def test_export_streams_with_a_constant_number_of_queries(
    reports, django_assert_max_num_queries, make_report, national_admin
):
    with django_assert_max_num_queries(1):
        opendata.export()
    for _ in range(9):
        workflow.verify(make_report(), by=national_admin)
    with django_assert_max_num_queries(1):
        opendata.export()


def test_management_command_writes_the_files(reports, capsys):
    from django.core.management import call_command

    call_command("export_open_data")
    assert len(opendata.published_files()) == 2
    assert ".csv" in capsys.readouterr().out
