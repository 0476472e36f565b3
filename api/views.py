"""The v1 JSON API for integrated applications (docs/api.md, /api/v1/openapi.json)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from agencies.models import in_subtrees
from complaints import access, uploads, workflow
from complaints.models import Attachment, Report, Status

from . import feed, opendata
from .actions import ACTIONS, idempotent
from .http import ApiError, api_view, error_response, json_body, key_from_request, sandboxed
from .intake import check_attachments, check_shape, intake, workflow_error
from .models import ApiKey, ExternalReference
from .openapi import SCHEMA


def reports_for_key(key: ApiKey):
    """What a key may read or act on: reports its agency's subtree handles or handled, and the
    reports its agency's applications pushed — never confidential ones, never practice."""
    handled = Report.objects.handled_by_subtrees([key.agency])
    pushed = Report.objects.filter(in_subtrees([key.agency], "external_reference__source_agency"))
    return (handled | pushed).not_confidential().real()


def report_for_key(key: ApiKey, tracking_no: str) -> Report:
    if not (tracking_no or "").isalnum():
        raise ApiError(404, _("Laporan tidak ditemukan."))
    report = (
        reports_for_key(key)
        .select_related("agency", "category", "regency", "reporter")
        .filter(tracking_no=(tracking_no or "").strip().upper())
        .first()
    )
    if report is None:
        raise ApiError(404, _("Laporan tidak ditemukan."))
    return report


def handles(key: ApiKey, report: Report) -> bool:
    """Whether the key's agency subtree handles or handled the report: then the key sees what its
    staff see in the admin (access.staff_reports), with the same redaction of the reporter."""
    return access.staff_reports(key.service_user, Report.objects.filter(pk=report.pk)).exists()


def report_json(request, report: Report, key: ApiKey) -> dict:
    content = handles(key, report)
    events = report.events.select_related("agency", "target_agency").order_by("created_at", "pk")
    if not content:
        events = events.filter(is_public=True)
    else:
        events = events.prefetch_related("attachments")
    ref = ExternalReference.objects.filter(report=report, source_agency=key.agency).first()
    body = {
        "tracking_no": report.tracking_no,
        "status": report.status,
        "status_label": str(Status(report.status).label),
        "classification": report.classification,
        "category_code": report.category.code,
        "regency_code": report.regency_id,
        "district_code": report.kecamatan_id,
        "village_code": report.kelurahan_id,
        "channel": report.channel,
        "agency": {"code": report.agency.code, "name": report.agency.name} if report.agency_id else None,
        "external_id": ref.external_id if ref else None,
        "created_at": report.created_at.isoformat(),
        "updated_at": report.updated_at.isoformat(),
        "due_at": report.due_at.isoformat() if report.due_at else None,
        "url": request.build_absolute_uri(reverse("complaints:detail", args=[report.tracking_no])),
        "content": _content(request, report, key) if content else None,
        "timeline": [_event_json(request, report, e, content) for e in events],
    }
    return body


def _attachment_json(request, report: Report, attachment) -> dict:
    return {
        "name": attachment.original_name,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": request.build_absolute_uri(reverse("api:attachment", args=[report.tracking_no, attachment.pk])),
    }


def _event_json(request, report: Report, e, content: bool) -> dict:
    item = {
        "action": e.action,
        "label": str(e.action_label),
        "status": e.to_status,
        "status_label": str(Status(e.to_status).label) if e.to_status else "",
        "agency": e.agency.code if e.agency_id else None,
        "note": e.public_note,
        "occurred_at": e.created_at.isoformat(),
    }
    if content:
        item["is_public"] = e.is_public
        item["internal_note"] = e.internal_note
        item["target_agency"] = e.target_agency.code if e.target_agency_id else None
        item["attachments"] = [_attachment_json(request, report, a) for a in e.attachments.all()]
    return item


def _content(request, report: Report, key: ApiKey) -> dict:
    """What the handling agency's staff see in the admin: the text, place and the reporter as
    access.reporter_shown_to shows them to that agency (an Anonim reporter stays "Anonim")."""
    reporter = access.reporter_shown_to(key.service_user, report)
    return {
        "title": report.title,
        "body": report.body,
        "event_date": report.event_date.isoformat(),
        "province_code": report.province_id,
        "district": report.district,
        "latitude": float(report.latitude) if report.latitude is not None else None,
        "longitude": float(report.longitude) if report.longitude is not None else None,
        "tags": report.tags,
        "is_anonymous": report.is_anonymous,
        "reporter": {k: reporter[k] for k in ("name", "email", "phone", "nik")} | {"identity_shown": reporter["full"]},
        "attachments": [_attachment_json(request, report, a) for a in report.attachments.filter(event__isnull=True)],
    }


@api_view("GET", "HEAD")
def attachment(request, tracking_no, pk):
    """An attachment of a report the key's subtree handles: any file its staff could open in the admin."""
    key = key_from_request(request)
    report = report_for_key(key, tracking_no)
    item = Attachment.objects.filter(report=report, pk=pk).first() if handles(key, report) else None
    stored = uploads.file_for(item, key.service_user, report) if item else None
    if stored is None:
        raise ApiError(404, _("Lampiran tidak ditemukan."))
    try:
        return uploads.file_response(item, stored)
    except FileNotFoundError:
        raise ApiError(404, _("Lampiran tidak ditemukan.")) from None


def _summary(request, report: Report) -> dict:
    return {
        "tracking_no": report.tracking_no,
        "status": report.status,
        "status_label": str(Status(report.status).label),
        "url": request.build_absolute_uri(reverse("complaints:detail", args=[report.tracking_no])),
    }


@csrf_exempt
@api_view("GET", "HEAD", "POST")
def reports(request):
    key = key_from_request(request)
    if request.method in ("GET", "HEAD"):
        return changes(request, key)
    data = json_body(request)

    def run():
        if key.is_sandbox and isinstance(data.get("attachments"), list):
            # Checked as usual, never stored: no file is written for a sandbox report.
            check_attachments(data["attachments"])
            result = intake(key, {**data, "attachments": []})
        else:
            result = intake(key, data)
        return JsonResponse(_summary(request, result.report), status=201 if result.created else 200)

    return sandboxed(key, run)


FEED_PARAMS = {"updated_since", "cursor", "limit"}


def changes(request, key: ApiKey) -> JsonResponse:
    """The changes feed: the key's reports by (updated_at, id), one keyset page at a time. A report
    changed again later moves to the end of the feed, so a client following next_cursor sees its
    latest state; rows younger than API_FEED_SETTLE_SECONDS wait for the next page (a transaction
    that commits late never lands behind a cursor already handed out)."""
    unknown = sorted(set(request.GET) - FEED_PARAMS)
    if unknown:
        raise ApiError(400, _("Parameter tidak dikenal: %(p)s.") % {"p": ", ".join(unknown)})
    limit = _int_param(request, "limit", default=100, low=1, high=500)
    qs = reports_for_key(key).filter(
        updated_at__lte=timezone.now() - dt.timedelta(seconds=settings.API_FEED_SETTLE_SECONDS)
    )
    if request.GET.get("cursor"):
        after_at, after_pk = feed.decode_cursor(request.GET["cursor"])
        qs = qs.filter(Q(updated_at__gt=after_at) | Q(updated_at=after_at, pk__gt=after_pk))
    elif request.GET.get("updated_since"):
        qs = qs.filter(updated_at__gte=feed.parse_since(request.GET["updated_since"]))
    page = list(qs.select_related("agency").order_by("updated_at", "pk")[:limit])
    next_cursor = feed.encode_cursor(page[-1]) if len(page) == limit else None
    return JsonResponse(
        {
            "results": [
                {
                    **_summary(request, r),
                    "agency": r.agency.code if r.agency_id else None,
                    "updated_at": r.updated_at.isoformat(),
                    "api_url": request.build_absolute_uri(reverse("api:report", args=[r.tracking_no])),
                }
                for r in page
            ],
            "next_cursor": next_cursor,
            "next": (
                request.build_absolute_uri(
                    reverse("api:reports") + "?" + urlencode({"cursor": next_cursor, "limit": limit})
                )
                if next_cursor
                else None
            ),
        }
    )


def _int_param(request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise ApiError(
            400,
            _("%(name)s harus bilangan bulat %(low)s–%(high)s.") % {"name": name, "low": low, "high": high},
            fields={name: _("nilai tidak sah")},
        )
    return value


@api_view("GET")
def report_detail(request, tracking_no):
    key = key_from_request(request)
    report = report_for_key(key, tracking_no)
    return JsonResponse(report_json(request, report, key))


@csrf_exempt
@api_view("POST")
def act(request, tracking_no, action):
    """POST /reports/<no>/<action>: one workflow action (api/actions.py), Idempotency-Key aware."""
    spec = ACTIONS.get(action)
    if spec is None:
        raise ApiError(404, _("Alamat API tidak dikenal."))
    key = key_from_request(request)
    data = json_body(request)
    check_shape(data, spec.fields)
    report = report_for_key(key, tracking_no)
    if spec.text_field and not data[spec.text_field].strip():
        raise ApiError(
            400,
            _("%(f)s tidak boleh kosong.") % {"f": spec.text_field},
            fields={spec.text_field: _("wajib diisi")},
        )

    def run():
        try:
            arguments = spec.arguments(key, data)
            if key.is_sandbox:
                arguments.pop("attachments", None)  # checked, never stored
            event = spec.function(report, by=key.service_user, **arguments)
        except workflow.WorkflowError as exc:
            raise workflow_error(exc) from None
        body = _summary(request, report)
        body["event"] = {"action": event.action, "occurred_at": event.created_at.isoformat()}
        return JsonResponse(body, status=201)

    return sandboxed(key, lambda: idempotent(request, key, run))


@require_GET
def openapi(request):
    return JsonResponse(SCHEMA)


@require_GET
def open_data(request):
    """The public index of the daily open-data files and their dictionary."""
    files = [
        {
            "name": f.name,
            "size": f.stat().st_size,
            "url": request.build_absolute_uri(reverse("api:open_data_file", args=[f.name])),
        }
        for f in opendata.published_files()
    ]
    context = {
        "license": opendata.LICENSE,
        "license_url": opendata.LICENSE_URL,
        "datapackage": request.build_absolute_uri(reverse("api:datapackage")),
        "description": str(opendata.DESCRIPTION),
        "dictionary": opendata.dictionary(),
        "files": files,
    }
    if request.GET.get("format") == "json" or not request.accepts("text/html"):
        return JsonResponse(context)
    return render(request, "api/open_data.html", context)


@require_GET
def datapackage(request):
    """The Frictionless Data Package descriptor: field types, allowed values, licence."""
    return JsonResponse(
        opendata.datapackage(lambda name: request.build_absolute_uri(reverse("api:open_data_file", args=[name])))
    )


@require_GET
def open_data_file(request, name):
    path = opendata.published_file(name)
    if path is None:
        raise Http404(_("Berkas tidak ditemukan."))
    content_type = "text/csv; charset=utf-8" if name.endswith(".csv") else "application/json"
    return FileResponse(path.open("rb"), as_attachment=True, filename=name, content_type=content_type)


def not_found(request, *args, **kwargs):
    return error_response(ApiError(404, _("Alamat API tidak dikenal.")))
