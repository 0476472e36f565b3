"""Whole rendered pages for anonymous visitors, kept in the shared cache (Redis) and served early.

The citizen's public pages (home, report form, feed with its filters, pages and search, report
page, tracking page) are the same for every anonymous visitor but for three per-response values:
the CSRF token (each response gets its own masked token and the cookie exactly as Django's
CsrfViewMiddleware would send it), the CSP nonce (if a page used one) and the report form's
one-time submission key. So a page rendered for one anonymous visitor is stored with those values
cut out, and every later anonymous request for the same page is answered from the cache with fresh
values filled in — before the session, locale, CSRF, authentication, OTP, messages, agency and axes
middleware, the URL's view and its template: that is where a page's CPU goes.

`PageCacheMiddleware` sits after SecurityMiddleware, CSPMiddleware and PermissionsPolicyMiddleware
(so a hit still gets their headers, the CSP with its nonce) and before SessionMiddleware. A page is
kept from a miss with the headers it had at that point (Content-Type, Vary, Content-Language,
X-Frame-Options…), which a hit sends again; `Cache-Control` and gzip are added outside
(lapor/http_cache.py), for hits and misses alike.

Served from the cache only when all of these hold: GET or HEAD; the visitor sends no session cookie
and no message cookie (a signed-in visitor, or anyone with a session, always gets a rendered page);
the URL resolves to one of `PAGES`; the shared cache answers. Kept only when, in addition, the
rendered response is a 200 HTML page for an anonymous user, carries no message, sets no cookie but
the CSRF cookie, varies by nothing but Cookie and Accept-Language, is in the language the key says,
and its view did not call `skip()`.

Freshness (the key is language + scheme + host + full path with query; the entry records the
versions it was built from and is used only while they are all current):
- `reports` version — bumped by `report_changed()` (Report.save when the report is or was public,
  a deletion, a comment, a support: complaints/models.py), at once and again when the transaction
  commits, so a page rendered from data read before the commit cannot survive it. Pages showing
  reports (home, feed, search, report page) use it; the form and the tracking page do not.
- the reference-data generation (lapor/refcache.py: categories, regions, agencies…), read by each
  worker at most every 2 s.
- `all` version — `clear()` (tests; after a deploy that changed templates).
- every entry expires after `LAPOR_PAGE_CACHE_SECONDS` (60 s by default; 0 turns the cache off):
  the bound for what no version covers — a change made while Redis was unreachable (the bump could
  not be stored), a reporter renaming themself, a clock's state moved by the sweep — and, in the
  embedded mode (a local-memory cache per process), for a change made by another process.

Redis down: a lookup is a miss and nothing is stored (lapor/cache.py), the page is rendered as before.
"""

from __future__ import annotations

import functools
import re
import uuid

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import CsrfViewMiddleware, _unmask_cipher_token, get_token
from django.urls import Resolver404, get_urlconf, resolve
from django.utils import translation
from django.utils.module_loading import import_string

from . import refcache

ALL_KEY = "lapor:pages:all"
REPORTS_KEY = "lapor:pages:reports"
PAGE_PREFIX = "lapor:page:"

# URL name → does the page show reports (and so depend on the reports version)?
PAGES = {
    "home": True,
    "complaints:list": True,
    "complaints:detail": True,
    "complaints:track": False,
    "complaints:submit": False,
}
ALLOWED_VARY = {"cookie", "accept-language"}
MESSAGES_COOKIE = "messages"  # django.contrib.messages' CookieStorage (behind FallbackStorage)

_MARK = b"\x00lapor-page-fill-%d\x00"
_CSRF_MARK = _MARK % 0
_NONCE_MARK = _MARK % 1
_TOKEN = re.compile(rb"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


def _new_token() -> str:
    return uuid.uuid4().hex


def clear() -> None:
    """Forget every kept page (tests; after a deploy that changed templates)."""
    cache.set(ALL_KEY, _new_token(), timeout=None)


def _bump_reports() -> None:
    cache.set(REPORTS_KEY, _new_token(), timeout=None)


def report_changed() -> None:
    """A report the public may see (or could see before) changed: pages showing reports are
    rendered again. Bumped now, and again when the transaction commits (a page rendered by a
    concurrent request from the rows before the commit is stored under the first bump's version)."""
    _bump_reports()
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        return
    if not any(func is _bump_reports for _sids, func, _robust in connection.run_on_commit):
        transaction.on_commit(_bump_reports)


def skip(request) -> None:
    """This response must not be kept (a page meant for this visitor only)."""
    request._page_cache_skip = True


def fill(request, value: str, factory) -> None:
    """The page carries `value`, a per-response value made by `factory()` (a module-level function):
    a kept copy has it cut out, and every response from the cache gets a new one."""
    if value:
        fills = request.__dict__.setdefault("_page_cache_fills", [])
        fills.append((value, f"{factory.__module__}.{factory.__qualname__}"))


@functools.lru_cache(maxsize=32)
def _factory(path: str):
    return import_string(path)


def _language(request) -> str:
    """The language LocaleMiddleware will activate for this request (the same steps)."""
    urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
    i18n_patterns_used, prefixed_default_language = is_language_prefix_patterns_used(urlconf)
    language = translation.get_language_from_request(request, check_path=i18n_patterns_used)
    from_path = translation.get_language_from_path(request.path_info)
    if not from_path and i18n_patterns_used and not prefixed_default_language:
        language = settings.LANGUAGE_CODE
    return language


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.csrf = CsrfViewMiddleware(get_response)

    def __call__(self, request):
        seconds = settings.LAPOR_PAGE_CACHE_SECONDS
        if (
            seconds <= 0
            or request.method not in ("GET", "HEAD")
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or MESSAGES_COOKIE in request.COOKIES
        ):
            return self.get_response(request)
        language = _language(request)
        with translation.override(language):
            try:
                match = resolve(request.path_info, get_urlconf())
            except Resolver404:
                match = None
        if match is None or match.view_name not in PAGES or (match.view_name == "complaints:track" and request.GET):
            return self.get_response(request)
        ref = refcache.generation()
        if ref is None:  # the cache is unavailable: render
            return self.get_response(request)
        key = f"{PAGE_PREFIX}{language}:{request.scheme}://{request.get_host()}{request.get_full_path()}"
        found = cache.get_many([ALL_KEY, REPORTS_KEY, key])
        versions = (found.get(ALL_KEY), found.get(REPORTS_KEY) if PAGES[match.view_name] else "-", ref)
        entry = found.get(key)
        if entry is not None and entry[0] == versions:
            return self._from_cache(request, match, entry)
        response = self.get_response(request)
        if None in versions:
            # A version was never set (or evicted): set it, keep nothing this time.
            cache.add(ALL_KEY, _new_token(), timeout=None)
            cache.add(REPORTS_KEY, _new_token(), timeout=None)
        else:
            entry = self._entry(request, response, language, versions)
            if entry is not None:
                cache.set(key, entry, timeout=seconds)
        return response

    def _entry(self, request, response, language, versions):
        """What to keep of a rendered response, or None if it must not be kept."""
        if (
            request.method != "GET"
            or response.status_code != 200
            or response.streaming
            or not (response.get("Content-Type") or "").startswith("text/html")
            or getattr(request, "_page_cache_skip", False)
            or getattr(getattr(request, "user", None), "is_authenticated", True)
            or response.get("Content-Language") != language
            or set(response.cookies) - {settings.CSRF_COOKIE_NAME}
        ):
            return None
        from .http_cache import has_messages

        if has_messages(request):
            return None
        vary = {v.strip().lower() for v in (response.get("Vary") or "").split(",") if v.strip()}
        if not vary <= ALLOWED_VARY:
            return None
        body = response.content
        if b"\x00lapor-page-fill-" in body:
            return None
        secret = request.META.get("CSRF_COOKIE")
        if secret:
            body = _TOKEN.sub(
                lambda m: _CSRF_MARK if _unmask_cipher_token(m.group().decode()) == secret else m.group(), body
            )
        nonce = getattr(request, "_csp_nonce", None)
        uses_nonce = isinstance(nonce, str) and nonce.encode() in body
        if uses_nonce:
            body = body.replace(nonce.encode(), _NONCE_MARK)
        fills = []
        for i, (value, factory) in enumerate(getattr(request, "_page_cache_fills", ()), start=2):
            mark = _MARK % i
            body = body.replace(value.encode(), mark)
            fills.append((mark, factory))
        headers = [(k, v) for k, v in response.items() if k.lower() != "content-length"]
        return (versions, headers, body, _CSRF_MARK in body, uses_nonce, fills)

    def _from_cache(self, request, match, entry):
        from django.http import HttpResponse

        _versions, headers, body, uses_csrf, uses_nonce, fills = entry
        request.resolver_match = match
        self.csrf.process_request(request)  # the visitor's CSRF cookie, or a new one if it is malformed
        if uses_csrf:
            body = body.replace(_CSRF_MARK, get_token(request).encode())
        if uses_nonce:
            body = body.replace(_NONCE_MARK, str(request.csp_nonce).encode())
        for mark, factory in fills:
            body = body.replace(mark, _factory(factory)().encode())
        response = HttpResponse(body)
        for name, value in headers:
            response[name] = value
        response["Content-Length"] = str(len(body))
        return self.csrf.process_response(request, response)
