"""The systemd units of deploy/: web server, worker and beat are supervised and restarted whenever they exit."""

import configparser
from pathlib import Path

import pytest

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / name).read_text())
    return parser


@pytest.mark.parametrize("name, command", [("lapor-worker.service", " worker "), ("lapor-beat.service", " beat ")])
def test_worker_and_beat_are_restarted_whenever_they_exit(name, command):
    unit = _unit(name)
    service = unit["Service"]
    assert service["Restart"] == "always"
    assert int(service["RestartSec"]) <= 10
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"  # never gives up
    assert "celery -A lapor" + command in service["ExecStart"] + " "
    assert service["EnvironmentFile"] == "/etc/lapor/lapor.env"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_environment_example_names_every_required_setting():
    text = (DEPLOY / "lapor.env.example").read_text()
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
        assert f"\n{name}=" in text


def test_the_web_server_is_restarted_and_serves_with_the_config_that_freezes_the_heap():
    unit = _unit("lapor-web.service")
    service = unit["Service"]
    assert service["Restart"] == "always"
    assert unit["Unit"]["StartLimitIntervalSec"] == "0"
    assert service["ExecStart"].startswith("/srv/lapor/.venv/bin/gunicorn -c python:lapor.gunicorn_conf ")
    assert service["EnvironmentFile"] == "/etc/lapor/lapor.env"
    assert unit["Install"]["WantedBy"] == "multi-user.target"
