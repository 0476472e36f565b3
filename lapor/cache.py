"""The Redis cache, where an outage is a cache miss.

Every cache read in LAPOR (report form choices, feed filters, home counters, dashboards, the
submission and API rate limits) goes through this backend, so no caller can forget the fallback:
while Redis is unreachable a read returns its default, a write does nothing, ``add`` reports that
it stored nothing and ``incr`` raises ValueError (the key is missing) — exactly what Django's cache
API answers for a key that is not there. Callers already handle a miss: choices are built from the
database, rate limits count from zero (they fail open) and figures are recomputed.

One warning is logged per outage window: after a failure the backend does not try Redis again for
``DOWN_SECONDS`` (default 2), so a page with several cache reads does not pay the connection timeout
for each of them, nor flood the log.
"""

from __future__ import annotations

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's client builds a new redis.Redis object (and its table of ~170 response callbacks) for
    every cache call — about half a millisecond of CPU each, several per request. One per connection
    pool serves them all: a redis.Redis object is thread-safe (its pool hands out the connections)."""

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        clients = self.__dict__.setdefault("_reused_clients", {})
        client = clients.get(id(pool))
        if client is None:
            client = clients[id(pool)] = self._client(connection_pool=pool)
        return client


class FailSafeRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient
        options = dict(self._options)
        self.down_seconds = float(options.pop("DOWN_SECONDS", 2))
        # Without these a hung Redis (rather than a stopped one) would hold every request.
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        self._options = options
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _call(self, name: str, default, *args, **kwargs):
        if self._down_until > time.monotonic():
            return default
        try:
            return getattr(super(), name)(*args, **kwargs)
        except RedisError as exc:
            with self._lock:
                first = self._down_until <= time.monotonic()
                self._down_until = time.monotonic() + self.down_seconds
            if first:
                log.warning("Cache unavailable (%s); treating it as a miss: %s", name, exc)
            return default

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._call("incr", missing, key, delta, version)
        if value is missing:
            raise ValueError(f"Key '{key}' not found (cache unavailable).")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)

    def run_script(self, script: str, keys, args, default=None):
        """Run a Lua script on the keys (as this cache names them); `default` while Redis is down."""
        names = [self.make_and_validate_key(k) for k in keys]

        def run():
            client = self._cache.get_client(names[0] if names else None, write=True)
            return client.eval(script, len(names), *names, *args)

        return self._call_raw(run, default)

    def encoded_many(self, data: dict) -> dict:
        """`data` as set_many writes it: each key as this cache names it, each value serialised."""
        dumps = self._cache._serializer.dumps
        return {self.make_and_validate_key(key): dumps(value) for key, value in data.items()}

    def pipeline(self, fill):
        """The commands `fill(pipeline)` adds to a pipeline of the raw client (keys as given: see
        encoded_many), sent in one round trip without MULTI; their replies, each an exception where
        Redis refused that command, or None while Redis is down (nothing sent, or not known)."""

        def run():
            pipe = self._cache.get_client(None, write=True).pipeline(transaction=False)
            fill(pipe)
            return pipe.execute(raise_on_error=False)

        return self._call_raw(run, None, "pipeline")

    def _call_raw(self, fn, default, name="script"):
        if self._down_until > time.monotonic():
            return default
        try:
            return fn()
        except RedisError as exc:
            with self._lock:
                first = self._down_until <= time.monotonic()
                self._down_until = time.monotonic() + self.down_seconds
            if first:
                log.warning("Cache unavailable (%s); treating it as a miss: %s", name, exc)
            return default
