"""Celery's Redis transport, publishing through one Redis client per channel instead of one per message.

kombu's Redis channel makes a new `redis.Redis` client for every message it publishes (`conn_or_acquire`
without a client), then drops it; the client takes its connection from the channel's pool either way, so
building it is pure CPU (≈ 0.3–0.6 ms a message, about a tenth of the cost of publishing a submission's
one message: docs/benchmarks.md, issue #15). This channel keeps the first client it builds and publishes
every later message through it. Nothing else changes: the connection pool, the timeouts and retries of
`CELERY_BROKER_TRANSPORT_OPTIONS`, and what happens when Redis is down — a publish that fails still
raises to kombu, which retries once on a revived channel (a new channel: a new client) and then raises to
`lapor.queue.after_commit`, which logs it and leaves the work to the outbox sweeps.

A `redis.Redis` client holds no connection of its own (each command borrows one from the pool and gives
it back; the pool starts afresh in a forked process), so one client per channel is safe wherever a
channel is: one web request or task at a time per producer taken from Celery's producer pool.

Used for `redis://` brokers (lapor/settings.py: CELERY_BROKER_TRANSPORT); a `rediss://` or `unix://`
broker keeps kombu's own transport, whose scheme-specific set-up (TLS defaults) is chosen by its URL.

With this transport a task's `delay(*args)` (DirectTask, every LAPOR task's class) publishes the message
Celery would, built from what Celery made for the task once per process, without Celery's options
merging, routing and retry wrapper on each call (publish; issue #15: 0.4–0.5 ms of a submission's CPU).
"""

from __future__ import annotations

import logging
import os
import threading
from contextlib import contextmanager

from celery.contrib.django.task import DjangoTask
from celery.utils.saferepr import saferepr
from kombu import serialization
from kombu.entity import DELIVERY_MODES
from kombu.transport import redis
from kombu.utils.json import dumps
from kombu.utils.uuid import uuid

log = logging.getLogger(__name__)


class Channel(redis.Channel):
    _publish_client = None

    @contextmanager
    def conn_or_acquire(self, client=None):
        if client is not None:
            yield client
            return
        if self._publish_client is None:
            self._publish_client = self._create_client()
        yield self._publish_client


class Transport(redis.Transport):
    Channel = Channel


# --- Publishing a task without Celery's per-call machinery ------------------------------------------


class _Capture:
    """A producer that keeps what Celery would publish instead of publishing it (_template)."""

    def __init__(self, connection):
        self.connection = connection
        self.published = None

    def publish(self, body, **kwargs):
        self.published = (body, kwargs)


_PROBE_ID = "00000000-0000-4000-8000-000000000000"
_templates: dict[tuple, tuple] = {}


def _template(app, task, args: tuple) -> tuple:
    """What Celery's own `task.delay()` publishes in this process and thread (its `origin` and `reply_to`
    name them), with a probe id: asked of Celery once, through a producer that publishes nothing."""
    key = (os.getpid(), threading.get_ident(), task.name)
    found = _templates.get(key)
    if found is None:
        capture = _Capture(app.connection_for_write())
        task.apply_async(args, task_id=_PROBE_ID, producer=capture)  # the arguments are checked against the task's
        body, kwargs = capture.published
        kwargs = dict(kwargs)
        headers = kwargs.pop("headers")
        exchange, routing_key = kwargs.pop("exchange"), kwargs.pop("routing_key")
        serializer = kwargs.pop("serializer")
        for name in ("compression", "retry", "retry_policy", "declare", "timeout", "confirm_timeout"):
            kwargs.pop(name, None)
        found = _templates[key] = (headers, kwargs, body[2], exchange, routing_key, serializer)
    return found


def can_publish(app) -> bool:
    """publish() applies: tasks are not run eagerly, the broker is LAPOR's Redis transport, and this is
    not a task of the worker (whose messages carry their parent's ids)."""
    conf = app.conf
    return (
        not conf.task_always_eager
        and conf.broker_transport == f"{__name__}:Transport"
        and app.current_worker_task is None
    )


def _message(app, task, args: tuple):
    """(task id, body, priority, content type, content encoding, headers, properties, exchange, routing
    key) of the message publish() sends."""
    headers, properties, embed, exchange, routing_key, serializer = _template(app, task, args)
    task_id = uuid()
    headers = {**headers, "id": task_id, "root_id": task_id, "argsrepr": _argsrepr(args)}
    properties = {**properties, "correlation_id": task_id}
    content_type, content_encoding, body = serialization.dumps((args, {}, embed), serializer=serializer)
    priority = properties.pop("priority", 0)
    mode = properties.get("delivery_mode")
    properties["delivery_mode"] = DELIVERY_MODES.get(mode, mode)  # as kombu's Producer.publish gives it
    return task_id, body, priority, content_type, content_encoding, headers, properties, exchange, routing_key


def _argsrepr(args: tuple) -> str:
    """saferepr(args), as Celery writes it into the message's headers: for integers and lists of integers
    (a submission's report id and notification ids) that is repr(args), without saferepr's walk (≈ 30 us)."""
    if all(type(arg) is int or (type(arg) is list and all(type(item) is int for item in arg)) for arg in args):
        return repr(args)
    return saferepr(args)


def pushed(app, task, args: tuple) -> tuple[str, str, str] | None:
    """What publish() would have Redis do, as (list, payload, task id) for one LPUSH of the payload onto
    the list — the message kombu's channel pushes (its basic_publish to the default exchange: the
    routing key names the queue) — to send with other commands (lapor/commit_writes.py). None where
    kombu would do more or other (a named exchange, a queue with an expiry, a global key prefix)."""
    task_id, body, priority, content_type, content_encoding, headers, properties, exchange, routing_key = _message(
        app, task, args
    )
    if exchange:
        return None
    with app.producer_or_acquire() as producer:
        channel = producer.channel
        if not isinstance(channel, Channel) or channel.global_keyprefix or routing_key in channel._expires:
            return None
        message = channel.prepare_message(body, priority, content_type, content_encoding, headers, properties)
        channel._inplace_augment_message(message, exchange, routing_key)  # as basic_publish, then _put
        key = channel._q_for_pri(routing_key, channel._get_message_priority(message, reverse=False))
        return key, dumps(message), task_id


def publish(app, task, args: tuple) -> str:
    """Queue `task(*args)` as Celery's `task.delay(*args)` would — the same message (Celery's own
    headers and properties, from _template; a new task id; the arguments encoded as kombu encodes
    them) pushed onto the same list through a producer's channel — without Celery's options merging,
    routing and retry wrapping on every call (≈ 0.5 ms of a submission's CPU, issue #15). Returns the
    task id; raises when the broker cannot take it. Only where can_publish() is true; no ETA,
    countdown, link or other option (DirectTask.delay), and Celery's before/after_task_publish
    signals are not sent (nothing in LAPOR listens to them)."""
    task_id, body, priority, content_type, content_encoding, headers, properties, exchange, routing_key = _message(
        app, task, args
    )
    with app.producer_or_acquire() as producer:
        channel = producer.channel
        message = channel.prepare_message(body, priority, content_type, content_encoding, headers, properties)
        channel.basic_publish(message, exchange, routing_key)
    return task_id


class DirectTask(DjangoTask):
    """LAPOR's tasks (lapor/celery.py): `delay(*args)` publishes through publish() where it can; with
    keyword arguments, eager tasks, another transport, inside a worker's task, or when that publish
    fails (Redis gone: Celery's own publish then retries on a revived channel, and raises to
    lapor.queue.after_commit if it fails too), Celery's own apply_async."""

    abstract = True

    def delay(self, *args, **kwargs):
        if not kwargs and can_publish(self.app):
            try:
                return self.AsyncResult(publish(self.app, self, args))
            except Exception:
                log.info("Could not publish %s%r directly; through Celery", self.name, args, exc_info=True)
        return super().delay(*args, **kwargs)
