"""Request plumbing shared by the v1 API and Open311: keys, rate limits, body limits, errors.

Every error answers with a message that says what was wrong; nothing here ever answers 500 for
bad input."""

from __future__ import annotations

import functools
import json
import logging
import time
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import JsonResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from lapor import ratelimit
from lapor.clientip import client_ip

from .models import ApiKey

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        fields: dict | None = None,
        headers: dict | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.status, self.message, self.fields, self.headers = status, message, fields or {}, headers or {}
        self.extra = extra or {}  # more members of the answer (e.g. the stored report of a 409)


def error_response(error: ApiError) -> JsonResponse:
    """RFC 9457 problem details (type, title, status, detail) with the v1 `error` object inside, so
    clients written against either shape read the same answer."""
    message = str(error.message)
    body = {
        "type": "about:blank",
        "title": HTTPStatus(error.status).phrase,
        "status": error.status,
        "detail": message,
        "error": {"status": error.status, "message": message},
    }
    if error.fields:
        body["error"]["fields"] = body["fields"] = {k: str(v) for k, v in error.fields.items()}
    body.update(error.extra)
    response = JsonResponse(body, status=error.status, content_type="application/problem+json")
    for name, value in error.headers.items():
        response[name] = value
    return response


def key_from_request(request, *, allow_param: bool = False) -> ApiKey:
    """The active key of this request (Authorization: Bearer …, or api_key for Open311), else ApiError."""
    header = request.headers.get("Authorization", "")
    raw = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if not raw and allow_param:
        raw = request.GET.get("api_key", "") or _form_value(request, "api_key")
    if not raw:
        raise ApiError(401, _("Kunci API wajib dikirim (Authorization: Bearer <kunci>)."))
    address = client_ip(request)
    limit, window = settings.API_BAD_KEY_LIMIT, settings.API_BAD_KEY_WINDOW
    if ratelimit.is_limited("api-bad-key", address, limit):
        raise ApiError(
            429,
            _("Terlalu banyak kunci API yang salah dari alamat ini; coba lagi dalam %(s)s detik.") % {"s": window},
            headers={"Retry-After": str(window)},
        )
    key = ApiKey.objects.authenticate(raw)
    if key is None or not key.is_active:
        ratelimit.hit("api-bad-key", address, window)  # guessing keys costs the guesser's address
        if key is None:
            raise ApiError(403, _("Kunci API tidak dikenal."))
        raise ApiError(403, _("Kunci API ini sudah dicabut."))
    request.rate_limit = check_rate(key)
    key.touch()
    return key


def sandboxed(key: ApiKey, run):
    """Run a write as usual; for a sandbox key, roll everything back afterwards (the report, the
    action, the outbox rows; the after-commit work is dropped with them) and mark the answer."""
    if not key.is_sandbox:
        return run()
    with transaction.atomic():
        response = run()
        transaction.set_rollback(True)
    if response.get("Content-Type", "").startswith("application/json"):
        body = json.loads(response.content)
        if isinstance(body, dict):
            body["sandbox"] = True
        response = JsonResponse(body, status=response.status_code, safe=False)
    response["LAPOR-Sandbox"] = "true"
    return response


def _form_value(request, name: str) -> str:
    if request.method != "POST" or not request.content_type.startswith(("application/x-www-form", "multipart/")):
        return ""
    return request.POST.get(name, "")


def check_rate(key: ApiKey) -> dict:
    """A fixed window per key in the cache: API_RATE_LIMIT requests per API_RATE_WINDOW seconds.
    Returns the RateLimit-* headers (IETF draft) that ApiSurfaceMiddleware adds to the answer."""
    window = settings.API_RATE_WINDOW
    now = time.time()
    slot = int(now // window)
    cache_key = f"api-rate:{key.prefix}:{slot}"
    cache.add(cache_key, 0, timeout=window + 5)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # evicted between add and incr
        cache.set(cache_key, 1, timeout=window + 5)
        count = 1
    reset = max(1, int((slot + 1) * window - now))
    headers = {
        "RateLimit-Limit": str(settings.API_RATE_LIMIT),
        "RateLimit-Remaining": str(max(0, settings.API_RATE_LIMIT - count)),
        "RateLimit-Reset": str(reset),
        "RateLimit-Policy": f"{settings.API_RATE_LIMIT};w={window}",
    }
    if count > settings.API_RATE_LIMIT:
        raise ApiError(
            429,
            _("Batas %(n)s permintaan per %(s)s detik terlampaui; coba lagi dalam %(r)s detik.")
            % {"n": settings.API_RATE_LIMIT, "s": window, "r": reset},
            headers={"Retry-After": str(reset), **headers},
        )
    return headers


def check_size(request) -> None:
    try:
        length = int(request.headers.get("content-length") or 0)
    except ValueError:
        length = 0
    if length > settings.API_MAX_BODY_BYTES:
        raise too_big()


def too_big() -> ApiError:
    return ApiError(
        413,
        _("Isi permintaan melebihi batas %(mb)s MB.") % {"mb": settings.API_MAX_BODY_BYTES // (1024 * 1024)},
    )


def json_body(request) -> dict:
    check_size(request)
    try:
        raw = request.body
    except RequestDataTooBig:
        raise too_big() from None
    if len(raw) > settings.API_MAX_BODY_BYTES:
        raise too_big()
    if not request.content_type.startswith("application/json"):
        raise ApiError(415, _("Kirim isi permintaan sebagai application/json."))
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, _("JSON tidak sah: %(error)s") % {"error": exc}) from None
    if not isinstance(data, dict):
        raise ApiError(400, _("Isi permintaan harus berupa objek JSON."))
    return data


def api_view(*methods: str):
    """Allow only `methods` (405 with a message otherwise) and turn ApiError into its JSON answer."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(
                        405,
                        _("Metode %(m)s tidak didukung; gunakan %(allowed)s.")
                        % {"m": request.method, "allowed": ", ".join(methods)},
                        headers={"Allow": ", ".join(methods)},
                    )
                return view(request, *args, **kwargs)
            except ApiError as error:
                return error_response(error)

        return wrapper

    return decorator


# --- The surfaces' own error formats, whatever answered ---

SURFACES = (("/api/", "api"), ("/open311/", "open311"))
GENERIC_MESSAGES = {
    400: gettext_lazy("Permintaan tidak sah."),
    403: gettext_lazy("Akses ditolak."),
    404: gettext_lazy("Alamat tidak dikenal atau data tidak ditemukan."),
    405: gettext_lazy("Metode tidak didukung di alamat ini."),
    413: gettext_lazy("Isi permintaan terlalu besar."),
    500: gettext_lazy("Terjadi kesalahan di server; coba lagi nanti."),
    503: gettext_lazy("Layanan sedang terganggu sebentar; coba lagi setelah waktu di Retry-After."),
}


def surface_of(path: str) -> str | None:
    return next((name for prefix, name in SURFACES if path.startswith(prefix)), None)


class ApiSurfaceMiddleware:
    """Under /api/ and /open311/: requests authenticate with keys, never cookies, so CSRF does not
    apply; and every error — an unknown path, a wrong method, a Django 404/500 page — answers in the
    surface's own format (problem details for v1, the `errors` list for Open311)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        surface = surface_of(request.path_info)
        if surface is None:
            return self.get_response(request)
        request._dont_enforce_csrf_checks = True
        # LocaleMiddleware gives every unprefixed path the default language (i18n_patterns with
        # prefix_default_language=False); an API client says its language with Accept-Language.
        language = translation.get_language_from_request(request, check_path=False)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        response.setdefault("Content-Language", language)
        patch_vary_headers(response, ["Accept-Language"])
        if response.status_code >= 400 and not _in_surface_format(response, surface):
            response = self._convert(request, response, surface)
        limit = getattr(request, "rate_limit", None)
        if limit is not None:
            for name, value in limit.items():
                response.setdefault(name, value)
        return response

    @staticmethod
    def _convert(request, response, surface):
        status = response.status_code
        message = GENERIC_MESSAGES.get(status) or HTTPStatus(status).phrase
        headers = {name: response[name] for name in ("Allow", "Retry-After") if response.has_header(name)}
        if surface == "open311":
            from .open311 import error

            converted = error("xml" if request.path_info.endswith(".xml") else "json", status, message)
            for name, value in headers.items():
                converted[name] = value
            return converted
        return error_response(ApiError(status, message, headers=headers))


def _in_surface_format(response, surface: str) -> bool:
    kind = response.get("Content-Type", "")
    if surface == "open311":
        return kind.startswith(("application/json", "text/xml"))
    return kind.startswith(("application/json", "application/problem+json"))
