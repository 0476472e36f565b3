"""The embedded mode's secret key belongs to the installation: made on first run next to the
database, kept across runs, different everywhere, never in the code; production still demands one."""

import os
import stat
import subprocess
import sys
from pathlib import Path

from lapor import settings as lapor_settings

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import django; django.setup(); from django.conf import settings as s; print(s.SECRET_KEY)"


def _key(**env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_", "SQLITE_"))}
    base.update(env, DJANGO_SETTINGS_MODULE="lapor.settings")
    return subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=base, capture_output=True, text=True)


def test_first_run_writes_a_private_key_next_to_the_database_and_keeps_it(tmp_path):
    db = tmp_path / "data" / "db.sqlite3"
    db.parent.mkdir()
    first = _key(SQLITE_PATH=str(db))
    assert first.returncode == 0, first.stderr
    key_file = db.parent / ".lapor-secret-key"
    key = key_file.read_text().strip()
    assert first.stdout.strip() == key and len(key) >= 50
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert _key(SQLITE_PATH=str(db)).stdout.strip() == key  # the next start uses the same key


def test_each_installation_has_its_own_key(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = _key(SQLITE_PATH=str(tmp_path / "a" / "db.sqlite3")).stdout.strip()
    b = _key(SQLITE_PATH=str(tmp_path / "b" / "db.sqlite3")).stdout.strip()
    assert a and b and a != b


def test_an_explicit_key_wins_and_writes_nothing(tmp_path):
    result = _key(SQLITE_PATH=str(tmp_path / "db.sqlite3"), DJANGO_SECRET_KEY="from-the-environment")
    assert result.stdout.strip() == "from-the-environment"
    assert not (tmp_path / ".lapor-secret-key").exists()


def test_a_damaged_key_file_stops_start_up_with_its_name(tmp_path):
    (tmp_path / ".lapor-secret-key").write_text("short")
    result = _key(SQLITE_PATH=str(tmp_path / "db.sqlite3"))
    assert result.returncode != 0 and ".lapor-secret-key" in result.stderr


def test_no_fixed_key_is_published_in_the_code():
    source = Path(lapor_settings.__file__).read_text()
    assert "insecure" not in source
    assert 'env.str("DJANGO_SECRET_KEY", default="")' in source  # no fallback but the installation's file


def test_the_key_file_is_never_committed():
    assert ".lapor-secret-key" in (ROOT / ".gitignore").read_text().splitlines()


def test_production_mode_still_requires_a_key(tmp_path):
    prod = {
        "DATABASE_URL": "postgres://u:p@127.0.0.1:5432/lapor",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "DJANGO_ALLOWED_HOSTS": "lapor.go.id",
        "SQLITE_PATH": str(tmp_path / "db.sqlite3"),
    }
    result = _key(**prod)
    assert result.returncode != 0 and "DJANGO_SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / ".lapor-secret-key").exists()
