"""Each client's budget of slow search time (issue #15).

The public search runs each statement under LAPOR_SEARCH_TIMEOUT_MS, but within it an anonymous
visitor could still make the database spend up to that long on every request, as often as they like
(a quoted phrase of common words on a late page, words that never meet, a search with filters): a few
clients in a loop held every web worker and database backend. So a search that took longer than
LAPOR_SEARCH_SLOW_MS (a timed-out one counts its whole timeout) is charged, in milliseconds, to its
client's address (lapor.clientip: behind trusted proxies, the forwarded one), in a fixed window of
LAPOR_SEARCH_BUDGET_WINDOW_SECONDS aligned to the clock (so the page can say when the window ends,
with no second read). A client whose charged time in the window is over LAPOR_SEARCH_BUDGET_MS is
refused any search that would leave the cheap path (filters.search_page) until the window ends: 429
with Retry-After (views.report_list).

The cheap path — a term's first pages found among the newest reports, or a rare term's few matches
through its index — is what nearly every visitor asks for and what the benchmark measures: it is never
refused and reads nothing from the budget, and is charged only when it was itself slow. A search is
checked once, just before it would run a statement that is not on that path: one cache read; a
charge is one cache write (lapor.ratelimit: one Redis round trip each).

Redis down: the check reads nothing (nobody is over budget) and the charge is lost (lapor.cache):
searches run as before, bounded by their timeout alone.
"""

from __future__ import annotations

import math
import time
from contextlib import contextmanager

from django.conf import settings

from lapor import ratelimit
from lapor.clientip import client_ip

SCOPE = "search-ms"

# The clocks read (tests may replace them): how long a search took, and which window it falls in.
clock = time.monotonic
wall_clock = time.time


class OverBudget(Exception):
    """The client's slow searches used up this window's budget: `retry_after` seconds until the next."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def enabled() -> bool:
    return settings.LAPOR_SEARCH_BUDGET_MS > 0


def _window() -> tuple[int, int]:
    """The current window's number (windows are aligned to the clock, the same in every worker) and
    the whole seconds until it ends (at least 1)."""
    seconds = settings.LAPOR_SEARCH_BUDGET_WINDOW_SECONDS
    now = wall_clock()
    number = int(now // seconds)
    return number, max(1, math.ceil((number + 1) * seconds - now))


def _ident(client: str, number: int) -> str:
    return f"{client}:{number}"


def spent(client: str) -> int:
    """The milliseconds of slow searches charged to `client` in the current window."""
    number, _left = _window()
    return ratelimit.counted(SCOPE, _ident(client, number))


def retry_after(client: str) -> int | None:
    """The seconds until the window ends if `client` is over its budget in it, else None. One cache
    read; None while the cache is down (fails open)."""
    number, left = _window()
    if ratelimit.counted(SCOPE, _ident(client, number)) > settings.LAPOR_SEARCH_BUDGET_MS:
        return left
    return None


def charge(client: str, milliseconds: float) -> None:
    """Counts a slow search's time against `client` in the current window (the counter expires when
    the window ends). One cache write; lost while the cache is down."""
    number, left = _window()
    ratelimit.add(SCOPE, _ident(client, number), math.ceil(milliseconds), left)


def forget(client: str) -> None:
    """Drops what `client` was charged in the current window (tests: the test client's one address is
    every test's)."""
    number, _left = _window()
    ratelimit.forget(SCOPE, _ident(client, number))


class SearchBudget:
    """One request's search measured against its client's budget. Without a request (a caller that is
    not a visitor's page) it neither checks nor charges. The client's address is worked out only
    when the budget is read or charged."""

    def __init__(self, request=None):
        self.request = request
        self._checked = False
        self._least_ms = 0.0

    def _applies(self) -> bool:
        return self.request is not None and enabled()

    def check(self) -> None:
        """Raises OverBudget if the client is over its budget; called just before the search leaves the
        cheap path (nothing of the search is run then). The budget is read once per request."""
        if self._checked or not self._applies():
            return
        self._checked = True
        seconds = retry_after(client_ip(self.request))
        if seconds is not None:
            raise OverBudget(seconds)

    def timed_out(self, timeout_ms: int) -> None:
        """The search was cancelled at its timeout: it counts as having taken at least that long."""
        self._least_ms = max(self._least_ms, float(timeout_ms))

    @contextmanager
    def measured(self):
        """Around the search's statements: if they took longer than LAPOR_SEARCH_SLOW_MS (wall time), that
        time is charged to the client — also when the search was refused or failed part way."""
        started = clock()
        try:
            yield self
        finally:
            milliseconds = max((clock() - started) * 1000, self._least_ms)
            if milliseconds > settings.LAPOR_SEARCH_SLOW_MS and self._applies():
                charge(client_ip(self.request), milliseconds)
