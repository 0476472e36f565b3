"""The one way the apps hand work to the Celery worker: `after_commit`.

Domain modules name the task ("complaints.tasks.deliver_notifications") instead of importing their
tasks module — the tasks are thin wrappers that call the domain, never the other way round — and the
work is queued only once the data it reads is committed. A broker that cannot take the task (Redis
down) never fails the action that asked for it: the failure is logged and the caller's `fallback`
runs (do the work in-process, mark a job failed); without one, the outbox sweep that owns the work
picks it up later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import transaction

from . import broker, commit_writes
from .celery import app

log = logging.getLogger(__name__)
_discovered = False


def registered_task(name: str):
    """The task registered under `name` (the apps' tasks modules are imported on first use)."""
    global _discovered
    if name not in app.tasks and not _discovered:
        app.loader.import_default_modules()  # Celery's autodiscovery of every app's tasks module
        _discovered = True
    return app.tasks[name]


def after_commit(name: str, *args, fallback: Callable[[], object] | None = None) -> None:
    """Queue task `name` with `args` when the current transaction commits (at once outside one).
    An unknown name raises here, at the call site."""
    task = registered_task(name)

    def send_alone():
        try:
            task.delay(*args)
        except Exception:
            log.warning("Could not queue %s%r", name, args, exc_info=True)
            if fallback is not None:
                fallback()

    def send():
        # Inside lapor.commit_writes.one_round_trip (a submission): pushed with the commit's other Redis writes.
        if commit_writes.is_open() and not args_need_celery(task):
            try:
                push = broker.pushed(task.app, task, args)
            except Exception:
                log.info("Could not prepare %s%r for the commit's writes", name, args, exc_info=True)
                push = None
            if push is not None:
                key, payload, _task_id = push
                if commit_writes.add(lambda pipe: pipe.lpush(key, payload), send_alone):
                    return
        send_alone()

    transaction.on_commit(send)


def args_need_celery(task) -> bool:
    """Whether `task.delay()` would go through Celery's own publish (lapor/broker.py: DirectTask.delay)."""
    return not isinstance(task, broker.DirectTask) or not broker.can_publish(task.app)
