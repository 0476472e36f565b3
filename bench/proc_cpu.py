"""CPU time of a process as the kernel counts it (/proc/<pid>/stat, user + system, in clock ticks), for the
in-process bench scripts that add the database backend's CPU to their own (bench/profile_submit.py,
bench/queue_cpu.py), and for bench/run_bench.py's windows (`ticks_spent`)."""

import contextlib
import os
import subprocess
from collections import defaultdict

from django.db import connection

HZ = os.sysconf("SC_CLK_TCK")

# The key, in a snapshot's group, of the time the group's parent process (gunicorn's master, PostgreSQL's
# postmaster) has collected from its children that exited and were reaped.
REAPED = "reaped"


def _stat(pid: int) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (which may hold spaces): [0] is the state."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()


def process_ticks(pid: int) -> int:
    """utime + stime of process `pid`, in ticks (HZ a second)."""
    rest = _stat(pid)
    return int(rest[11]) + int(rest[12])


def reaped_ticks(pid: int) -> int:
    """cutime + cstime of process `pid`: the whole CPU time of its children that have exited and that it
    has waited for (a PostgreSQL backend closed or a parallel worker finished, reaped by the postmaster)."""
    rest = _stat(pid)
    return int(rest[13]) + int(rest[14])


def parent_pid(pid: int) -> int:
    return int(_stat(pid)[1])


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(child) for child in out]


def group_snapshot(group: str, parent: int, exclude=()) -> dict:
    """The CPU ticks of every child of `parent` (but `exclude`) and, read last, the time `parent` has reaped
    from children that exited. Every child, so that one exiting before the next snapshot was in this one and
    only what it spent in between is counted (`ticks_spent`); for PostgreSQL's postmaster that is the whole
    server (this database's backends and parallel workers, the WAL writer and checkpointer, autovacuum, and
    other databases' backends: the bench's quiet machine has none busy)."""
    snap = {}
    for pid in children(parent):
        if pid not in exclude:
            with contextlib.suppress(OSError, ValueError, IndexError):  # gone since pgrep
                snap[(group, pid)] = process_ticks(pid)
    snap[(group, REAPED)] = reaped_ticks(parent)
    return snap


def backend_ticks() -> int:
    """The CPU ticks spent so far by this connection's PostgreSQL backend."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    return process_ticks(pid)


def ticks_spent(before: dict, after: dict) -> dict[str, int]:
    """The ticks each group spent between two snapshots, {(group, pid): ticks, (group, REAPED): ticks}.

    A process alive at both ends counts what it spent in between; one that started inside counts all of
    its time. A process that exited inside (a backend recycled after DATABASE_CONN_MAX_AGE, a parallel
    worker) is missing from the second snapshot, but its whole lifetime has reached its parent's reaped
    time: the growth of that, less what such processes had already spent at the first snapshot."""
    spent = defaultdict(int)
    for key, ticks in after.items():
        spent[key[0]] += ticks - before.get(key, 0)
    for key, ticks in before.items():
        if key not in after and key[1] != REAPED:
            spent[key[0]] -= ticks
    return dict(spent)
