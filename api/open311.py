"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) on top of LAPOR.

Services are the child categories (service_code = category code, group = parent category name).
service_request_id is the tracking number; status is open/closed (closed: completed, archived,
removed) with the LAPOR label in status_notes; agency_responsible is the holding agency;
expected_datetime is the earliest running clock's due time. GET requests show only public reports
(verified, not confidential, not removed) and never anything about the reporter; description is
the public title. POST requests files a report through the same intake as /api/v1/reports.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import xml.etree.ElementTree as ET

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from complaints import places
from complaints.models import CLOSED_STATUSES, Category, Classification, Report, Status

from .http import ApiError, check_size, key_from_request, sandboxed, too_big
from .intake import intake

DEFAULT_DAYS = 90
MAX_RESULTS = 1000
# XML: the element name of one item in each list (GeoReport v2 examples).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}
POST_FIELDS = {
    "api_key",
    "jurisdiction_id",
    "service_code",
    "lat",
    "long",
    "address_string",
    "address_id",
    "email",
    "device_id",
    "account_id",
    "first_name",
    "last_name",
    "phone",
    "description",
    "media_url",
    "attribute[classification]",
    "attribute[event_date]",
    "attribute[regency_code]",
    "attribute[district_code]",
    "attribute[village_code]",
}
# GET requests reads service_request_id, service_code, start_date, end_date, status, lat, long,
# radius (metres, default 1000, at most 50 km: the nearest first), page, page_size and extensions;
# other parameters (api_key, a client's own) are ignored, as clients expect.
DEFAULT_PAGE_SIZE = 100
DEFAULT_RADIUS_M = 1000


# --- Rendering ---


def _xml_value(parent: ET.Element, tag: str, value) -> None:
    el = ET.SubElement(parent, tag)
    _fill(el, tag, value)


def _fill(el: ET.Element, tag: str, value) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _xml_value(el, k, v)
    elif isinstance(value, list):
        for item in value:
            _xml_value(el, ITEM_TAGS.get(tag, "item"), item)
    elif isinstance(value, bool):
        el.text = "true" if value else "false"
    elif value is not None:
        el.text = str(value)


def render(fmt: str, root: str, data, status: int = 200) -> HttpResponse:
    if fmt == "xml":
        el = ET.Element(root)
        _fill(el, root, data)
        body = b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(el, encoding="utf-8")
        return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")
    return JsonResponse(data, status=status, safe=False)


def error(fmt: str, status: int, description) -> HttpResponse:
    return render(fmt, "errors", [{"code": status, "description": str(description)}], status=status)


def open311_view(view=None, *, methods=("GET", "HEAD")):
    """ApiError → the spec's error list; the v1 API's 409/422 become 400 (the spec knows 400/403/404).
    Other methods than `methods` answer 405 in the same format."""
    if view is None:
        return functools.partial(open311_view, methods=methods)

    @functools.wraps(view)
    def wrapper(request, fmt, *args, **kwargs):
        try:
            if request.method not in methods:
                raise ApiError(
                    405,
                    _("Metode %(m)s tidak didukung; gunakan %(allowed)s.")
                    % {"m": request.method, "allowed": ", ".join(methods)},
                    headers={"Allow": ", ".join(methods)},
                )
            return view(request, fmt, *args, **kwargs)
        except ApiError as exc:
            status = 400 if exc.status in (409, 415, 422) else 403 if exc.status == 401 else exc.status
            response = error(fmt, status, exc.message)
            for name, value in exc.headers.items():
                response[name] = value
            return response

    return wrapper


def _dt(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


# --- Discovery and services ---


@open311_view
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:discovery", args=["json"])).rsplit("/", 1)[0] + "/"
    return render(
        fmt,
        "discovery",
        {
            "changeset": "2026-01-01T00:00:00+07:00",
            "contact": settings.API_CONTACT,
            "key_service": _("Kunci API dibuat oleh Developer instansi di halaman admin LAPOR."),
            "endpoints": [
                {
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": base,
                    "changeset": "2026-01-01T00:00:00+07:00",
                    "type": "production",
                    "formats": ["application/json", "text/xml"],
                }
            ],
        },
    )


def _services():
    return (
        Category.objects.filter(is_active=True, parent__isnull=False)
        .select_related("parent")
        .order_by("parent__position", "position", "name")
    )


def _service(c: Category) -> dict:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": f"{c.parent.name} — {c.name}",
        "metadata": True,
        "type": "realtime",
        "keywords": c.name_en or "",
        "group": c.parent.name,
    }


@open311_view
def services(request, fmt):
    return render(fmt, "services", [_service(c) for c in _services()])


ATTRIBUTES = [
    {
        "variable": True,
        "code": "classification",
        "datatype": "singlevaluelist",
        "required": True,
        "datatype_description": gettext_lazy("Klasifikasi laporan."),
        "order": 1,
        "description": gettext_lazy("Klasifikasi"),
        "values": [{"key": value, "name": label} for value, label in Classification.choices],
    },
    {
        "variable": True,
        "code": "event_date",
        "datatype": "datetime",
        "required": False,
        "datatype_description": gettext_lazy("Tanggal dan waktu kejadian (ISO 8601); bawaan: hari ini."),
        "order": 2,
        "description": gettext_lazy("Tanggal kejadian"),
    },
    {
        "variable": True,
        "code": "regency_code",
        "datatype": "string",
        "required": False,
        "datatype_description": gettext_lazy(
            "Kode kabupaten/kota Kemendagri (51.03); bawaan: wilayah instansi pemilik kunci."
        ),
        "order": 3,
        "description": gettext_lazy("Kabupaten/kota"),
    },
    {
        "variable": True,
        "code": "district_code",
        "datatype": "string",
        "required": False,
        "datatype_description": gettext_lazy("Kode kecamatan Kemendagri (51.03.01), di dalam kabupaten/kota itu."),
        "order": 4,
        "description": gettext_lazy("Kecamatan"),
    },
    {
        "variable": True,
        "code": "village_code",
        "datatype": "string",
        "required": False,
        "datatype_description": gettext_lazy("Kode kelurahan/desa Kemendagri (51.03.01.1001), di dalam kecamatan itu."),
        "order": 5,
        "description": gettext_lazy("Kelurahan/desa"),
    },
]


def _attributes():
    result = []
    for attr in ATTRIBUTES:
        item = {k: (str(v) if k in ("datatype_description", "description") else v) for k, v in attr.items()}
        if "values" in item:
            item["values"] = [{"key": v["key"], "name": str(v["name"])} for v in attr["values"]]
        result.append(item)
    return result


@open311_view
def service_definition(request, fmt, code):
    category = _services().filter(code=code).first()
    if category is None:
        raise ApiError(404, _("service_code “%(code)s” tidak dikenal.") % {"code": code})
    return render(fmt, "service_definition", {"service_code": category.code, "attributes": _attributes()})


# --- Requests ---


def _area_names(r: Report) -> list[str]:
    return [a.name for a in (r.kelurahan, r.kecamatan) if a is not None]


def _request_json(r: Report, *, extensions: bool = False) -> dict:
    ref = getattr(r, "external_reference", None)  # None when not pushed by an application
    lat, long = r.public_coordinates()
    item = {
        "service_request_id": r.tracking_no,
        "status": "closed" if r.status in CLOSED_STATUSES else "open",
        "status_notes": str(Status(r.status).label),
        "service_name": r.category.name,
        "service_code": r.category.code,
        "description": r.title,
        "agency_responsible": r.agency.name if r.agency_id else _("Admin Nasional LAPOR"),
        "service_notice": "",
        "requested_datetime": _dt(r.created_at),
        "updated_datetime": _dt(r.updated_at),
        "expected_datetime": _dt(r.due_at),
        "address": (ref.address if ref and ref.address else None)
        or ", ".join(p for p in (r.district, *_area_names(r), r.regency.name, r.province.name) if p),
        "address_id": "",
        "zipcode": "",
        "lat": lat,
        "long": long,
        "media_url": ref.media_url if ref else "",
    }
    if extensions:
        # The common GeoReport v2 "extensions" parameter: LAPOR's own fields under extended_attributes.
        item["extended_attributes"] = {
            "lapor_status": r.status,
            "classification": r.classification,
            "channel": r.channel,
            "regency_code": r.regency_id,
            "district_code": r.kecamatan_id,
            "village_code": r.kelurahan_id,
            "agency_code": r.agency.code if r.agency_id else None,
            "url": reverse("complaints:detail", args=[r.tracking_no]),
        }
    return item


def _public_requests(qs=None):
    qs = Report.objects.public() if qs is None else qs
    return qs.select_related(
        "category", "agency", "regency", "province", "kecamatan", "kelurahan", "external_reference"
    )


def _flag(request, name: str) -> bool:
    return request.GET.get(name, "").strip().lower() in ("1", "true", "yes")


def _page_number(request, name: str, default: int, high: int) -> int:
    raw = request.GET.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= high:
        raise ApiError(400, _("%(name)s harus bilangan bulat 1–%(high)s.") % {"name": name, "high": high})
    return int(raw)


def _parse_when(value: str, name: str) -> dt.datetime:
    try:
        parsed = parse_datetime(value)
    except ValueError:
        parsed = None
    if parsed is None:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(value), dt.time())
        except ValueError:
            raise ApiError(
                400, _("%(name)s harus tanggal-waktu W3C (2026-01-05T08:00:00+07:00).") % {"name": name}
            ) from None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _near(request) -> tuple[float, float, float] | None:
    """(lat, long, radius in metres) from GET lat/long/radius, or None without lat and long."""
    raw = {name: request.GET.get(name, "").strip() for name in ("lat", "long", "radius")}
    if not raw["lat"] and not raw["long"]:
        return None
    try:
        lat, lng = float(raw["lat"]), float(raw["long"])
        radius = float(raw["radius"]) if raw["radius"] else DEFAULT_RADIUS_M
    except ValueError:
        raise ApiError(400, _("lat, long dan radius harus angka.")) from None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise ApiError(400, _("lat harus di antara -90 dan 90, long di antara -180 dan 180."))
    if not 0 < radius <= places.MAX_RADIUS_M:
        raise ApiError(400, _("radius harus di antara 1 dan %(max)s meter.") % {"max": places.MAX_RADIUS_M})
    return lat, lng, radius


@csrf_exempt
@open311_view(methods=("GET", "HEAD", "POST"))
def requests(request, fmt):
    if request.method == "POST":
        return _create(request, fmt)
    _refuse_nul(request.GET)
    page = _page_number(request, "page", 1, 1_000_000)
    page_size = _page_number(request, "page_size", DEFAULT_PAGE_SIZE, MAX_RESULTS)
    qs = _public_requests()
    ids = [i.strip().upper() for i in request.GET.get("service_request_id", "").split(",") if i.strip()]
    if ids:
        # The spec: with service_request_id every other parameter is ignored.
        qs = qs.filter(tracking_no__in=ids[:MAX_RESULTS])
    else:
        codes = [c.strip() for c in request.GET.get("service_code", "").split(",") if c.strip()]
        if codes:
            qs = qs.filter(category__code__in=codes)
        start = request.GET.get("start_date")
        end = request.GET.get("end_date")
        end_at = _parse_when(end, "end_date") if end else None
        start_at = _parse_when(start, "start_date") if start else None
        if start_at is None and end_at is None:
            start_at = timezone.now() - dt.timedelta(days=DEFAULT_DAYS)
        if start_at is not None:
            qs = qs.filter(created_at__gte=start_at)
        if end_at is not None:
            qs = qs.filter(created_at__lte=end_at)
        status = request.GET.get("status", "").strip().lower()
        if status:
            wanted = {s.strip() for s in status.split(",")}
            if not wanted <= {"open", "closed"}:
                raise ApiError(400, _("status harus open atau closed."))
            if wanted == {"open"}:
                qs = qs.exclude(status__in=CLOSED_STATUSES)
            elif wanted == {"closed"}:
                qs = qs.filter(status__in=CLOSED_STATUSES)
    start = (page - 1) * page_size
    near = None if ids else _near(request)
    if near is not None:
        # Nearest first (FixMyStreet's clients ask "what is around this point").
        reports = places.within_radius(qs.order_by(), *near, limit=start + page_size)[start:]
    else:
        reports = qs.order_by("-created_at", "-pk")[start : start + page_size]
    extensions = _flag(request, "extensions")
    return render(fmt, "service_requests", [_request_json(r, extensions=extensions) for r in reports])


@open311_view
def request_detail(request, fmt, request_id):
    """A public request; the key that posted a request (and its agency's subtree) may read its own
    requests before they are verified, through the same view (never confidential ones)."""
    tracking_no = request_id.strip().upper()
    report = _public_requests().filter(tracking_no=tracking_no).first()
    if report is None and _sends_key(request):
        from .views import reports_for_key

        key = key_from_request(request, allow_param=True)
        report = (
            _public_requests(reports_for_key(key).exclude(status=Status.REMOVED))
            .filter(tracking_no=tracking_no)
            .first()
        )
    if report is None:
        raise ApiError(404, _("service_request_id “%(id)s” tidak ditemukan.") % {"id": request_id})
    return render(fmt, "service_requests", [_request_json(report, extensions=_flag(request, "extensions"))])


def _sends_key(request) -> bool:
    return bool(request.GET.get("api_key") or request.headers.get("Authorization"))


@open311_view
def token(request, fmt, token_id):
    """Tokens are the tracking numbers themselves: POST already answers with service_request_id."""
    report = (
        Report.objects.real()
        .not_confidential()
        .filter(tracking_no=token_id.strip().upper())
        .exclude(status=Status.REMOVED)
        .first()
    )
    if report is None:
        raise ApiError(404, _("Token “%(t)s” tidak ditemukan.") % {"t": token_id})
    return render(fmt, "service_requests", [{"service_request_id": report.tracking_no, "token": token_id}])


def _refuse_nul(params) -> None:
    """PostgreSQL cannot store or compare NUL characters: refuse them as bad input, not a 500."""
    bad = sorted(k for k, values in params.lists() if any("\x00" in v for v in values))
    if bad:
        raise ApiError(400, _("Parameter memuat karakter NUL: %(p)s.") % {"p": ", ".join(bad)})


def _create(request, fmt):
    check_size(request)
    try:
        form = request.POST
    except RequestDataTooBig:
        raise too_big() from None
    key = key_from_request(request, allow_param=True)
    unknown = sorted(set(form) - POST_FIELDS)
    if unknown:
        raise ApiError(400, _("Parameter tidak dikenal: %(p)s.") % {"p": ", ".join(unknown)})
    _refuse_nul(form)
    get = lambda name: form.get(name, "").strip()  # noqa: E731
    if not get("service_code"):
        raise ApiError(400, _("service_code wajib diisi."))
    if not (get("lat") and get("long")) and not get("address_string") and not get("address_id"):
        raise ApiError(400, _("Lokasi wajib: lat dan long, atau address_string, atau address_id."))
    description = get("description")
    if not description:
        raise ApiError(400, _("description wajib diisi."))
    if len(description) > 4000:
        raise ApiError(400, _("description paling panjang 4000 karakter."))
    classification = get("attribute[classification]")
    if not classification:
        raise ApiError(400, _("attribute[classification] wajib diisi."))
    event_date = timezone.localdate()
    if get("attribute[event_date]"):
        event_date = timezone.localtime(_parse_when(get("attribute[event_date]"), "attribute[event_date]")).date()
    regency_code = get("attribute[regency_code]")
    if not regency_code:
        region = key.agency.region
        if region is None or region.level != "regency":
            raise ApiError(400, _("attribute[regency_code] wajib diisi untuk instansi ini."))
        regency_code = region.code
    coords = {}
    for name, field in (("lat", "latitude"), ("long", "longitude")):
        if get(name):
            try:
                coords[field] = float(get(name))
            except ValueError:
                raise ApiError(400, _("%(name)s harus angka.") % {"name": name}) from None
    media_url = get("media_url")
    if media_url and (len(media_url) > 500 or not media_url.lower().startswith(("http://", "https://"))):
        raise ApiError(400, _("media_url harus alamat http(s) paling panjang 500 karakter."))
    address = get("address_string")
    if len(address) > 255:
        raise ApiError(400, _("address_string paling panjang 255 karakter."))
    body = description
    if address:
        body += "\n\n" + _("Alamat: %(a)s") % {"a": address}
    name = " ".join(p for p in (get("first_name"), get("last_name")) if p)
    reporter = {k: v for k, v in (("name", name), ("email", get("email")), ("phone", get("phone"))) if v}
    # The same POST again (a client's retry) is the same request: the id comes from its content.
    content = sorted((k, v) for k, values in form.lists() if k != "api_key" for v in values)
    digest = hashlib.sha256(json.dumps(content, ensure_ascii=False).encode()).hexdigest()[:40]

    def run():
        result = intake(
            key,
            {
                "external_id": f"open311:{digest}",
                "classification": classification,
                "title": description.splitlines()[0][:100],
                "body": body,
                "event_date": event_date.isoformat(),
                "regency_code": regency_code,
                **{k: get(f"attribute[{k}]") for k in ("district_code", "village_code") if get(f"attribute[{k}]")},
                "category_code": get("service_code"),
                "is_anonymous": not reporter,
                **({"reporter": reporter} if reporter else {}),
                **coords,
            },
            reference={"address": address, "media_url": media_url},
        )
        return render(
            fmt,
            "service_requests",
            [{"service_request_id": result.report.tracking_no, "service_notice": "", "account_id": None}],
            status=201 if result.created else 200,
        )

    return sandboxed(key, run)


def not_found(request):
    fmt = "xml" if request.path.endswith(".xml") else "json"
    return error(fmt, 404, _("Alamat Open311 tidak dikenal; lihat discovery.json."))
