"""django-csp's middleware with the policy built once per process instead of once per response.

django-csp builds the Content-Security-Policy text from settings for every response (the settings'
directives copied, merged, joined: ~0.06 ms of CPU a page, issue #15). The text depends only on the
settings and on the request's nonce, so it is built once per process with a placeholder where the nonce
goes and the nonce put in per response. A response with its own policy (django-csp's decorators'
`_csp_*` attributes) and a debug error page take django-csp's own path, as does any setting change
(tests): the kept text is forgotten when a CONTENT_SECURITY_POLICY setting changes.
"""

from __future__ import annotations

import http.client as http_client

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

# A response carrying any of these has a policy of its own (csp.decorators): django-csp builds it.
_OWN_POLICY = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)
_DEBUG_CODES = (http_client.INTERNAL_SERVER_ERROR, http_client.NOT_FOUND)
# Stands for the nonce in the kept text: never part of a policy (base64 has no NUL).
_NONCE = "\x00lapor-csp-nonce\x00"

_kept: dict = {}


def _policy(report_only: bool) -> tuple[str, str, tuple[str, ...]]:
    """(the policy with a nonce placeholder, the policy without a nonce, the excluded path prefixes)."""
    key = report_only
    kept = _kept.get(key)
    if kept is None:
        setting = "CONTENT_SECURITY_POLICY_REPORT_ONLY" if report_only else "CONTENT_SECURITY_POLICY"
        prefixes = tuple((getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
        kept = _kept[key] = (
            build_policy(nonce=_NONCE, report_only=report_only),
            build_policy(nonce=None, report_only=report_only),
            prefixes,
        )
    return kept


@receiver(setting_changed)
def _forget(setting, **kwargs) -> None:
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        _kept.clear()


class CSPMiddleware(BaseCSPMiddleware):
    def process_response(self, request, response):
        if response.status_code in _DEBUG_CODES or any(hasattr(response, name) for name in _OWN_POLICY):
            return super().process_response(request, response)
        nonce = getattr(request, "_csp_nonce", None)
        for header, report_only in ((HEADER, False), (HEADER_REPORT_ONLY, True)):
            with_nonce, without_nonce, prefixes = _policy(report_only)
            policy = with_nonce.replace(_NONCE, nonce) if nonce else without_nonce
            if policy and header not in response and not (prefixes and request.path_info.startswith(prefixes)):
                response[header] = policy
        # As django-csp: once the header is written, reading the nonce is an error (it would not be in it).
        if getattr(request, "_csp_nonce", None) is None:
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
