"""Item 10 of #14: twenty parallel pushes of one external id file one report and all get an
answer (no "database is locked"), on SQLite (embedded mode: a database file, IMMEDIATE write
transactions) and on PostgreSQL. Also: parallel retries of one action with one Idempotency-Key
act once."""

import json
import sqlite3
import threading

import pytest
from django.db import connection, connections
from django.test import Client

from api.models import ApiKey
from api.tests.conftest import report_payload
from complaints import workflow
from complaints.models import Event, Report
from complaints.tests.test_tasks import needs_postgres, reload_reference

__all__ = ["reload_reference"]  # a fixture

PARALLEL = 20


def _in_parallel(request_once, n=PARALLEL):
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        try:
            barrier.wait(timeout=30)
            results[i] = request_once()
        except Exception as exc:  # recorded, so the assertion shows it
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def _push(raw_key):
    def once():
        response = Client().post(
            "/api/v1/reports",
            json.dumps(report_payload(external_id="PAR-1")),
            content_type="application/json",
            headers={"Authorization": f"Bearer {raw_key}"},
        )
        return response.status_code, response.json().get("tracking_no")

    return once


@pytest.fixture
def to_sqlite_file(tmp_path):
    """Copy the test database into a file and point new connections at it, as embedded mode runs
    it (an in-memory shared-cache database locks tables, not the file, and never waits)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only (the PostgreSQL variant is below)")
    settings_dict = connection.settings_dict
    before = settings_dict["NAME"]

    def switch():
        path = tmp_path / "embedded.sqlite3"
        connection.ensure_connection()
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        settings_dict["NAME"] = str(path)
        return path

    yield switch
    settings_dict["NAME"] = before


def test_parallel_pushes_of_one_external_id_on_a_sqlite_file_all_answer(
    reload_reference, transactional_db, to_sqlite_file, tree, settings
):
    assert settings.DATABASES["default"]["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    settings.API_RATE_LIMIT = 1000
    _key, raw = ApiKey.issue(agency=tree["badung"], name="Paralel")
    path = to_sqlite_file()
    results = _in_parallel(_push(raw))
    assert all(isinstance(r, tuple) for r in results), results
    codes = sorted(code for code, _no in results)
    assert codes == [200] * (PARALLEL - 1) + [201], codes
    assert len({no for _code, no in results}) == 1
    with sqlite3.connect(path) as db:
        assert db.execute("select count(*) from complaints_report").fetchone()[0] == 1


@pytest.mark.postgres
@needs_postgres
def test_parallel_pushes_of_one_external_id_on_postgresql_all_answer(
    reload_reference, transactional_db, tree, settings
):
    settings.API_RATE_LIMIT = 1000
    _key, raw = ApiKey.issue(agency=tree["badung"], name="Paralel")
    results = _in_parallel(_push(raw))
    codes = sorted(code for code, _no in results)
    assert codes == [200] * (PARALLEL - 1) + [201], results
    assert Report.objects.count() == 1


@pytest.mark.postgres
@needs_postgres
def test_parallel_retries_with_one_idempotency_key_act_once_on_postgresql(
    reload_reference, transactional_db, tree, settings, national_admin
):
    settings.API_RATE_LIMIT = 1000
    _key, raw = ApiKey.issue(agency=tree["badung"], name="Paralel")
    tracking_no = _push(raw)()[1]
    report = Report.objects.get(tracking_no=tracking_no)
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])

    def once():
        return (
            Client()
            .post(
                f"/api/v1/reports/{tracking_no}/follow-ups",
                json.dumps({"note": "Petugas meninjau."}),
                content_type="application/json",
                headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "retry-1"},
            )
            .status_code
        )

    results = _in_parallel(once, n=8)
    assert results == [201] * 8
    assert Event.objects.filter(report=report, action="follow_up").count() == 1
