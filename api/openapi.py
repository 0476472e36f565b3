"""The OpenAPI 3 description of /api/v1/, served at /api/v1/openapi.json (written by hand)."""

_error = {"$ref": "#/components/schemas/Error"}
_errors = {
    code: {"description": desc, "content": {"application/json": {"schema": _error}}}
    for code, desc in {
        "400": "Malformed JSON, unknown fields or wrong types (fields names them)",
        "401": "No API key",
        "403": "Unknown or revoked API key",
        "404": "Report not found or outside the key's agency subtree",
        "409": "The workflow refuses the action in the report's current status",
        "413": "Body larger than the limit (12 MB by default)",
        "415": "Body is not application/json",
        "422": "Valid shape but unknown codes, a future date, a refused attachment",
        "429": "Rate limit exceeded (Retry-After says when to retry)",
    }.items()
}
_attachment = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "content_base64"],
    "properties": {
        "name": {"type": "string"},
        "content_base64": {
            "type": "string",
            "description": "JPEG, PNG, WebP or PDF, 2 MB each; type checked by content",
        },
    },
}
_summary = {
    "type": "object",
    "properties": {
        "tracking_no": {"type": "string"},
        "status": {"type": "string"},
        "status_label": {"type": "string"},
        "url": {"type": "string", "format": "uri"},
    },
}
_note = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "additionalProperties": False,
                "required": ["note"],
                "properties": {"note": {"type": "string"}, "attachments": {"type": "array", "items": _attachment}},
            }
        }
    },
}
_tracking = {"name": "tracking_no", "in": "path", "required": True, "schema": {"type": "string"}}

SCHEMA = {
    "openapi": "3.0.3",
    "info": {
        "title": "LAPOR! integration API",
        "version": "1.0.0",
        "description": "Push reports from integrated applications, read their status and public timeline, "
        "post follow-ups and answers. See docs/api.md. Open311 GeoReport v2 lives at /open311/v2/.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{"bearer": []}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "description": "lapor_<prefix>_<secret>"}},
        "schemas": {
            "Error": {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {
                            "status": {"type": "integer"},
                            "message": {"type": "string"},
                            "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                        },
                    }
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
                    "external_id": {"type": "string", "maxLength": 100, "description": "Idempotency key per agency"},
                    "classification": {"type": "string", "enum": ["complaint", "aspiration", "information"]},
                    "title": {"type": "string", "maxLength": 200},
                    "body": {"type": "string"},
                    "event_date": {"type": "string", "format": "date"},
                    "regency_code": {"type": "string", "example": "51.03"},
                    "category_code": {"type": "string", "description": "A child category (Open311 service_code)"},
                    "suggested_agency_code": {"type": "string", "description": "Within the key's agency subtree"},
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
                    "channel": {
                        "type": "string",
                        "default": "integrated",
                        "enum": [
                            "web",
                            "mobile",
                            "sms",
                            "social",
                            "integrated",
                            "walk_in",
                            "letter",
                            "phone",
                            "whatsapp",
                        ],
                    },
                    "attachments": {"type": "array", "maxItems": 5, "items": _attachment},
                    "latitude": {"type": "number", "minimum": -90, "maximum": 90},
                    "longitude": {"type": "number", "minimum": -180, "maximum": 180},
                },
            },
            "Summary": _summary,
            "Report": {
                "type": "object",
                "properties": {
                    **_summary["properties"],
                    "classification": {"type": "string"},
                    "category_code": {"type": "string"},
                    "regency_code": {"type": "string"},
                    "channel": {"type": "string"},
                    "agency": {"type": "object", "nullable": True},
                    "external_id": {"type": "string", "nullable": True},
                    "created_at": {"type": "string", "format": "date-time"},
                    "due_at": {"type": "string", "format": "date-time", "nullable": True},
                    "timeline": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "action": {"type": "string"},
                                "label": {"type": "string"},
                                "status": {"type": "string"},
                                "status_label": {"type": "string"},
                                "agency": {"type": "string", "nullable": True},
                                "note": {"type": "string"},
                                "occurred_at": {"type": "string", "format": "date-time"},
                            },
                        },
                    },
                },
            },
        },
    },
    "paths": {
        "/reports": {
            "post": {
                "summary": "Push a report (idempotent by external_id)",
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewReport"}}},
                },
                "responses": {
                    "201": {
                        "description": "Filed",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Summary"}}},
                    },
                    "200": {
                        "description": "Already filed under this external_id",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Summary"}}},
                    },
                    **{k: v for k, v in _errors.items() if k != "404"},
                },
            }
        },
        "/reports/{tracking_no}": {
            "get": {
                "summary": "Status and public timeline (never confidential reports, never the reporter)",
                "parameters": [_tracking],
                "responses": {
                    "200": {
                        "description": "The report",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}},
                    },
                    **{k: _errors[k] for k in ("401", "403", "404", "429")},
                },
            }
        },
        **{
            f"/reports/{{tracking_no}}/{name}": {
                "post": {
                    "summary": summary,
                    "parameters": [_tracking],
                    "requestBody": _note,
                    "responses": {
                        "201": {
                            "description": "Recorded",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Summary"}}},
                        },
                        **_errors,
                    },
                }
            }
            for name, summary in (
                ("follow-ups", "A public follow-up (workflow follow_up)"),
                ("responses", "The agency's answer (workflow respond)"),
            )
        },
        "/open-data/": {
            "get": {
                "summary": "Open-data files and their dictionary (public, no key)",
                "security": [],
                "responses": {"200": {"description": "Index"}},
            }
        },
    },
}
