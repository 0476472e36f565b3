"""gunicorn's configuration for LAPOR's web server:

    .venv/bin/gunicorn -c python:lapor.gunicorn_conf --workers 4 --bind 127.0.0.1:8000

(deploy/lapor-web.service; bench/run_bench.py serves with it too). Workers and address stay on the
command line; this module names the application and hooks each worker's garbage collection
(lapor/gc_tuning.py): once the application is loaded the worker warms up and freezes its long-lived
heap, and after some of its first requests freezes again, so no request pays a full collection of
Django, the reference data and the kept fragments.
"""

from django.db import connections

from lapor import gc_tuning

wsgi_app = "lapor.wsgi:application"


def post_worker_init(worker):
    """The worker has loaded the application and accepts no request yet: warm up and freeze."""
    frozen = gc_tuning.start()
    # The warm-up's connections were opened outside a request: no request_finished closes them.
    connections.close_all()
    worker.log.info("heap warmed up and frozen: %d objects", frozen)


def post_request(worker, req, environ, resp):
    """The response is sent; `worker.nr` counts this worker's requests so far."""
    gc_tuning.after_request(worker.nr)
