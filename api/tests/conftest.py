"""Fixtures of the api tests: keys of Badung and Sleman, and a client that speaks JSON with a key."""

import json

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

from api.models import ApiKey
from lapor.celery import app as celery_app

VALID = {
    "external_id": "SIMPEL-001",
    "classification": "complaint",
    "title": "Lampu jalan mati",
    "body": "Lampu jalan di Jalan Raya Kuta mati sejak seminggu.",
    "event_date": "2026-01-05",
    "regency_code": "51.03",
    "category_code": "kesehatan-puskesmas",
}


@pytest.fixture(autouse=True)
def _eager_celery():
    """Run tasks in-process even when REDIS_URL is set (tests never reach a real broker)."""
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = before


@pytest.fixture(autouse=True)
def _fresh_cache(db, settings, tmp_path):
    settings.OPEN_DATA_ROOT = str(tmp_path / "open-data")
    settings.API_WEBHOOK_ALLOW_PRIVATE = True  # the receivers of the tests listen on 127.0.0.1
    _clear_local_cache()
    yield
    _clear_local_cache()


def _clear_local_cache():
    # Rate-limit counters are keyed by the key's random prefix, so tests cannot collide; the
    # in-process cache is cleared for tidiness only. Never on Redis: FLUSHDB would wipe the broker.
    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()


@pytest.fixture
def badung_key(tree):
    return ApiKey.issue(agency=tree["badung"], name="SIMPEL Badung")


@pytest.fixture
def sleman_key(tree):
    return ApiKey.issue(agency=tree["sleman"], name="Lapor Sleman")


class ApiClient:
    def __init__(self, client, raw_key):
        self.client, self.raw_key = client, raw_key

    def _headers(self):
        return {"Authorization": f"Bearer {self.raw_key}"} if self.raw_key else {}

    def post(self, path, data=None, *, raw=None, content_type="application/json"):
        body = raw if raw is not None else json.dumps(data)
        return self.client.post(path, body, content_type=content_type, headers=self._headers())

    def get(self, path, **params):
        return self.client.get(path, params, headers=self._headers())


@pytest.fixture
def badung_api(client, badung_key):
    return ApiClient(client, badung_key[1])


@pytest.fixture
def sleman_api(client, sleman_key):
    return ApiClient(client, sleman_key[1])


def report_payload(**overrides):
    return {**VALID, **overrides}


@pytest.fixture
def dinkes_key_api(client, tree):
    return ApiClient(client, ApiKey.issue(agency=tree["dinkes"], name="Aplikasi Dinkes")[1])
