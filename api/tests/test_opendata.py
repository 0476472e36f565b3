import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from api import opendata, tasks
from complaints import workflow
from complaints.models import Report

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
    # The rows, and the reports that left the public since the oldest file (expunge).
    with django_assert_max_num_queries(2):
        opendata.export()
    for _ in range(9):
        workflow.verify(make_report(), by=national_admin)
    with django_assert_max_num_queries(2):
        opendata.export()


def test_management_command_writes_the_files(reports, capsys):
    from django.core.management import call_command

    call_command("export_open_data")
    assert len(opendata.published_files()) == 2
    assert ".csv" in capsys.readouterr().out


def _numbers(path):
    if path.suffix == ".csv":
        with path.open(encoding="utf-8") as f:
            return {r["tracking_no"] for r in csv.DictReader(f)}
    return {r["tracking_no"] for r in json.loads(path.read_text(encoding="utf-8"))}


def test_a_removed_report_is_expunged_from_every_published_file(
    reports, national_admin, django_capture_on_commit_callbacks
):

    for day in (1, 2, 3):
        opendata.export(today=dt.date(2026, 1, day))
    gone = reports["offline"]
    assert all(gone.tracking_no in _numbers(p) for p in opendata.published_files())
    # Removed after publication (an abusive report): gone from all six files at once.
    Report.objects.filter(pk=gone.pk).update(status="submitted", verified_at=None)
    gone.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.remove(gone, by=national_admin, reason="abusive")
    files = opendata.published_files()
    assert len(files) == 6
    for path in files:
        numbers = _numbers(path)
        assert gone.tracking_no not in numbers and reports["public"].tracking_no in numbers


def test_the_daily_export_expunges_what_left_the_public_without_a_listener(reports):

    opendata.export(today=dt.date(2026, 1, 1))
    Report.objects.filter(pk=reports["anonymous"].pk).update(is_confidential=True)  # e.g. a broker outage
    opendata.export(today=dt.date(2026, 1, 2))
    for path in opendata.published_files():
        assert reports["anonymous"].tracking_no not in _numbers(path)


def test_datapackage_describes_types_allowed_values_and_licence(client, reports):
    opendata.export()
    package = client.get("/api/v1/open-data/datapackage.json").json()
    assert package["profile"] == "tabular-data-package"
    assert package["licenses"][0]["path"] == "https://creativecommons.org/licenses/by/4.0/"
    assert {r["format"] for r in package["resources"]} == {"csv", "json"}
    resource = next(r for r in package["resources"] if r["format"] == "csv")
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert list(fields) == list(opendata.COLUMNS)
    assert fields["auto_completed"]["type"] == "boolean" and fields["auto_completed"]["trueValues"] == ["true"]
    assert fields["created_date"]["type"] == "date" and fields["rating"]["type"] == "integer"
    assert "completed" in fields["status"]["constraints"]["enum"]
    # Every cell of the CSV conforms to its field.
    download = client.get(resource["path"].replace("http://testserver", ""))
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(download.streaming_content).decode("utf-8"))))
    assert rows
    for row in rows:
        for name, value in row.items():
            field = fields[name]
            if value == "":
                assert not field.get("constraints", {}).get("required"), name
                continue
            if field["type"] == "boolean":
                assert value in ("true", "false")
            elif field["type"] == "integer":
                assert int(value) >= field["constraints"]["minimum"]
            elif field["type"] == "date":
                dt.date.fromisoformat(value)
            if "enum" in field.get("constraints", {}):
                assert value in field["constraints"]["enum"], (name, value)


def test_only_a_removal_or_a_verification_looks_for_published_files(make_report, national_admin, monkeypatch):
    # The listener hears every event; the others (a submission, issue #15) read no folder.
    looked = []
    monkeypatch.setattr(opendata, "published_files", lambda: looked.append(1) or [])
    report = make_report()
    assert looked == []  # its submit event: not public, but not leaving the public either
    workflow.verify(report, by=national_admin, is_confidential=True)
    assert looked == [1]
