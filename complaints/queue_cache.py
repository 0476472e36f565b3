"""An agency's queue tabs and page order kept in each worker's memory until a report of its subtree moves.

An agency's staff open the same queues again and again (the tab they work in, after every action), and
each view counted the subtree's open reports by status and sorted a queue's reports by due time: work
that grows with the subtree's backlog (914 open handling rows and 351 in progress for the 2M bench's
government, issue #15), though the answer only changes when one of those reports does. Here both are
kept per subtree under the version of the subtree's root (complaints/holders.py), which every change to a
handling row below it moves — a row made (submission, dispatch, forward, transfer, copy), a report's
status or due time written on its rows (Report.save, clocks.sync_report_due), a row deleted — and under
the reference data's generation (lapor/refcache.py: an agency added or moved). The reports of a page are
still read from the database at every view (their rows as they are now); only which ones, and in which
order, is kept.

The counts' overdue tab depends on the clock as well: they are kept only until the earliest due time
still ahead among the subtree's open reports, when one more becomes overdue. Whatever happens, nothing is
kept longer than KEPT_SECONDS, which bounds what a change made while Redis was unreachable (its version
bump lost) could leave behind. With Redis down nothing is kept: every view counts, as before.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from lapor import refcache

from . import holders

KEPT_SECONDS = 120.0
KEPT_ENTRIES = 2000

_lock = threading.Lock()
_kept: dict[tuple, tuple[dt.datetime, dt.datetime, object]] = {}  # key: (from, until, value)


def version(agencies, user=None) -> tuple | None:
    """What the queues of these subtrees are kept under, or None when nothing may be kept (cache down).
    Read once per request: kept on `user` (request.user: a queue page asks for its tabs and its page),
    except inside a transaction, whose own changes move the version before they are committed."""
    roots = tuple(sorted(a.pk for a in agencies))
    memo = getattr(user, "_lapor_queue_version", None)
    if memo is not None and memo[0] == roots and not transaction.get_connection().in_atomic_block:
        return memo[1]
    generation = refcache.generation()
    under = None
    if generation is not None:
        token = holders.version(roots, strict=True)
        under = None if token is None else (roots, token, generation)
    if user is not None:
        user._lapor_queue_version = (roots, under)
    return under


def kept(
    agencies,
    what: tuple,
    compute: Callable[[], tuple[object, dt.datetime | None]],
    now: dt.datetime | None = None,
    user=None,
):
    """The value `what` of these subtrees' queues at `now` (default: now): kept, or `compute()` → (value,
    the moment it stops being true — None: only a change ends it)."""
    under = version(agencies, user)
    if under is None:
        return compute()[0]
    now = now or timezone.now()
    key = (*under, *what)
    entry = _kept.get(key)
    if entry is not None and entry[0] <= now < entry[1]:
        return entry[2]
    value, ends = compute()
    lasts = now + dt.timedelta(seconds=KEPT_SECONDS)
    if ends is not None:
        lasts = min(lasts, ends)
    if now < lasts:
        with _lock:
            if len(_kept) >= KEPT_ENTRIES:
                _kept.clear()
            _kept[key] = (now, lasts, value)
    return value


def clear_local() -> None:
    """Forget this worker's kept queues (tests: a rolled-back transaction bumps no version)."""
    with _lock:
        _kept.clear()
