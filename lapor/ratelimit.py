"""Fixed-window counters in the Django cache (Redis in production, shared by every worker).

While the cache is down they fail open: lapor.cache turns the outage into a miss (logged), so a
count starts again from zero and nobody is refused or shown an error."""

import contextlib

from django.core.cache import cache


def _key(scope: str, ident) -> str:
    return f"lapor:rl:{scope}:{ident}"


def is_limited(scope: str, ident, limit: int) -> bool:
    return (cache.get(_key(scope, ident)) or 0) >= limit


def hit(scope: str, ident, window_seconds: int) -> int:
    key = _key(scope, ident)
    cache.add(key, 0, timeout=window_seconds)  # the window starts at the first hit
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1


# Check every counter, and only if none is at its limit count one on each — atomically, in one
# round trip. KEYS: the counters; ARGV: limit and window (seconds) of each, in turn.
TAKE_SCRIPT = """
for i = 1, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') >= tonumber(ARGV[2 * i - 1]) then return 0 end
end
for i = 1, #KEYS do
  if redis.call('INCR', KEYS[i]) == 1 then redis.call('EXPIRE', KEYS[i], ARGV[2 * i]) end
end
return 1
"""


def take(checks) -> bool:
    """`checks`: (scope, ident, limit, window_seconds) tuples. False if any counter is at its limit
    (nothing is counted then); else counts one on each and returns True. On Redis this is one
    script call; with the cache down it fails open (True), like `is_limited`."""
    keys = [_key(scope, ident) for scope, ident, _limit, _window in checks]
    run = getattr(cache, "run_script", None)
    if run is not None:
        args = [value for _s, _i, limit, window in checks for value in (limit, window)]
        return bool(run(TAKE_SCRIPT, keys, args, default=1))
    if any(is_limited(scope, ident, limit) for scope, ident, limit, _window in checks):
        return False
    for scope, ident, _limit, window in checks:
        hit(scope, ident, window)
    return True


def counted(scope: str, ident) -> int:
    """What the counter holds (0 while the cache is down: fails open). One cache read."""
    return cache.get(_key(scope, ident)) or 0


# Add an amount to a counter, its expiry set when it has none (its first count) — one round trip.
# KEYS: the counter; ARGV: the amount, the window (seconds).
ADD_SCRIPT = """
local total = redis.call('INCRBY', KEYS[1], ARGV[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return total
"""


def add(scope: str, ident, amount: int, window_seconds: int) -> int:
    """Counts `amount` (not one: e.g. milliseconds spent) on the counter, whose window starts at its
    first count; returns the new total. On Redis one script call; with the cache down nothing is
    counted (0: fails open)."""
    key = _key(scope, ident)
    run = getattr(cache, "run_script", None)
    if run is not None:
        return int(run(ADD_SCRIPT, [key], [int(amount), int(window_seconds)], default=0) or 0)
    cache.add(key, 0, timeout=window_seconds)
    try:
        return cache.incr(key, int(amount))
    except ValueError:  # expired between add and incr
        cache.set(key, int(amount), timeout=window_seconds)
        return int(amount)


def forget(scope: str, ident) -> None:
    cache.delete(_key(scope, ident))


def refund(counters) -> None:
    """Give back what `take` counted on these (scope, ident) counters (a resubmission was no new one)."""
    for scope, ident in counters:
        with contextlib.suppress(ValueError):  # expired meanwhile, or the cache is down
            cache.decr(_key(scope, ident))
