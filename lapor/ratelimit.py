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


def refund(counters) -> None:
    """Give back what `take` counted on these (scope, ident) counters (a resubmission was no new one)."""
    for scope, ident in counters:
        with contextlib.suppress(ValueError):  # expired meanwhile, or the cache is down
            cache.decr(_key(scope, ident))
