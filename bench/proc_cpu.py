"""CPU time of a process as the kernel counts it (/proc/<pid>/stat, user + system, in clock ticks), for the
in-process bench scripts that add the database backend's CPU to their own (bench/profile_submit.py,
bench/queue_cpu.py)."""

import os

from django.db import connection

HZ = os.sysconf("SC_CLK_TCK")


def process_ticks(pid: int) -> int:
    """utime + stime of process `pid`, in ticks (HZ a second)."""
    with open(f"/proc/{pid}/stat") as f:
        rest = f.read().rsplit(")", 1)[1].split()  # the command name may hold spaces
    return int(rest[11]) + int(rest[12])


def backend_ticks() -> int:
    """The CPU ticks spent so far by this connection's PostgreSQL backend."""
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    return process_ticks(pid)
