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

from django.middleware.gzip import GZipMiddleware
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


class CompressTextMiddleware(GZipMiddleware):
    """Django's GZipMiddleware for text only: photos, PDFs and spreadsheets are compressed already."""

    def process_response(self, request, response):
        if not (response.get("Content-Type") or "").startswith(COMPRESSIBLE):
            return response
        return super().process_response(request, response)
