"""A version of the reports each agency holds, for figures kept per agency subtree (the dashboards' live
counts, dashboards/figures.py): such a figure is kept under the versions of its subtree's agencies and
is counted again only when a report held there changes, not when any report anywhere does.

Report.save calls `changed` with the agency that held the report before the save and the one holding it
after (None: nobody yet, the national admins' desk); a deleted report with its holder. Inside a transaction
the versions are bumped once, when it commits: other connections cannot see the change before, so a figure
they count meanwhile, from the rows before the commit, is kept under the version that the bump replaces, and
the request that made the change returns only after it, so the visitor's next view counts again. The
transaction's own later reads (and tests, whose transaction never commits) see the change at once without a
cache write: `version` mixes in, for each key it reads, the token of the transaction's latest pending change
to that key (a token per key, so a change elsewhere does not move a scope's version; a rolled back
savepoint's changes go with its callback). A change outside any transaction is bumped at once. A save that
writes none of the fields the figures read (Report.save, LIVE_FIELDS) bumps nothing: a submission's versions
are one MSET, sent with its message for the worker in one round trip (lapor/commit_writes.py; two round
trips for the versions alone before issue #15's tenth session). `ALL` moves with every change: the whole
country's figures.

A version is a random token, not a counter: a version lost from the cache (evicted, flushed) is given a
new token when next read, so a kept figure is never read under a version it was not counted under.

The same versions cover the agencies' *handling rows* (ReportAgency: every agency that holds or held a
report, or got a copy), which an agency's queues read (complaints/queue_cache.py): `handlings_changed`
bumps each agency whose rows changed and every agency above it, so a subtree's queues are kept under
its root's version alone (one key read, not one per agency of the subtree).
"""

from __future__ import annotations

import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction

from agencies.models import Agency, path_ids
from lapor import commit_writes, refcache

PREFIX = "holders:v:"
ALL = "all"
# The holder before a save when it was not loaded (a deferred field): part of every subtree's version.
UNKNOWN = "unknown"


def _key(agency_id) -> str:
    return f"{PREFIX}{'none' if agency_id is None else agency_id}"


def _bump(agency_ids) -> None:
    token = uuid.uuid4().hex
    versions = {_key(a): token for a in {*agency_ids, ALL}}
    # At a commit inside lapor.commit_writes.one_round_trip (a submission): with its other Redis writes.
    queued = commit_writes.add(
        lambda pipe: pipe.mset(cache.encoded_many(versions)), lambda: cache.set_many(versions, timeout=None)
    )
    if not queued:
        cache.set_many(versions, timeout=None)


class _AtCommit:
    """Changed holders of the savepoints open when it was registered, bumped when the transaction commits
    (dropped with a rolled back savepoint), and each key's token for the transaction's own reads."""

    def __init__(self):
        self.ids = set()
        self.tokens: dict[str, str] = {}

    def __call__(self):
        _bump(self.ids)


def changed(*agency_ids) -> None:
    """A report held by these agencies (None: held by no agency; UNKNOWN: not known, every subtree)
    changed, appeared or went."""
    ids = set(agency_ids)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:  # saved and committed already
        _bump(ids)
        return
    # One callback per set of open savepoints (blocks without a savepoint roll back nothing of their own):
    # a change in a savepoint is dropped with it, its token too, never left in an outer callback.
    scopes = set(connection.savepoint_ids) - {None}
    pending = next((func for sids, func in _pending(connection) if sids - {None} == scopes), None)
    if pending is None:
        pending = _AtCommit()
        transaction.on_commit(pending)
    pending.ids |= ids
    token = uuid.uuid4().hex
    pending.tokens.update((_key(a), token) for a in {*ids, ALL})


def handlings_changed(agency_ids) -> None:
    """Handling rows of these agencies were made, or their report's status or due time moved: the
    agencies and every agency above them change (a queue is kept under its subtree root's version)."""
    paths = agency_paths()
    above = set()
    for agency_id in agency_ids:
        path = paths.get(agency_id)
        if path is None:  # an agency newer than this worker's map: every subtree
            above.add(UNKNOWN)
        else:
            above.update(path_ids(path))
    if above:
        changed(*above)


def agency_paths() -> dict[int, str]:
    """Every agency's materialized path by id, kept in each worker's memory with the reference data."""
    return refcache.get("agency-paths", lambda: dict(Agency.objects.values_list("pk", "path")))


def _pending(connection) -> list[tuple[set, _AtCommit]]:
    """The transaction's callbacks of changed holders, each with the savepoints open when it was registered."""
    return [(sids, func) for sids, func, _robust in connection.run_on_commit if isinstance(func, _AtCommit)]


def version(agency_ids, *, strict: bool = False) -> str | None:
    """One token for the versions of these agencies (`ALL` for the whole country): it changes whenever a
    report held by any of them changes, and when the set of agencies does. One cache round trip (two
    when a version was missing). `strict`: None when a version could not be read (the cache is down),
    for a caller that must not keep anything then."""
    keys = [_key(a) for a in sorted({*agency_ids, UNKNOWN}, key=str)]
    found = cache.get_many(keys)
    missing = [k for k in keys if k not in found]
    if missing:
        for k in missing:
            cache.add(k, uuid.uuid4().hex, None)
        found |= cache.get_many(missing)
        if strict and any(k not in found for k in keys):
            return None
    digest = hashlib.blake2b(digest_size=12)
    for k in keys:
        digest.update(f"{k}={found.get(k)};".encode())
    connection = transaction.get_connection()
    for _sids, pending in _pending(connection) if connection.in_atomic_block else ():
        for k in keys:  # this transaction's own changes, not bumped yet
            if k in pending.tokens:
                digest.update(f"pending {k}={pending.tokens[k]};".encode())
    return digest.hexdigest()
