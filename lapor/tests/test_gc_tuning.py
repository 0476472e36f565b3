"""A serving process freezes its long-lived heap (lapor/gc_tuning.py, hooked into gunicorn by
lapor/gunicorn_conf.py), so a full garbage collection inside a request walks only what requests left
behind, not Django, the reference data and the kept fragments."""

import gc
import logging
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from complaints.filters import FILTER_OPTIONS_KEY
from lapor import gc_tuning, gunicorn_conf, refcache
from lapor.tests.throwaway_redis import free_port

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    """What gunicorn's hooks read of a worker."""

    def __init__(self, nr=0):
        self.nr = nr
        self.log = logging.getLogger("test-worker")


@pytest.fixture
def collector():
    """The collector as the test found it: nothing frozen, CPython's thresholds put back after."""
    gc.unfreeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(900, 11, 12)  # not the module's, so setting them is seen
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def _tracked(obj) -> bool:
    """Whether a collection still walks `obj` (the permanent generation is outside gc.get_objects)."""
    return any(o is obj for o in gc.get_objects())


def test_a_worker_warms_up_and_freezes_its_heap_before_its_first_request(db, collector):
    gunicorn_conf.post_worker_init(Worker())

    assert gc.get_threshold() == gc_tuning.THRESHOLDS
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # the interpreter, Django, the project's modules
    # A full collection now walks a small fraction of the heap.
    assert len(gc.get_objects()) < frozen / 10
    # The reference data every request reads were built before the freeze, in both languages, and are frozen.
    for name in ("reference-objects", f"{FILTER_OPTIONS_KEY}:id", f"{FILTER_OPTIONS_KEY}:en", "report-form-choices:en"):
        value = refcache._values[name][2]
        assert value and not _tracked(value), name


def test_the_first_requests_builds_are_frozen_again_after_the_response(collector):
    built_lazily = [[n] for n in range(1000)]  # say, templates compiled by the first requests (lists are tracked)
    worker = Worker()
    for worker.nr in range(1, min(gc_tuning.REFREEZE_AT)):
        gunicorn_conf.post_request(worker, None, {}, None)
    assert gc.get_freeze_count() == 0 and _tracked(built_lazily[0])

    worker.nr = min(gc_tuning.REFREEZE_AT)
    gunicorn_conf.post_request(worker, None, {}, None)
    assert gc.get_freeze_count() > 0 and not _tracked(built_lazily[0])
    assert gc_tuning.after_request(max(gc_tuning.REFREEZE_AT) + 1) is False  # a bounded number of freezes


def test_gunicorn_serves_with_the_config_module_and_its_workers_freeze(tmp_path):
    """The command of README and deploy/lapor-web.service: the module loads as gunicorn's config and
    each worker logs its frozen heap before serving. (No database here: the warm-up logs why it could
    not read the reference data, the worker freezes and serves all the same.)"""
    port = free_port()
    env = {
        key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL", "LAPOR_BENCH_VIEWS")
    }
    env.update(SQLITE_PATH=str(tmp_path / "db.sqlite3"), DJANGO_SECRET_KEY="x", DJANGO_ALLOWED_HOSTS="127.0.0.1")
    log = tmp_path / "gunicorn.log"
    with log.open("w") as stderr:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-c",
                "python:lapor.gunicorn_conf",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        deadline = time.monotonic() + 90
        while "heap warmed up and frozen" not in log.read_text():
            assert server.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        frozen = int(log.read_text().split("heap warmed up and frozen: ")[1].split()[0])
        assert frozen > 10_000
        request = urllib.request.Request(f"http://127.0.0.1:{port}/favicon.ico")
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(request, timeout=30)
        redirect.value.close()
        assert redirect.value.code == 301  # served by Django after the freeze
    finally:
        server.terminate()
        server.wait(timeout=30)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None
