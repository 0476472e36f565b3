"""Friendly 500 and 503 pages in both languages, rendered with the database down; Retry-After on 503;
the citizen's typed report comes back with "try again"."""

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from complaints import views
from complaints.models import Category


@pytest.fixture
def visitor():
    return Client(raise_request_exception=False)


@pytest.fixture
def database_down(monkeypatch):
    """Every query fails as when PostgreSQL restarts (and nothing may quietly reach the database)."""

    def refuse(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(BaseDatabaseWrapper, "ensure_connection", refuse)
    monkeypatch.setattr(BaseDatabaseWrapper, "cursor", refuse)
    monkeypatch.setattr(BaseDatabaseWrapper, "_cursor", refuse)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, heading", [("/", "Layanan sedang terganggu sebentar"), ("/en/", "The service is briefly unavailable")]
)
def test_database_down_answers_a_friendly_503_with_retry_after_in_both_languages(visitor, database_down, url, heading):
    response = visitor.get(url)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert heading in html
    assert "Server Error" not in html
    assert f'href="{url}"' in html  # try again
    assert "<script" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("lang, text", [("", "Maaf, terjadi kesalahan di server kami"), ("/en", "Sorry, something")])
def test_any_other_failure_answers_a_friendly_500_in_both_languages(visitor, database_down, monkeypatch, lang, text):
    def broken(query):
        raise ValueError("a bug")

    monkeypatch.setattr(views, "search_agencies", broken)
    response = visitor.get(f"{lang}/laporan/instansi/", {"q": "dinas"})
    assert response.status_code == 500
    assert text in response.content.decode()
    assert not response.has_header("Retry-After")


@pytest.mark.django_db
def test_try_again_brings_the_citizens_typed_report_back(visitor, citizen, monkeypatch, settings):
    category = Category.objects.get(code="kesehatan-puskesmas")
    visitor.force_login(citizen)
    typed = {
        "classification": "complaint",
        "title": "Antrean puskesmas sangat lama",
        "body": "Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan sama sekali.",
        "event_date": "2026-01-05",
        "province": "51",
        "regency": "51.03",
        "category": str(category.pk),
        "submission_key": "restart-1",
    }

    def restarting(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    with monkeypatch.context() as m:
        m.setattr("complaints.forms.ReportForm.submit", restarting)
        response = visitor.post("/laporan/baru/", typed)
    assert response.status_code == 503 and response["Retry-After"]
    html = response.content.decode()
    assert 'name="restore_draft"' in html
    assert 'value="Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan sama sekali."' in html
    assert 'value="restart-1"' in html  # the same one-time key: a report that did get stored is not doubled
    # The database is back; the citizen presses "try again": the form, filled in, nothing submitted yet.
    again = visitor.post("/laporan/baru/", {**typed, "restore_draft": "1"})
    assert again.status_code == 200
    page = again.content.decode()
    assert "Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan sama sekali." in page
    assert "sudah dipulihkan" in page


@pytest.mark.django_db
def test_the_api_keeps_its_own_format_and_the_retry_after(visitor, tree, request):
    from api.models import ApiKey

    _, raw = ApiKey.issue(agency=tree["badung"], name="SIMPEL Badung")
    request.getfixturevalue("database_down")
    response = visitor.get("/api/v1/reports", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/problem+json")
    assert int(response["Retry-After"]) > 0
