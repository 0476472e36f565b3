"""Beat's refreshes of what the measured pages read, run by bench/run_bench.py between its windows.

Production runs one `celery beat` (lapor/celery.py): every minute it recomputes the home page's counters
(complaints.counters.refresh), so no visitor pays for them. run_bench runs no beat: without this, a request
recomputed them once their minute ran out (1.8–1.9 s at 2,000,000 reports, the anonymous home page's p99
there). The refresh runs here on beat's own interval (read from lapor/celery.py's schedule), before a
window rather than inside it: what a window's requests read is as fresh as in production, and the
refresh's CPU (a Celery worker's in production) is not counted as a page's.

Left out on purpose: the dashboard's days (rebuild-recent-stats, every 600 s) are read by the head's
dashboard, but rebuilding today at 2,000,000 reports ran over 13 minutes on the loaded benchmark machine
(a worker's job in production; the dashboard reads whatever days were built, at the same cost); the rest of
the schedule moves data (the deadline sweep, the outboxes, the exports) or feeds pages run_bench does not
measure (the public map's cells).

Tested in lapor/tests/test_bench_goals.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

# Entries of lapor.celery's beat_schedule whose result a measured page reads.
REFRESHES = ("refresh-home-counters",)


def beat_schedule() -> dict:
    from lapor.celery import app

    return app.conf.beat_schedule


def run_task(name: str):
    """The task, run in this process as a worker would (its function body, no broker)."""
    from django.utils.module_loading import import_string

    return import_string(name)()


class Beat:
    """Beat's refreshes, each run again once its interval has passed since its last run."""

    def __init__(
        self,
        schedule: dict | None = None,
        names: tuple[str, ...] = REFRESHES,
        run: Callable[[str], object] = run_task,
        clock: Callable[[], float] = time.monotonic,
    ):
        schedule = beat_schedule() if schedule is None else schedule
        self.entries = {name: (schedule[name]["task"], float(schedule[name]["schedule"])) for name in names}
        self.run, self.clock = run, clock
        self.last: dict[str, float] = {}
        self.runs: list[tuple[str, float]] = []  # (entry, seconds it took), in order

    def due(self) -> list[str]:
        now = self.clock()
        return [
            name
            for name, (_task, every) in self.entries.items()
            if name not in self.last or now - self.last[name] >= every
        ]

    def run_due(self) -> list[str]:
        """Run every refresh whose interval has passed (all of them the first time); their names."""
        done = self.due()
        for name in done:
            started = self.clock()
            self.run(self.entries[name][0])
            self.last[name] = started
            self.runs.append((name, self.clock() - started))
        return done

    def summary(self) -> str:
        parts = []
        for name, (task, every) in self.entries.items():
            times = [s for n, s in self.runs if n == name]
            spread = f"{min(times):.1f}–{max(times):.1f} s" if times else "never"
            parts.append(f"{task} (every {every:g} s) {len(times)}× ({spread})")
        return "; ".join(parts)
