"""Working a report through the API: each action is one complaints.workflow function, called as
the key's service user, so the same role and state checks apply as in the admin.

Every action accepts an `Idempotency-Key` header: the first successful answer is stored with the
key inside the action's transaction, and a retry with the same key and the same request gets that
answer again (header `Idempotent-Replayed: true`) instead of acting twice. The same key with another
request is refused (422). A refused action stores nothing, so it may be retried with the same key."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from agencies.models import Agency
from complaints import workflow

from .http import ApiError
from .intake import check_attachments
from .models import ApiKey, IdempotencyRecord

MAX_KEY_LENGTH = 255


@dataclass(frozen=True)
class ApiAction:
    function: Callable
    fields: dict  # field → (JSON type, required), as intake.check_shape takes them
    text_field: str | None  # the required text the workflow wants non-blank
    arguments: Callable[[ApiKey, dict], dict]  # the workflow function's keyword arguments


def _text(data: dict) -> dict:
    return {"note": data["note"]}


def _text_and_files(data: dict) -> dict:
    return {"note": data["note"], "attachments": check_attachments(data.get("attachments") or [])}


_note = ("string", True)
_optional = ("string", False)
_files = ("array", False)
ACTIONS = {
    "follow-ups": ApiAction(
        workflow.follow_up, {"note": _note, "attachments": _files}, "note", lambda key, d: _text_and_files(d)
    ),
    "responses": ApiAction(
        workflow.respond, {"note": _note, "attachments": _files}, "note", lambda key, d: _text_and_files(d)
    ),
    "draft-responses": ApiAction(
        workflow.draft_response, {"note": _note, "attachments": _files}, "note", lambda key, d: _text_and_files(d)
    ),
    "approvals": ApiAction(
        workflow.approve_response, {"note": _optional}, None, lambda key, d: {"note": d.get("note")}
    ),
    "holds": ApiAction(workflow.hold, {"note": _note}, "note", lambda key, d: _text(d)),
    "returns": ApiAction(workflow.return_report, {"reason": _note}, "reason", lambda key, d: {"reason": d["reason"]}),
    "forwards": ApiAction(
        workflow.forward,
        {"to_agency_code": _note, "note": _optional, "internal_note": _optional},
        None,
        lambda key, d: {
            "to_agency": _agency(key, d["to_agency_code"]),
            "note": d.get("note") or "",
            "internal_note": d.get("internal_note") or "",
        },
    ),
}


def _agency(key: ApiKey, code: str) -> Agency:
    agency = Agency.objects.subtree_of(key.agency).active().filter(code=code).first()
    if agency is None:
        raise ApiError(
            422,
            _("Instansi “%(code)s” tidak dikenal atau di luar cakupan kunci API ini.") % {"code": code},
            fields={"to_agency_code": _("di luar cakupan")},
        )
    return agency


def idempotent(request, key: ApiKey, run: Callable[[], JsonResponse]) -> JsonResponse:
    """Run `run` at most once per (key, Idempotency-Key) with a successful answer."""
    token = request.headers.get("Idempotency-Key", "").strip()
    if not token:
        return run()
    if len(token) > MAX_KEY_LENGTH or not token.isprintable():
        raise ApiError(
            400,
            _("Idempotency-Key paling panjang %(n)s karakter yang dapat dicetak.") % {"n": MAX_KEY_LENGTH},
            fields={"Idempotency-Key": _("nilai tidak sah")},
        )
    fingerprint = hashlib.sha256(
        b"%s %s\n%s" % (request.method.encode(), request.path.encode(), request.body)
    ).hexdigest()
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(api_key=key, key=token, fingerprint=fingerprint)
        except IntegrityError:
            # Stored by an earlier request (one still running commits first: the insert waits for it).
            record = IdempotencyRecord.objects.get(api_key=key, key=token)
            if record.fingerprint != fingerprint:
                raise ApiError(
                    422,
                    _("Idempotency-Key ini sudah dipakai untuk permintaan lain; gunakan kunci baru."),
                    fields={"Idempotency-Key": _("sudah dipakai")},
                ) from None
            response = JsonResponse(record.body, status=record.status)
            response["Idempotent-Replayed"] = "true"
            return response
        response = run()  # an ApiError undoes the record with the action
        record.status, record.body = response.status_code, json.loads(response.content)
        record.save(update_fields=["status", "body"])
    return response


def forget_idempotency_records(older_than=dt.timedelta(hours=24)) -> int:
    """Stored answers are kept a day: a client retries within minutes, never after a day."""
    return IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - older_than).delete()[0]
