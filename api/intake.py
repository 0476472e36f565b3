"""Validation of API request bodies and the intake of reports from integrated applications.

Shape errors (unknown fields, wrong types, malformed values) answer 400 naming the field; domain
errors (unknown codes, a future date, a refused workflow action) answer 422 or 409. The v1 API and
Open311 both file reports through `intake()`, which calls complaints.workflow.submit."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from agencies.models import Agency, Region
from complaints import places, workflow
from complaints.models import Category, Channel, Classification, Report
from complaints.uploads import check_upload

from .http import ApiError
from .models import ApiKey, ExternalReference

# field → (JSON type(s), required). "date" is an ISO string; "number" excludes booleans.
REPORT_FIELDS = {
    "external_id": ("string", True),
    "classification": ("string", True),
    "title": ("string", True),
    "body": ("string", True),
    "event_date": ("date", True),
    "regency_code": ("string", True),
    "district_code": ("string", False),
    "village_code": ("string", False),
    "category_code": ("string", True),
    "suggested_agency_code": ("string", False),
    "reporter": ("object", False),
    "is_anonymous": ("boolean", False),
    "is_confidential": ("boolean", False),
    "channel": ("string", False),
    "attachments": ("array", False),
    "latitude": ("number", False),
    "longitude": ("number", False),
}
# places.AreaError.field → the request's field.
AREA_FIELDS = {"kelurahan": "village_code", "kecamatan": "district_code", "regency": "regency_code"}
REPORTER_FIELDS = {"name": ("string", False), "email": ("string", False), "phone": ("string", False)}
ATTACHMENT_FIELDS = {"name": ("string", True), "content_base64": ("string", True)}
MAX_LENGTHS = {"external_id": 100, "title": 200, "regency_code": 13, "category_code": 64, "suggested_agency_code": 64}
TYPE_NAMES = {
    "string": "string",
    "boolean": "boolean",
    "number": "number",
    "object": "object",
    "array": "array",
    "date": "string (YYYY-MM-DD)",
}


def _is_type(value, kind: str) -> bool:
    if kind in ("string", "date"):
        return isinstance(value, str)
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "object":
        return isinstance(value, dict)
    return isinstance(value, list)


def check_shape(data: dict, fields: dict, where: str = "") -> None:
    """Unknown fields, missing required fields and wrong types → ApiError 400 naming them all."""
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ApiError(
            400,
            _("Kolom tidak dikenal: %(fields)s.") % {"fields": ", ".join(where + k for k in unknown)},
            fields={where + k: _("kolom tidak dikenal") for k in unknown},
        )
    errors = {}
    for name, (kind, required) in fields.items():
        if name not in data or data[name] is None:
            if required:
                errors[where + name] = _("wajib diisi")
            continue
        if not _is_type(data[name], kind):
            errors[where + name] = _("harus bertipe %(type)s") % {"type": TYPE_NAMES[kind]}
        elif kind in ("string", "date") and "\x00" in data[name]:
            errors[where + name] = _("tidak boleh memuat karakter NUL")
        elif kind in ("string", "date") and name in MAX_LENGTHS and len(data[name]) > MAX_LENGTHS[name]:
            errors[where + name] = _("paling panjang %(n)s karakter") % {"n": MAX_LENGTHS[name]}
    if errors:
        raise ApiError(
            400,
            _("Isian tidak sah: %(fields)s.") % {"fields": "; ".join(f"{k} {v}" for k, v in errors.items())},
            fields=errors,
        )


def parse_date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ApiError(
            400, _("%(field)s harus tanggal YYYY-MM-DD.") % {"field": field}, fields={field: _("format tanggal salah")}
        ) from None


def check_attachments(items: list, where: str = "attachments") -> list:
    if len(items) > settings.API_MAX_ATTACHMENTS:
        raise ApiError(
            400,
            _("Paling banyak %(n)s lampiran.") % {"n": settings.API_MAX_ATTACHMENTS},
            fields={where: _("terlalu banyak lampiran")},
        )
    checked = []
    for i, item in enumerate(items):
        field = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise ApiError(400, _("%(field)s harus berupa objek.") % {"field": field}, fields={field: _("harus objek")})
        check_shape(item, ATTACHMENT_FIELDS, where=field + ".")
        try:
            data = base64.b64decode(item["content_base64"], validate=True)
        except (binascii.Error, ValueError):
            raise ApiError(
                400,
                _("%(field)s.content_base64 bukan base64 yang sah.") % {"field": field},
                fields={field + ".content_base64": _("base64 tidak sah")},
            ) from None
        try:
            checked.append(check_upload(SimpleUploadedFile(item["name"] or "lampiran", data)))
        except ValidationError as exc:
            raise ApiError(422, " ".join(exc.messages), fields={field: " ".join(exc.messages)}) from None
    return checked


def workflow_error(exc: workflow.WorkflowError) -> ApiError:
    return ApiError(409 if isinstance(exc, workflow.ActionNotAllowed) else 422, str(exc))


@dataclass
class Intake:
    report: Report
    created: bool


def intake(key: ApiKey, data: dict, *, reference: dict | None = None) -> Intake:
    """File (or find again) the report an integrated application pushes. Idempotent by
    (the key's agency, external_id). `reference` holds more ExternalReference fields (Open311's
    address and media_url)."""
    check_shape(data, REPORT_FIELDS)
    reporter = data.get("reporter") or {}
    check_shape(reporter, REPORTER_FIELDS, where="reporter.")
    digest = payload_hash(data)
    existing = (
        ExternalReference.objects.filter(source_agency=key.agency, external_id=data["external_id"])
        .select_related("report")
        .first()
    )
    if existing is not None:
        return _again(existing, digest)

    blank = [f for f in ("external_id", "title", "body") if not data[f].strip()]
    if blank:
        raise ApiError(
            400,
            _("Kolom berikut tidak boleh kosong: %(fields)s.") % {"fields": ", ".join(blank)},
            fields={f: _("wajib diisi") for f in blank},
        )
    if data["classification"] not in Classification.values:
        raise _choice_error("classification", Classification.values)
    channel = data.get("channel") or Channel.INTEGRATED
    if channel not in Channel.values:
        raise _choice_error("channel", Channel.values)
    event_date = parse_date(data["event_date"], "event_date")
    for field, low, high in (("latitude", -90, 90), ("longitude", -180, 180)):
        value = data.get(field)
        if value is not None and not low <= value <= high:
            raise ApiError(400, _("%(f)s harus di antara %(a)s dan %(b)s.") % {"f": field, "a": low, "b": high})
    attachments = check_attachments(data.get("attachments") or [])

    regency = Region.objects.filter(code=data["regency_code"], level=Region.Level.REGENCY).first()
    if regency is None:
        raise _unknown("regency_code", data["regency_code"])
    try:
        kecamatan, kelurahan = places.areas_from_codes(data.get("district_code") or "", data.get("village_code") or "")
        _p, _r, kecamatan, kelurahan = places.check_areas(
            province=regency.parent, regency=regency, kecamatan=kecamatan, kelurahan=kelurahan
        )
    except places.AreaError as exc:
        # Named by the field that was sent: a village alone is at fault for its district's place too.
        sent = [name for name in ("village_code", "district_code") if data.get(name)]
        field = AREA_FIELDS.get(exc.field, "district_code")
        raise ApiError(422, str(exc), fields={field if field in sent else (sent or [field])[0]: str(exc)}) from None
    category = Category.objects.filter(code=data["category_code"], is_active=True, parent__isnull=False).first()
    if category is None:
        raise _unknown("category_code", data["category_code"])
    agency = None  # not chosen: complaints.routing picks it, as for every channel
    if data.get("suggested_agency_code"):
        agency = Agency.objects.subtree_of(key.agency).active().filter(code=data["suggested_agency_code"]).first()
        if agency is None:
            raise ApiError(
                422,
                _("Instansi “%(code)s” tidak dikenal atau di luar cakupan kunci API ini.")
                % {"code": data["suggested_agency_code"]},
                fields={"suggested_agency_code": _("di luar cakupan")},
            )
    contact = " / ".join(v.strip() for v in (reporter.get("email") or "", reporter.get("phone") or "") if v.strip())
    submission_key = hashlib.sha256(f"api:{key.agency_id}:{data['external_id']}".encode()).hexdigest()
    try:
        with transaction.atomic():
            report = workflow.submit(
                by=key.service_user,
                off_platform=True,
                classification=data["classification"],
                title=data["title"].strip()[:200],
                body=data["body"],
                event_date=event_date,
                province=regency.parent,
                regency=regency,
                kecamatan=kecamatan,
                kelurahan=kelurahan,
                category=category,
                suggested_agency=agency,
                latitude=_decimal(data.get("latitude")),
                longitude=_decimal(data.get("longitude")),
                is_anonymous=bool(data.get("is_anonymous")),
                is_confidential=bool(data.get("is_confidential")),
                channel=channel,
                reporter_name=(reporter.get("name") or "").strip()[:150],
                reporter_contact=contact[:150],
                submission_key=submission_key,
                attachments=attachments,
            )
            _ref, created = ExternalReference.objects.get_or_create(
                source_agency=key.agency,
                external_id=data["external_id"],
                defaults={"report": report, "api_key": key, "payload_hash": digest, **(reference or {})},
            )
    except workflow.WorkflowError as exc:
        raise workflow_error(exc) from None
    except IntegrityError:
        # Two pushes of the same external id raced: the other one won.
        ref = ExternalReference.objects.filter(source_agency=key.agency, external_id=data["external_id"]).first()
        if ref is None:
            raise
        return _again(ref, digest)
    return Intake(report, created=created)


def payload_hash(data: dict) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _again(ref: ExternalReference, digest: str) -> Intake:
    """A push of an external id already filed: the same body is a retry (200, the stored report);
    another body is a change that was NOT applied (409, with the stored report)."""
    if ref.payload_hash and ref.payload_hash != digest:
        report = ref.report
        raise ApiError(
            409,
            _(
                "external_id “%(id)s” sudah dipakai laporan %(no)s dengan isi lain; perubahan ini tidak diterapkan. "
                "Gunakan external_id baru untuk laporan baru."
            )
            % {"id": ref.external_id, "no": report.tracking_no},
            fields={"external_id": _("sudah dipakai dengan isi lain")},
            extra={"report": {"tracking_no": report.tracking_no, "status": report.status}},
        )
    return Intake(ref.report, created=False)


def _decimal(value):
    return None if value is None else round(float(value), 6)


def _choice_error(field: str, values) -> ApiError:
    return ApiError(
        400,
        _("%(field)s harus salah satu dari: %(values)s.") % {"field": field, "values": ", ".join(values)},
        fields={field: _("nilai tidak sah")},
    )


def _unknown(field: str, value: str) -> ApiError:
    return ApiError(
        422,
        _("%(field)s “%(value)s” tidak dikenal.") % {"field": field, "value": value},
        fields={field: _("tidak dikenal")},
    )
