"""The report page's content kept per worker for every visitor who sees the same (issue #15).

The report page (views.detail) is rendered for every signed-in visitor, and for the first anonymous
visitor after a change (lapor/page_cache.py keeps whole pages for the others). Most of its template is
the same for everybody who sees the same report in the same state: its head (title, reporter as the
visitor may see them, handling agency, dates, running clocks, rating), its text and files, the timeline
of public steps and the comments. Those four parts are kept in each worker's memory, each under a
sha256 digest of exactly what it shows, in the language and time zone it is drawn in
(complaints/fragments.py's `_digest`, as for the feed's cards):

- nothing is invalidated and nothing is shown stale: a new step, comment, support, edit, file or status
  is a different value in the digest, so the part is drawn again on the next request — the digest is
  the content, read by the page's own queries (no version to bump, no statement added);
- no visitor is shown another's view: the values that differ by visitor — the reporter as
  `access.reporter_shown_to` gives them to this visitor (an Anonim reporter's identity only to whom may
  see it), whether the visitor is the reporter (their notes and withheld files) — are in the digest of
  each part that shows them. A confidential report is never drawn for the public at all (the view's
  access check comes first); its parts' digests carry the report's flags too.
- a clock's countdown ("3 hari lagi") is computed once, for the key and the part alike.

What is the visitor's own stays per request, outside the parts: the actions offered and their forms, the
published answer shown with "accept", the Ombudsman case file link, "you support this", the support and
comment forms and every CSRF token.
"""

from __future__ import annotations

import re

from django.template import Context
from django.utils.safestring import mark_safe

from .fragments import _digest, _Kept

HEAD_TEMPLATE = "complaints/_report_head.html"
BODY_TEMPLATE = "complaints/_report_body.html"
TIMELINE_TEMPLATE = "complaints/_report_timeline.html"
COMMENTS_TEMPLATE = "complaints/_report_comments.html"
PARTS_KEPT = 2000  # per worker: four parts a report, a few KB each

_parts = _Kept(PARTS_KEPT)


def _files_shown(files) -> tuple:
    return tuple((f.pk, f.withheld, f.original_name, f.size) for f in files)


def _agency_name(agency) -> str | None:
    return agency.name if agency is not None else None


def _clocks(open_clocks) -> list[dict]:
    """The running clocks as the head shows them, the countdown computed once for the key and the part."""
    from .templatetags.complaints import countdown, is_past

    return [
        {
            "pk": clock.pk,
            "kind": clock.kind_label,
            "paused": clock.state == "paused",
            "due_at": clock.due_at,
            "left": str(countdown(clock.due_at)),
            "past": is_past(clock.due_at),
        }
        for clock in open_clocks
    ]


def parts(context: dict) -> dict:
    """The page's kept parts — name → (what it shows, its template context) — from views._detail_context's values."""
    report, is_reporter, reporter = context["report"], context["is_reporter"], context["reporter"]
    merged_into = report.merged_into.tracking_no if report.merged_into_id else None
    clocks = _clocks(context["open_clocks"])
    head = (
        report.pk,
        report.tracking_no,
        report.title,
        report.status,
        report.classification,
        report.category.label,
        report.regency.name,
        report.province.name,
        merged_into,
        context["merged_count"],
        (reporter["name"], reporter["email"], bool(reporter["full"])),
        report.is_anonymous,
        report.is_confidential,
        is_reporter,
        _agency_name(report.agency if report.agency_id else None),
        str(context["holding_reason"]),
        report.event_date.isoformat() if report.event_date else None,
        report.created_at.isoformat(),
        tuple((c["pk"], c["kind"], c["paused"], c["due_at"].isoformat(), c["left"], c["past"]) for c in clocks),
        report.rating,
        report.rating_comment,
    )
    body = (report.pk, report.tracking_no, report.body, is_reporter, _files_shown(context["report_files"]))
    timeline = (
        report.pk,
        report.tracking_no,
        is_reporter,
        tuple(
            (
                e.pk,
                e.is_published_answer,
                str(e.citizen_label),
                e.created_at.isoformat(),
                _agency_name(e.agency),
                _agency_name(e.target_agency),
                e.target_agency_id is not None and e.target_agency_id != e.agency_id,
                e.public_note,
                _files_shown(e.files),
            )
            for e in context["events"]
        ),
    )
    comments = (
        report.pk,
        tuple((c.pk, str(author), c.created_at.isoformat(), c.body) for c, author in context["comments"]),
    )
    base = {"report": report, "is_reporter": is_reporter}
    return {
        HEAD_TEMPLATE: (
            head,
            base
            | {
                "reporter": reporter,
                "merged_into": merged_into,
                "merged_count": context["merged_count"],
                "holding_reason": context["holding_reason"],
                "clocks": clocks,
            },
        ),
        BODY_TEMPLATE: (body, base | {"report_files": context["report_files"]}),
        TIMELINE_TEMPLATE: (timeline, base | {"events": context["events"]}),
        COMMENTS_TEMPLATE: (comments, {"comments": context["comments"]}),
    }


def kept_part(context, name: str) -> str:
    """The part `name` of the report page (a template), drawn once per worker for what it shows."""
    if context.get(FRAME_CONTEXT):
        return frame_slot(_PART_SLOTS[name])
    return _part_html(context.template.engine, context["parts"], name)


def _part_html(engine, parts: dict, name: str) -> str:
    shown, values = parts[name]
    template = engine.get_template(name)
    return mark_safe(
        _parts.get_or_render(_digest(name, shown), lambda: template.render(Context(values, autoescape=True)))
    )


# --- The page's frame (issue #15) ---
#
# What is around the four parts — base.html, the community section, the support and comment forms — is
# drawn by Django's template machinery on every request (about a quarter of a signed-in page's CPU), and
# is the same for every page of the same *shape*: whether the visitor is signed in, the report is public,
# the visitor may support it and does. Each worker keeps that frame per shape, language and URL prefix,
# drawn with marks in place of everything else, and puts each request's own values in the marks' places
# in one pass: the report's number, the visitor's CSRF token, the navigation (kept per kind of visitor,
# with the visitor's name, page, unread count), the four parts (kept per what they show) and the count of
# supports. The frame itself is drawn from marks and constants only, never from a visitor's or a report's
# values, so it can show nobody anything of another.
#
# A page that is not of a plain shape is drawn in full as before: one with messages, actions offered to the
# visitor (their forms, the answer to accept), a posted form, the Ombudsman case file, a number that is not
# letters and digits.

REPORT_TEMPLATE = "complaints/report_detail.html"
FRAME_CONTEXT = "lapor_report_frame"
FRAMES_KEPT = 64  # shapes (16) × languages × URL prefixes
_SLOT = re.compile(r"LaporFrame([A-Za-z]+)Slot")
_PART_SLOTS = {
    HEAD_TEMPLATE: "HEAD",
    BODY_TEMPLATE: "BODY",
    TIMELINE_TEMPLATE: "TIMELINE",
    COMMENTS_TEMPLATE: "COMMENTS",
}
_PLAIN_NUMBER = re.compile(r"[A-Za-z0-9]+")
_frames = _Kept(FRAMES_KEPT)


def frame_slot(name: str) -> str:
    """The mark of a slot of the frame (letters only: escaping, URLs and {% report_url %} keep it as it is)."""
    return mark_safe(f"LaporFrame{name}Slot")


class _FrameReport:
    tracking_no = frame_slot("NUMBER")


class _FrameVisitor:
    def __init__(self, is_authenticated: bool):
        self.is_authenticated = is_authenticated


class _FrameRequest:
    path = frame_slot("PATH")


def _shape(request, context: dict) -> tuple | None:
    """The frame's shape of this page, or None if it must be drawn in full."""
    messages = getattr(request, "_messages", None)
    if (
        messages is None
        or len(messages)
        or context["actions"]
        or context["case_file"]
        or context["forms"]  # a posted form, with its errors
        or not _PLAIN_NUMBER.fullmatch(context["report"].tracking_no or "")
    ):
        return None
    return (
        bool(request.user.is_authenticated),
        bool(context["is_public"]),
        bool(context["may_support"]),
        bool(context["supported"]),
    )


def _draw_frame(template, shape: tuple, forms) -> list[str]:
    """The frame of `shape`, split at its slots: [constant, slot name, constant, …]."""
    authenticated, public, may_support, supported = shape
    values = {
        FRAME_CONTEXT: True,
        "report": _FrameReport(),
        "user": _FrameVisitor(authenticated),
        "request": _FrameRequest(),
        "is_public": public,
        "may_support": may_support,
        "supported": supported,
        "actions": (),
        "answers": (),
        "case_file": False,
        "forms": forms,
        "support_text": frame_slot("COUNT"),
        "csrf_token": frame_slot("CSRF"),
        "messages": (),
    }
    return _SLOT.split(str(template.render(Context(values, autoescape=True))))


def kept_page(request, context: dict) -> str | None:
    """The report page for `context` (views._detail_context's) from its kept frame, or None if it must be
    drawn in full."""
    shape = _shape(request, context)
    if shape is None:
        return None
    from django.middleware.csrf import get_token
    from django.template import loader
    from django.template.defaultfilters import urlencode
    from django.urls import get_script_prefix
    from django.utils.html import escape
    from django.utils.translation import get_language

    from .context_processors import notifications
    from .fragments import navigation_html

    engine = loader.get_template(REPORT_TEMPLATE).template.engine
    key = (get_language(), get_script_prefix(), shape)
    pieces = _frames.get(key)
    if pieces is None:
        pieces = _draw_frame(engine.get_template(REPORT_TEMPLATE), shape, context["forms"])  # (no posted form)
        _frames.put(key, pieces)
    token = get_token(request)
    parts = context["parts"]
    slots = {
        "NUMBER": context["report"].tracking_no,
        "CSRF": escape(token),
        "NAV": navigation_html(engine, request.user, request, token, notifications(request)["unread_notifications"]),
        "COUNT": escape(context["support_text"]),
    }
    if not shape[0]:  # the sign-in link's return path
        slots["PATH"] = escape(urlencode(request.path))
    slots |= {slot: _part_html(engine, parts, name) for name, slot in _PART_SLOTS.items()}
    return "".join(slots[piece] if i % 2 else piece for i, piece in enumerate(pieces))


def clear_local() -> None:
    """Forget this worker's kept parts and frames (tests)."""
    _parts.clear()
    _frames.clear()
