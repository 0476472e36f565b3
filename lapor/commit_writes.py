"""The Redis writes of a transaction's commit hooks, sent to Redis in one round trip (issue #15).

A submission's commit runs two hooks that write to Redis: the holders' versions (complaints/holders.py,
an MSET through the cache) and the message for the worker (lapor/queue.py, an LPUSH onto Celery's queue):
two round trips on two connections, the MSET inside MULTI/EXEC. Around an atomic block,
`one_round_trip()` collects such writes instead: a hook that runs while it is open adds its command with
`add()`, and when the block has committed and its hooks have run, the commands go to Redis in one
pipeline (no MULTI: each command stands alone, as when it was sent alone), in the order the hooks ran.
The request still returns only after them. Without it (nothing opened one, or a hook runs later, at the
commit of an outer block), `add()` answers False and the hook writes at once, as before.

Redis down, or one command refused: that command's `fallback` runs — what its hook does when it writes
alone (the cache: nothing, a miss, logged once by lapor/cache.py; the message: Celery's own publish,
which retries once and is then logged, the outbox sweeps doing the work). A command is never sent twice
by this module; a fallback publish after a connection lost mid-reply may repeat a message, which the
worker's tasks take (they are idempotent), as after Celery's own retry.

Only when the cache and Celery's broker are the same Redis database (lapor/settings.py: both REDIS_URL)
and the cache is lapor.cache.FailSafeRedisCache: otherwise `one_round_trip()` opens nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings

log = logging.getLogger(__name__)
_local = threading.local()


def is_open() -> bool:
    return getattr(_local, "batch", None) is not None


def add(command: Callable[[object], object], fallback: Callable[[], object]) -> bool:
    """`command(pipeline)` adds one command to the open batch (True); False when none is open: write at once."""
    batch = getattr(_local, "batch", None)
    if batch is None:
        return False
    batch.append((command, fallback))
    return True


def _applies() -> bool:
    from django.core.cache import caches

    from lapor.cache import FailSafeRedisCache

    location = settings.CACHES.get("default", {}).get("LOCATION")
    return (
        isinstance(caches["default"], FailSafeRedisCache) and bool(location) and location == settings.CELERY_BROKER_URL
    )


@contextmanager
def one_round_trip():
    """Commit hooks' Redis writes made inside it sent in one round trip when it ends (see the module)."""
    if is_open() or not _applies():  # an outer one sends them; or each writes at once
        yield
        return
    _local.batch = batch = []
    try:
        yield
    finally:
        _local.batch = None
        if batch:
            send(batch)


def send(batch: list) -> None:
    from django.core.cache import cache

    try:
        replies = cache.pipeline(lambda pipe: [command(pipe) for command, _fallback in batch])
    except Exception:  # not Redis's (lapor/cache.py answers those with None): the action stands all the same
        log.warning("Could not send a commit's Redis writes together; each goes its own way", exc_info=True)
        replies = None
    if replies is None:  # Redis down: nothing was written
        replies = [None] * len(batch)
    for (_command, fallback), reply in zip(batch, replies, strict=True):
        if reply is None or isinstance(reply, Exception):
            fallback()
