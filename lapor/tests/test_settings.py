"""Start-up configuration: embedded defaults, and production mode that refuses a bad setup."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG, "
    "s.LANGUAGE_CODE, s.TIME_ZONE, s.USE_TZ)"
)


def _start(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
    base.update(env, DJANGO_SETTINGS_MODULE="lapor.settings")
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True)


def test_embedded_default_is_sqlite_eager_celery_no_debug_indonesian():
    result = _start()
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True", "False", "id", "Asia/Jakarta", "True"]


def test_debug_only_when_asked():
    assert _start(DJANGO_DEBUG="1").stdout.split()[2] == "True"


PROD = {
    "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/lapor",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_SECRET_KEY": "s3cret",
    "DJANGO_ALLOWED_HOSTS": "lapor.go.id",
}


def test_production_mode_uses_postgres_and_redis():
    result = _start(**PROD)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["django.db.backends.postgresql", "False"]


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS", "REDIS_URL"])
def test_production_mode_names_a_missing_setting(missing):
    env = {k: v for k, v in PROD.items() if k != missing}
    result = _start(**env)
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr


@pytest.mark.parametrize(
    "name, value",
    [
        ("DATABASE_URL", "mysql://u:p@localhost/db"),
        ("DATABASE_URL", "nonsense"),
        ("REDIS_URL", "http://localhost:6379"),
    ],
)
def test_production_mode_names_a_wrong_setting(name, value):
    result = _start(**{**PROD, name: value})
    assert result.returncode != 0
    assert name in result.stderr


def test_replica_url_adds_a_routed_replica():
    probe = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(sorted(s.DATABASES), s.DATABASE_ROUTERS)"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
    env = {
        **base,
        **PROD,
        "DATABASE_REPLICA_URL": "postgres://u:p@10.0.0.2:5432/lapor",
        "DJANGO_SETTINGS_MODULE": "lapor.settings",
    }
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['default', 'replica'] ['lapor.db_router.ReplicaRouter']"
