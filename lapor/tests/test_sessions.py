"""lapor/sessions.py: sessions kept in the database and read from the shared cache (issue #15)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache

from lapor import sessions
from lapor.sessions import SessionStore

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _shared_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sess"}}
    settings.SESSION_ENGINE = "lapor.sessions"
    cache.clear()


def test_a_signed_in_request_reads_its_session_without_a_query(db, client, citizen, django_assert_num_queries):
    client.force_login(citizen)
    key = client.cookies["sessionid"].value
    with django_assert_num_queries(0):
        assert SessionStore(key).load()["_auth_user_id"] == str(citizen.pk)
    cache.clear()  # the cached copy gone (evicted, expired): read from the database, cached again
    with django_assert_num_queries(1):
        assert SessionStore(key).load()["_auth_user_id"] == str(citizen.pk)
    with django_assert_num_queries(0):
        SessionStore(key).load()


def test_an_ended_session_does_not_open_again(db, client, citizen):
    client.force_login(citizen)
    key = client.cookies["sessionid"].value
    assert client.get("/laporan/saya/").status_code == 200
    client.post("/akun/keluar/")
    assert SessionStore(key).load() == {}
    client.cookies["sessionid"] = key  # the old cookie, replayed
    assert client.get("/laporan/saya/").status_code == 302


def test_the_cached_copy_lives_a_few_minutes_at_most(db, monkeypatch):
    seen = []
    real_set = LocMemCache.set

    def spy(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        seen.append(timeout)
        return real_set(self, key, value, timeout, version)

    monkeypatch.setattr(LocMemCache, "set", spy)
    store = SessionStore()
    store["x"] = 1
    store.create()  # two weeks in the database
    cache.delete(sessions.KEY_PREFIX + store.session_key)
    assert SessionStore(store.session_key).load() == {"x": 1}
    assert len(seen) == 2 and all(0 < t <= sessions.CACHED_SECONDS for t in seen)


def test_production_mode_reads_sessions_from_the_shared_cache():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
    env.update(
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/lapor",
        REDIS_URL="redis://127.0.0.1:6379/0",
        DJANGO_SECRET_KEY="s3cret",
        DJANGO_ALLOWED_HOSTS="lapor.go.id",
        DJANGO_SETTINGS_MODULE="lapor.settings",
    )
    probe = "import django; django.setup(); from django.conf import settings as s; print(s.SESSION_ENGINE)"
    for extra, engine in (
        ({}, "lapor.sessions"),
        ({"DATABASE_URL": "", "REDIS_URL": ""}, "django.contrib.sessions.backends.db"),
    ):
        result = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env={**env, **extra}, capture_output=True, text=True
        )
        assert result.stdout.strip() == engine, result.stderr
