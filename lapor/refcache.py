"""Reference data kept in each worker's memory: regions, categories, routing rules, calendars, deadline
limits, webhooks — small tables that every submission reads and that change a few times a year.

A value is built once per worker and *generation*: a random token in the shared cache (Redis) that
every change to one of these tables replaces (`bump`, wired to their save and delete signals in
lapor.apps, and called by the bulk loaders). A worker reads the token at most once every
`GENERATION_TTL` seconds, so another worker's change is seen within that time; its own at once. A
value is also rebuilt after `VALUE_TTL` seconds whatever happens, which bounds the staleness if a
change was made while the cache was down (the bump could not be stored). With the cache down no
value is kept at all: every caller reads the database, as before.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

T = TypeVar("T")
GENERATION_KEY = "lapor:refcache:generation"
GENERATION_TTL = 2.0
VALUE_TTL = 600.0

_lock = threading.Lock()
_values: dict[str, tuple[str, float, object]] = {}
_generation: tuple[str | None, float] = (None, 0.0)


def generation() -> str | None:
    """The current generation token, or None when the cache is unavailable (then nothing is kept)."""
    global _generation
    token, read_at = _generation
    now = time.monotonic()
    if token is not None and now - read_at < GENERATION_TTL:
        return token
    token = cache.get(GENERATION_KEY)
    if token is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        token = cache.get(GENERATION_KEY)
    _generation = (token, now)
    return token


def bump(*_args, **_kwargs) -> None:
    """Reference data changed: every worker builds its values again (this one at once)."""
    global _generation
    token = uuid.uuid4().hex
    cache.set(GENERATION_KEY, token, timeout=None)
    with _lock:
        _values.clear()
        _generation = (None, 0.0)


def get(name: str, build: Callable[[], T]) -> T:
    """The value `name` of the current generation, built by `build()` when missing or stale."""
    token = generation()
    if token is None:
        return build()
    entry = _values.get(name)
    now = time.monotonic()
    if entry is not None and entry[0] == token and now - entry[1] < VALUE_TTL:
        return entry[2]
    value = build()
    with _lock:
        _values[name] = (token, now, value)
    return value


def clear_local() -> None:
    """Forget this worker's values (tests that swap the cache backend)."""
    global _generation
    with _lock:
        _values.clear()
        _generation = (None, 0.0)
