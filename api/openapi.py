"""The OpenAPI 3.1 description of /api/v1/, served at /api/v1/openapi.json (written by hand).

Every answer is described, errors included (problem details), with the limits the server enforces
(lengths, ranges, enums), the webhooks it sends (OpenAPI 3.1 `webhooks`) and links between
operations. api/tests/test_schemathesis.py checks the running API against it."""

from complaints.models import Channel, Classification, Status

from .actions import ACTIONS
from .intake import MAX_LENGTHS

PROBLEM = "application/problem+json"
NON_BLANK = r"\S"  # at least one character that is not white space

ERROR_TEXT = {
    "400": "Malformed JSON, unknown fields or parameters, wrong types or blank text (`fields` names them)",
    "401": "No API key (Authorization: Bearer lapor_…)",
    "403": "Unknown or revoked API key",
    "404": "Unknown report or address, or outside the key's agency subtree",
    "405": "Method not allowed (see Allow)",
    "409": "The workflow refuses the action in the report's current status, or the external_id was "
    "already used with another body (`report` is the stored report)",
    "413": "Body larger than API_MAX_BODY_BYTES (12 MB by default)",
    "415": "Body is not application/json",
    "422": "Valid shape but unknown codes, a future date, a refused attachment, an agency outside the "
    "key's subtree, or an Idempotency-Key reused for another request",
    "429": "Rate limit exceeded (Retry-After and RateLimit-Reset say when to retry)",
}
RATE_HEADERS = {
    "RateLimit-Limit": {"description": "Requests allowed per window for this key", "schema": {"type": "string"}},
    "RateLimit-Remaining": {"description": "Requests left in this window", "schema": {"type": "string"}},
    "RateLimit-Reset": {"description": "Seconds until the window resets", "schema": {"type": "string"}},
    "RateLimit-Policy": {"description": "limit;w=window-seconds", "schema": {"type": "string"}},
}


def _error(code: str) -> dict:
    answer = {
        "description": ERROR_TEXT[code],
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": RATE_HEADERS,
    }
    if code == "429":
        answer["headers"] = {**RATE_HEADERS, "Retry-After": {"required": True, "schema": {"type": "string"}}}
    if code == "405":
        answer["headers"] = {**RATE_HEADERS, "Allow": {"required": True, "schema": {"type": "string"}}}
    return answer


def _errors(*codes: str) -> dict:
    return {code: _error(code) for code in codes}


KEYED = ("400", "401", "403", "429")
WRITE = (*KEYED, "404", "405", "409", "413", "415", "422")


def _json(ref: str, description: str, **extra) -> dict:
    return {
        "description": description,
        "headers": RATE_HEADERS,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}},
        **extra,
    }


def _text(max_length: int | None = None, **extra) -> dict:
    schema = {"type": "string", "minLength": 1, "pattern": NON_BLANK, **extra}
    if max_length:
        schema["maxLength"] = max_length
    return schema


_nullable_string = {"type": ["string", "null"]}
_attachment = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "content_base64"],
    "properties": {
        "name": {"type": "string", "maxLength": 200},
        "content_base64": {
            "type": "string",
            "contentEncoding": "base64",
            "description": "JPEG, PNG, WebP or PDF, 2 MB each; the type is checked from the content",
        },
    },
}
_files = {"type": "array", "maxItems": 5, "items": _attachment}
_summary_properties = {
    "tracking_no": {"type": "string"},
    "status": {"type": "string", "enum": list(Status.values)},
    "status_label": {"type": "string"},
    "url": {"type": "string", "format": "uri", "description": "The report's public page"},
    "sandbox": {"type": "boolean", "description": "Present (true) for a sandbox key: nothing was stored"},
}
_tracking = {
    "name": "tracking_no",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "minLength": 1, "maxLength": 12},
}
_idempotency = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "A retry with the same key and request gets the stored answer (Idempotent-Replayed: true) "
    "instead of acting twice; the same key with another request is refused (422). Kept 24 hours.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[\x20-\x7e]+$"},
}
_action_bodies = {
    "follow-ups": ("A public follow-up (workflow follow_up)", {"note": _text(), "attachments": _files}, ["note"]),
    "responses": ("The agency's answer (workflow respond)", {"note": _text(), "attachments": _files}, ["note"]),
    "draft-responses": (
        "A draft answer awaiting approval, internal (workflow draft_response)",
        {"note": _text(), "attachments": _files},
        ["note"],
    ),
    "approvals": ("Approve and publish the latest draft (workflow approve_response)", {"note": {"type": "string"}}, []),
    "holds": ("Hold and ask the reporter for details (workflow hold)", {"note": _text()}, ["note"]),
    "returns": ("Return as not our authority (workflow return_report)", {"reason": _text()}, ["reason"]),
    "forwards": (
        "Forward to a unit below the handling agency (workflow forward)",
        {"to_agency_code": _text(64), "note": {"type": "string"}, "internal_note": {"type": "string"}},
        ["to_agency_code"],
    ),
}
assert set(_action_bodies) == set(ACTIONS)


def _action_path(name: str) -> dict:
    summary, properties, required = _action_bodies[name]
    return {
        "post": {
            "operationId": "act_" + name.replace("-", "_"),
            "summary": summary,
            "parameters": [_tracking, _idempotency],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": required,
                            "properties": properties,
                        }
                    }
                },
            },
            "responses": {
                "201": _json(
                    "ActionResult",
                    "Done (or the stored answer of an earlier request with this Idempotency-Key)",
                    links={
                        "GetReport": {
                            "operationId": "getReport",
                            "parameters": {"tracking_no": "$request.path.tracking_no"},
                        }
                    },
                ),
                **_errors(*WRITE),
            },
        }
    }


def _reference(name: str, item: dict) -> dict:
    return {
        "get": {
            "operationId": f"list_{name}",
            "summary": f"All {name} (codes the intake accepts); public, cacheable",
            "security": [],
            "parameters": [{"name": "If-None-Match", "in": "header", "required": False, "schema": {"type": "string"}}],
            "responses": {
                "200": {
                    "description": "The list, with a strong ETag",
                    "headers": {"ETag": {"required": True, "schema": {"type": "string"}}},
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["results"],
                                "properties": {"results": {"type": "array", "items": item}},
                            }
                        }
                    },
                },
                "304": {"description": "Not modified (If-None-Match matched the ETag)"},
                "405": _error("405"),
            },
        }
    }


_event = {
    "type": "object",
    "required": ["action", "label", "status", "occurred_at"],
    "properties": {
        "action": {"type": "string"},
        "label": {"type": "string"},
        "status": {"type": "string"},
        "status_label": {"type": "string"},
        "agency": _nullable_string,
        "note": {"type": "string"},
        "occurred_at": {"type": "string", "format": "date-time"},
        "is_public": {"type": "boolean", "description": "Handling agency only: false for internal entries"},
        "internal_note": {"type": "string", "description": "Handling agency only"},
        "target_agency": _nullable_string,
        "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/AttachmentLink"}},
    },
}

SCHEMA = {
    "openapi": "3.1.0",
    "info": {
        "title": "LAPOR! integration API",
        "version": "1.1.0",
        "description": "Push reports from integrated applications, follow the changes feed, read and work the "
        "reports your agency handles, and receive Standard Webhooks. See docs/api.md (curl examples, "
        "signature checking, versioning and deprecation policy). Open311 GeoReport v2 lives at /open311/v2/.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {
            "bearer": {"type": "http", "scheme": "bearer", "description": "lapor_<prefix>_<secret>"},
        },
        "schemas": {
            "Problem": {
                "type": "object",
                "description": "RFC 9457 problem details; `error` repeats them in the v1 shape",
                "required": ["type", "title", "status", "detail", "error"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "detail": {"type": "string"},
                    "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                    "report": {
                        "type": "object",
                        "description": "409 on a reused external_id: the stored report",
                        "properties": {"tracking_no": {"type": "string"}, "status": {"type": "string"}},
                    },
                    "error": {
                        "type": "object",
                        "required": ["status", "message"],
                        "properties": {
                            "status": {"type": "integer"},
                            "message": {"type": "string"},
                            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                    },
                },
            },
            "NewReport": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "external_id",
                    "classification",
                    "title",
                    "body",
                    "event_date",
                    "regency_code",
                    "category_code",
                ],
                "properties": {
                    "external_id": _text(MAX_LENGTHS["external_id"], description="Idempotency key per agency"),
                    "classification": {"type": "string", "enum": list(Classification.values)},
                    "title": _text(MAX_LENGTHS["title"]),
                    "body": _text(),
                    "event_date": {"type": "string", "format": "date", "description": "Not in the future"},
                    "regency_code": {"type": "string", "maxLength": MAX_LENGTHS["regency_code"], "examples": ["51.03"]},
                    "district_code": {
                        "type": "string",
                        "examples": ["51.03.01"],
                        "description": "Kecamatan (Kemendagri code) inside regency_code; else 422",
                    },
                    "village_code": {
                        "type": "string",
                        "examples": ["51.03.01.1001"],
                        "description": "Kelurahan/desa (Kemendagri code) inside the district; alone it implies "
                        "its district; else 422",
                    },
                    "category_code": {
                        "type": "string",
                        "maxLength": MAX_LENGTHS["category_code"],
                        "description": "A child category (GET /categories, accepts_reports)",
                    },
                    "suggested_agency_code": {
                        "type": "string",
                        "maxLength": MAX_LENGTHS["suggested_agency_code"],
                        "description": "Within the key's agency subtree (GET /agencies); omitted: "
                        "LAPOR's default routing",
                    },
                    "reporter": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "name": {"type": "string"},
                            "email": {"type": "string"},
                            "phone": {"type": "string"},
                        },
                    },
                    "is_anonymous": {"type": "boolean", "default": False},
                    "is_confidential": {"type": "boolean", "default": False},
                    "channel": {"type": "string", "default": "integrated", "enum": list(Channel.values)},
                    "attachments": _files,
                    "latitude": {"type": "number", "minimum": -90, "maximum": 90},
                    "longitude": {"type": "number", "minimum": -180, "maximum": 180},
                },
            },
            "Summary": {"type": "object", "required": ["tracking_no", "status"], "properties": _summary_properties},
            "ActionResult": {
                "type": "object",
                "required": ["tracking_no", "status", "event"],
                "properties": {
                    **_summary_properties,
                    "event": {
                        "type": "object",
                        "properties": {"action": {"type": "string"}, "occurred_at": {"type": "string"}},
                    },
                },
            },
            "Feed": {
                "type": "object",
                "required": ["results", "next_cursor", "next"],
                "properties": {
                    "results": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                **_summary_properties,
                                "agency": _nullable_string,
                                "updated_at": {"type": "string", "format": "date-time"},
                                "api_url": {"type": "string", "format": "uri"},
                            },
                        },
                    },
                    "next_cursor": _nullable_string,
                    "next": {"type": ["string", "null"], "format": "uri"},
                },
            },
            "AttachmentLink": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "content_type": {"type": "string"},
                    "size": {"type": "integer"},
                    "url": {"type": "string", "format": "uri", "description": "Download with the same key"},
                },
            },
            "Report": {
                "type": "object",
                "required": ["tracking_no", "status", "timeline"],
                "properties": {
                    **_summary_properties,
                    "classification": {"type": "string"},
                    "category_code": {"type": "string"},
                    "regency_code": {"type": "string"},
                    "district_code": {**_nullable_string, "description": "Kecamatan (Kemendagri), e.g. 51.03.01"},
                    "village_code": {
                        **_nullable_string,
                        "description": "Kelurahan/desa (Kemendagri), e.g. 51.03.01.1001",
                    },
                    "channel": {"type": "string"},
                    "agency": {
                        "type": ["object", "null"],
                        "properties": {"code": {"type": "string"}, "name": {"type": "string"}},
                    },
                    "external_id": _nullable_string,
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"},
                    "due_at": {"type": ["string", "null"], "format": "date-time"},
                    "content": {
                        "type": ["object", "null"],
                        "description": "For the handling agency's subtree: what its staff see in the admin "
                        "(an Anonim reporter stays Anonim)",
                        "properties": {
                            "title": {"type": "string"},
                            "body": {"type": "string"},
                            "event_date": {"type": "string", "format": "date"},
                            "latitude": {"type": ["number", "null"]},
                            "longitude": {"type": ["number", "null"]},
                            "reporter": {"type": "object"},
                            "attachments": {"type": "array", "items": {"$ref": "#/components/schemas/AttachmentLink"}},
                        },
                    },
                    "timeline": {"type": "array", "items": _event},
                },
            },
            "WebhookPayload": {
                "type": "object",
                "required": ["type", "sequence", "event", "tracking_no", "status", "occurred_at"],
                "properties": {
                    "type": {"type": "string", "enum": ["report.status_changed"]},
                    "sequence": {
                        "type": "integer",
                        "minimum": 1,
                        "description": "The change's place among the report's events: keep the highest",
                    },
                    "event": {"type": "string"},
                    "tracking_no": {"type": "string"},
                    "status": {"type": "string", "enum": list(Status.values)},
                    "label": {"type": "string"},
                    "occurred_at": {"type": "string", "format": "date-time"},
                    "agency": _nullable_string,
                },
            },
        },
    },
    "paths": {
        "/reports": {
            "get": {
                "operationId": "listChanges",
                "summary": "The changes feed: the key's reports by last change, keyset-paged",
                "parameters": [
                    {
                        "name": "updated_since",
                        "in": "query",
                        "schema": {"type": "string", "format": "date-time"},
                        "description": "ISO 8601 with a zone; ignored with cursor",
                    },
                    {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "next_cursor"},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 500}},
                ],
                "responses": {
                    "200": _json(
                        "Feed",
                        "One page; follow next_cursor until it is null, then poll again from the last cursor",
                        links={
                            "NextPage": {
                                "operationId": "listChanges",
                                "parameters": {"cursor": "$response.body#/next_cursor"},
                            }
                        },
                    ),
                    **_errors(*KEYED, "405"),
                },
            },
            "post": {
                "operationId": "pushReport",
                "summary": "Push a report (idempotent by external_id)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewReport"}}},
                },
                "responses": {
                    "201": _json(
                        "Summary",
                        "Filed",
                        links={
                            "GetReport": {
                                "operationId": "getReport",
                                "parameters": {"tracking_no": "$response.body#/tracking_no"},
                            }
                        },
                    ),
                    "200": _json("Summary", "Already filed under this external_id with the same body"),
                    **_errors(*WRITE),
                },
            },
        },
        "/reports/{tracking_no}": {
            "get": {
                "operationId": "getReport",
                "summary": "Status and timeline; for the handling agency also the content",
                "parameters": [_tracking],
                "responses": {"200": _json("Report", "The report"), **_errors(*KEYED, "404", "405")},
            }
        },
        "/reports/{tracking_no}/attachments/{attachment_id}": {
            "get": {
                "operationId": "getAttachment",
                "summary": "An attachment of a report the key's subtree handles",
                "parameters": [
                    _tracking,
                    {
                        "name": "attachment_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer", "minimum": 0},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The file",
                        "content": {
                            t: {"schema": {"type": "string", "contentMediaType": t}}
                            for t in ("image/jpeg", "image/png", "image/webp", "application/pdf")
                        },
                    },
                    **_errors(*KEYED, "404", "405"),
                },
            }
        },
        **{f"/reports/{{tracking_no}}/{name}": _action_path(name) for name in ACTIONS},
        "/regions": _reference(
            "regions",
            {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "level": {"type": "string", "enum": ["province", "regency"]},
                    "parent_code": _nullable_string,
                    "timezone": {"type": "string"},
                },
            },
        ),
        "/categories": _reference(
            "categories",
            {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "parent_code": _nullable_string,
                    "accepts_reports": {"type": "boolean"},
                },
            },
        ),
        "/agencies": _reference(
            "agencies",
            {
                "type": "object",
                "properties": {
                    "code": {"type": "string"},
                    "name": {"type": "string"},
                    "kind": {"type": "string"},
                    "parent_code": _nullable_string,
                    "region_code": _nullable_string,
                },
            },
        ),
        "/open-data/": {
            "get": {
                "operationId": "openDataIndex",
                "summary": "Open-data files, their dictionary and licence (public, no key)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "Index (HTML for browsers)",
                        "content": {"application/json": {"schema": {"type": "object"}}, "text/html": {}},
                    },
                    "405": _error("405"),
                },
            }
        },
        "/open-data/{name}": {
            "get": {
                "operationId": "openDataFile",
                "summary": "One published file (lapor-YYYY-MM-DD.csv or .json)",
                "security": [],
                "parameters": [{"name": "name", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {
                    "200": {
                        "description": "The file, as an attachment (CSV in UTF-8)",
                        "content": {"text/csv": {"schema": {"type": "string"}}, "application/json": {"schema": {}}},
                    },
                    "404": {
                        "description": "No such file",
                        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
                    },
                    "405": _error("405"),
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "405": _error("405"),
                },
            }
        },
        "/open-data/datapackage.json": {
            "get": {
                "operationId": "openDataPackage",
                "summary": "Frictionless Data Package descriptor of the files (field types, allowed values, licence)",
                "security": [],
                "responses": {
                    "200": {
                        "description": "Descriptor",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    "405": _error("405"),
                },
            }
        },
    },
    "webhooks": {
        "reportStatusChanged": {
            "post": {
                "summary": "A report held by (or pushed by) your agency's subtree changed status",
                "description": "Standard Webhooks: verify webhook-signature over `webhook-id.webhook-timestamp.body` "
                "with your whsec_ secret and refuse timestamps older than 5 minutes (docs/api.md). Deliveries "
                "may arrive out of order and more than once: keep the highest `sequence` per tracking_no, "
                "and drop a webhook-id already seen.",
                "parameters": [
                    {"name": "webhook-id", "in": "header", "required": True, "schema": {"type": "string"}},
                    {"name": "webhook-timestamp", "in": "header", "required": True, "schema": {"type": "string"}},
                    {"name": "webhook-signature", "in": "header", "required": True, "schema": {"type": "string"}},
                ],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebhookPayload"}}},
                },
                "responses": {
                    "2XX": {"description": "Received"},
                    "default": {"description": "5xx and 429 are retried with backoff; other answers are final"},
                },
            }
        }
    },
}
