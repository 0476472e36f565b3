"""Reference data for integrating apps: the codes the intake accepts (regions, categories,
agencies), public and cacheable: each answer carries a strong ETag of its body, and a request
with a matching If-None-Match gets 304 with no body."""

from __future__ import annotations

import hashlib
import json

from django.http import HttpResponse, HttpResponseNotModified
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language

from agencies.models import Agency, Region
from complaints.models import Category

from .http import api_view

MAX_AGE = 3600


def cached_json(request, data) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    wanted = [t.strip().removeprefix("W/") for t in request.headers.get("If-None-Match", "").split(",")]
    if etag in wanted or "*" in wanted:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="application/json")
    response["ETag"] = etag
    response["Vary"] = "Accept-Language"
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    return response


@api_view("GET", "HEAD")
def regions(request):
    rows = Region.objects.order_by("code").values_list("code", "name", "level", "parent_id", "timezone")
    return cached_json(
        request,
        {
            "results": [
                {"code": c, "name": n, "level": level, "parent_code": p, "timezone": tz} for c, n, level, p, tz in rows
            ]
        },
    )


@api_view("GET", "HEAD")
def categories(request):
    english = (get_language() or "").startswith("en")
    rows = (
        Category.objects.filter(is_active=True)
        .select_related("parent")
        .order_by("parent__position", "position", "name")
    )
    return cached_json(
        request,
        {
            "results": [
                {
                    "code": c.code,
                    "name": (c.name_en or c.name) if english else c.name,
                    "parent_code": c.parent.code if c.parent_id else None,
                    # Reports are filed under a child category (the Open311 service_code).
                    "accepts_reports": c.parent_id is not None,
                }
                for c in rows
            ]
        },
    )


@api_view("GET", "HEAD")
def agencies(request):
    rows = Agency.objects.active().order_by("path").values_list("code", "name", "kind", "parent__code", "region_id")
    return cached_json(
        request,
        {
            "results": [
                {"code": c, "name": n, "kind": kind, "parent_code": p, "region_code": r} for c, n, kind, p, r in rows
            ]
        },
    )
