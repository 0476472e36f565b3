"""Fixed-window counters in the Django cache (Redis in production, shared by every worker).

While the cache is down they fail open: lapor.cache turns the outage into a miss (logged), so a
count starts again from zero and nobody is refused or shown an error."""

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
