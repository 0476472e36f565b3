"""Friendly error pages instead of Django's bare "Server Error (500)".

A database that is down or restarting (OperationalError, InterfaceError) answers 503 with
Retry-After; anything else 500. The pages are rendered from a plain context — no request context
processors, no session, no database, no cache — in the visitor's language, and offer a "try again":
a page reload for a GET, and for a report that could not be sent, a button that brings the form back
with everything typed (the form's draft, as after the login detour), so nothing typed is lost.
"""

from __future__ import annotations

import logging
import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.urls import Resolver404, resolve

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
UNAVAILABLE = (OperationalError, InterfaceError)
# Fields never echoed back into a page.
SECRET_FIELDS = ("csrfmiddlewaretoken", "password", "password1", "password2", "token", "otp")


def is_unavailable(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, UNAVAILABLE):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _typed(request) -> list[tuple[str, str]]:
    """What the visitor sent in a form (text only, no secrets), to give back to them."""
    if request.method != "POST":
        return []
    try:
        items = request.POST.lists()
        return [(k, v) for k, values in items for v in values if v and not any(s in k for s in SECRET_FIELDS)]
    except Exception:  # an unreadable body: nothing to give back
        return []


def _is_report_form(request) -> bool:
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name == "complaints:submit"


def server_error(request, template_name=None):
    """handler500: also called for exceptions raised by middleware."""
    unavailable = is_unavailable(sys.exc_info()[1])
    status = 503 if unavailable else 500
    typed = _typed(request)
    context = {
        "status": status,
        "path": request.get_full_path(),
        "method": request.method,
        "typed": typed,
        "report_form": bool(typed) and _is_report_form(request),
        "texts": [(k, v) for k, v in typed if len(v) >= 20],
        "retry_after": RETRY_AFTER_SECONDS,
    }
    try:
        context["csrf_token"] = get_token(request)
    except Exception:
        context["csrf_token"] = ""
    try:
        body = loader.get_template(f"errors/{status}.html").render(context)
    except Exception:  # the template itself failed: still not Django's bare page
        log.exception("The %s page could not be rendered", status)
        body = (
            "<!doctype html><html lang='id'><meta charset='utf-8'><title>LAPOR!</title>"
            "<h1>Layanan sedang terganggu / Service unavailable</h1>"
            "<p>Silakan coba lagi beberapa saat lagi. / Please try again in a moment.</p></html>"
        )
    response = HttpResponse(body, status=status)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
