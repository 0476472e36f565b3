"""Sessions kept in the database and read from the shared cache (Redis): a signed-in request reads its
session with one cache round trip instead of a query (issue #15: the submission's query budget).

Django's cached_db store, with one change: the cached copy lives at most `CACHED_SECONDS`, however long
the session itself lasts. The database stays the record — every save and delete writes it first — but
while Redis is unreachable the cache (lapor.cache) cannot forget a session that is ended (a logout, a
flush); once Redis is back, that stale copy would still open the session. Capping the copy bounds that
window to a few minutes after an outage. After the cap a request reads the database once more.

Used only with a shared cache (production mode, `REDIS_URL`): a per-process memory cache would let one
worker keep a session another worker ended (settings.SESSION_ENGINE).
"""

from __future__ import annotations

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore

CACHED_SECONDS = 300
KEY_PREFIX = "lapor.sessions."


class SessionStore(CachedDBStore):
    cache_key_prefix = KEY_PREFIX

    def _cache_seconds(self, expiry=None) -> int:
        return max(0, min(CACHED_SECONDS, self.get_expiry_age(expiry=expiry)))

    def load(self):
        data = self._cache.get(self.cache_key)
        if data is not None:
            return data
        s = self._get_session_from_db()
        if not s:
            return {}
        data = self.decode(s.session_data)
        self._cache.set(self.cache_key, data, self._cache_seconds(expiry=s.expire_date))
        return data

    def save(self, must_create=False):
        super(CachedDBStore, self).save(must_create)  # the database first: it is the record
        self._cache.set(self.cache_key, self._session, self._cache_seconds())
