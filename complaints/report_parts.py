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
    shown, values = context["parts"][name]
    template = context.template.engine.get_template(name)
    return mark_safe(
        _parts.get_or_render(_digest(name, shown), lambda: template.render(Context(values, autoescape=True)))
    )


def clear_local() -> None:
    """Forget this worker's kept parts (tests)."""
    _parts.clear()
