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
"""

from __future__ import annotations

from contextlib import contextmanager

from kombu.transport import redis


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
