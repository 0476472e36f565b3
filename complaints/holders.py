"""A version of the reports each agency holds, for figures kept per agency subtree (the dashboards' live
counts, dashboards/figures.py): such a figure is kept under the versions of its subtree's agencies and
is counted again only when a report held there changes, not when any report anywhere does.

Report.save calls `changed` with the agency that held the report before the save and the one holding it
after (None: nobody yet, the national admins' desk); a deleted report with its holder. The versions are
bumped at once (the transaction's own later reads, and tests, see the change) and again when the
transaction commits: a figure counted meanwhile by a concurrent request, from the rows before the commit,
is kept under the version that the second bump replaces, and the request that made the change returns only
after it, so the visitor's next view counts again. A save that writes none of the fields the figures read
(Report.save, LIVE_FIELDS: a submission's second save of its tracking number) bumps nothing: a submission
costs two cache round trips. `ALL` moves with every change: the whole country's figures.

A version is a random token, not a counter: a version lost from the cache (evicted, flushed) is given a
new token when next read, so a kept figure is never read under a version it was not counted under.
"""

from __future__ import annotations

import hashlib
import uuid

from django.core.cache import cache
from django.db import transaction

PREFIX = "holders:v:"
ALL = "all"
# The holder before a save when it was not loaded (a deferred field): part of every subtree's version.
UNKNOWN = "unknown"


def _key(agency_id) -> str:
    return f"{PREFIX}{'none' if agency_id is None else agency_id}"


def _bump(agency_ids) -> None:
    token = uuid.uuid4().hex
    cache.set_many({_key(a): token for a in {*agency_ids, ALL}}, timeout=None)


class _AtCommit:
    """The transaction's changed holders, bumped again when it commits (one callback a transaction)."""

    def __init__(self):
        self.ids = set()

    def __call__(self):
        _bump(self.ids)


def changed(*agency_ids) -> None:
    """A report held by these agencies (None: held by no agency; UNKNOWN: not known, every subtree)
    changed, appeared or went."""
    ids = set(agency_ids)
    _bump(ids)
    connection = transaction.get_connection()
    if not connection.in_atomic_block:  # saved and committed already
        return
    pending = next((func for _sids, func, _robust in connection.run_on_commit if isinstance(func, _AtCommit)), None)
    if pending is None:
        pending = _AtCommit()
        transaction.on_commit(pending)
    pending.ids |= ids


def version(agency_ids) -> str:
    """One token for the versions of these agencies (`ALL` for the whole country): it changes whenever a
    report held by any of them changes, and when the set of agencies does. One cache round trip (two
    when a version was missing)."""
    keys = [_key(a) for a in sorted({*agency_ids, UNKNOWN}, key=str)]
    found = cache.get_many(keys)
    missing = [k for k in keys if k not in found]
    if missing:
        for k in missing:
            cache.add(k, uuid.uuid4().hex, None)
        found |= cache.get_many(missing)
    digest = hashlib.blake2b(digest_size=12)
    for k in keys:
        digest.update(f"{k}={found.get(k)};".encode())
    return digest.hexdigest()
