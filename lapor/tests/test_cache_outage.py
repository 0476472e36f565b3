"""A cache outage is a cache miss: every page, submission, staff action and API call works with
Redis unreachable, choices come from the database and the rate limits fail open with a warning."""

import datetime as dt
import json
import logging

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse

from api.models import ApiKey
from complaints import workflow
from complaints.models import Category, Report
from lapor import ratelimit
from lapor.celery import app as celery_app

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _down(settings, backend="lapor.cache.FailSafeRedisCache", down_seconds=0):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": CLOSED, "OPTIONS": {"DOWN_SECONDS": down_seconds}}}


@pytest.fixture
def cache_down(settings):
    _down(settings)


@pytest.fixture(autouse=True)
def _eager_celery():
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


def test_production_settings_use_the_fail_safe_backend():
    if django_settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"):
        assert not django_settings.REDIS_URL
    else:
        assert django_settings.CACHES["default"]["BACKEND"] == "lapor.cache.FailSafeRedisCache"


def test_every_cache_operation_answers_a_miss_and_warns_once(settings, caplog):
    _down(settings, down_seconds=60)
    with caplog.at_level(logging.WARNING, logger="lapor.cache"):
        assert cache.get("k", "fallback") == "fallback"
        assert cache.add("k", 1) is False
        assert cache.set("k", 1) is None
        with pytest.raises(ValueError):
            cache.incr("k")
        assert cache.get_or_set("k", lambda: "computed") == "computed"
        assert cache.get_many(["a", "b"]) == {}
        assert cache.set_many({"a": 1}) == ["a"]
        assert cache.has_key("k") is False
        cache.delete_many(["a"])
    warnings = [r for r in caplog.records if r.name == "lapor.cache"]
    assert len(warnings) == 1 and "miss" in warnings[0].getMessage()


@pytest.mark.django_db
def test_rate_limits_fail_open_with_a_logged_warning(cache_down, caplog):
    with caplog.at_level(logging.WARNING, logger="lapor.cache"):
        for _ in range(3):
            assert ratelimit.hit("submit-user", 1, 600) == 1
        assert ratelimit.is_limited("submit-user", 1, 1) is False
    assert any(r.name == "lapor.cache" for r in caplog.records)


@pytest.mark.django_db
def test_citizen_pages_submission_staff_and_api_work_with_the_cache_down(
    cache_down, client, citizen, national_admin, tree
):
    category = Category.objects.get(code="kesehatan-puskesmas")
    for url in ("/", "/laporan/", "/laporan/baru/", "/statistik/", "/laporan/peta.json?bbox=94,-11,141,6"):
        assert client.get(url).status_code == 200, url
    client.force_login(citizen)
    form = client.get("/laporan/baru/").content.decode()
    assert "Kabupaten Badung" in form  # the choices, built from the database
    response = client.post(
        "/laporan/baru/",
        {
            "classification": "complaint",
            "title": "Antrean puskesmas sangat lama",
            "body": "Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan.",
            "event_date": "2026-01-05",
            "province": "51",
            "regency": "51.03",
            "category": str(category.pk),
            "submission_key": "cache-down-1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = Report.objects.get()
    assert client.get(response["Location"]).status_code == 200
    assert client.get(reverse("complaints:detail", args=[report.tracking_no])).status_code == 200

    workflow.verify(report, by=national_admin)
    client.force_login(national_admin)
    assert client.get(reverse("admin:complaints_report_changelist")).status_code == 200
    assert client.get(reverse("admin:complaints_report_change", args=[report.pk])).status_code == 200
    assert client.get("/dasbor/").status_code in (200, 302, 403)

    _, raw = ApiKey.issue(agency=tree["badung"], name="SIMPEL Badung")
    body = {
        "external_id": "SIMPEL-9",
        "classification": "complaint",
        "title": "Lampu jalan mati",
        "body": "Lampu jalan di Jalan Raya Kuta mati sejak seminggu.",
        "event_date": str(dt.date(2026, 1, 5)),
        "regency_code": "51.03",
        "category_code": "kesehatan-puskesmas",
    }
    api = client.post(
        "/api/v1/reports", json.dumps(body), content_type="application/json", headers={"Authorization": f"Bearer {raw}"}
    )
    assert api.status_code == 201, api.content[:500]


def test_one_redis_client_serves_every_call_and_survives_an_outage(settings):
    # Issue #15: Django's Redis cache built a redis.Redis object (and its response callbacks) per call.
    _down(settings)
    backend = cache._cache
    assert backend.get_client(write=True) is backend.get_client(write=False) is backend.get_client("k")
    assert cache.get("k", "fallback") == "fallback"  # down: still a miss through the reused client
