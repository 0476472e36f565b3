"""HTTP caching headers: the anonymous public pages may be kept briefly by the visitor's browser,
nothing else may be kept at all.

Every page carries a CSRF token (the language switch is a POST form), bound to the visitor's own
cookie, so no page may go to a shared cache (a proxy or CDN would hand one visitor's token to
another): the public pages are `private` (the browser only) for PUBLIC_MAX_AGE seconds and vary by
cookie and language. Pages for a logged-in user, and any page that shows a one-time message or
carries a one-time submission token (the report form, the home page that embeds it), are sent with
`no-store`-style headers so that nothing per-user is ever reused. Responses that already say how
to cache (file downloads, the API) are left alone.

The same anonymous pages are also kept whole on the server (lapor/page_cache.py, inside this
middleware): a page answered from there passes through here like a rendered one, so it gets the same
Cache-Control and Vary and is compressed the same way.
"""

from __future__ import annotations

import gzip
import secrets

from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.utils.cache import add_never_cache_headers, patch_cache_control, patch_vary_headers

PUBLIC_MAX_AGE = 60
# Anonymous GETs of these pages (URL names) are the same for every visitor but for the CSRF token.
PUBLIC_PAGES = {"complaints:list", "complaints:detail", "complaints:track"}


def has_messages(request) -> bool:
    storage = getattr(request, "_messages", None)
    return bool(storage is not None and (getattr(storage, "_queued_messages", None) or getattr(storage, "used", False)))


class CacheHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control") or request.method not in ("GET", "HEAD"):
            return response
        if not (response.get("Content-Type") or "").startswith("text/html"):
            return response
        match = getattr(request, "resolver_match", None)
        public = (
            response.status_code == 200
            and match is not None
            and match.view_name in PUBLIC_PAGES
            and not getattr(getattr(request, "user", None), "is_authenticated", False)
            and not has_messages(request)
        )
        if public:
            patch_cache_control(response, private=True, max_age=PUBLIC_MAX_AGE)
            patch_vary_headers(response, ["Cookie", "Accept-Language"])
        else:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response


COMPRESSIBLE = ("text/", "application/json", "application/problem+json", "application/javascript", "image/svg+xml")


# zlib's level for a page's body. Django's 6 cost 0.59 ms of CPU for the signed-in feed's 46 KB, 0.67 ms for
# the report form's 55 KB — a quarter to a third of the page's CPU — for 12-14 % fewer bytes than 2
# (0.20 / 0.22 ms): feed 8.9 -> 10.1 KB, form 11.2 -> 12.6 KB (issue #15; docs/benchmarks.md).
COMPRESS_LEVEL = 2


def compress(body: bytes, max_random_bytes: int) -> bytes:
    """Django's compress_string at COMPRESS_LEVEL: gzip with a random-length file name in the header
    (Django's BREACH mitigation: the compressed size of a page with a secret on it varies per response)."""
    compressed = gzip.compress(body, compresslevel=COMPRESS_LEVEL, mtime=0)
    header = bytearray(compressed[:10])
    header[3] = gzip.FNAME
    return bytes(header) + b"a" * secrets.randbelow(max_random_bytes) + b"\x00" + compressed[10:]


class CompressTextMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for text only (photos, PDFs and spreadsheets are compressed already), a
    whole body compressed at COMPRESS_LEVEL."""

    def process_response(self, request, response):
        if not (response.get("Content-Type") or "").startswith(COMPRESSIBLE):
            return response
        if response.streaming:
            return super().process_response(request, response)
        # GZipMiddleware.process_response for a whole body, but for the level.
        if len(response.content) < 200 or response.has_header("Content-Encoding"):
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not re_accepts_gzip.search(request.headers.get("accept-encoding", "")):
            return response
        compressed = compress(response.content, self.max_random_bytes)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):  # a strong ETag made weak, as Django does
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response
