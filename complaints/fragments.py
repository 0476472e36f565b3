"""Parts of the citizen's pages rendered once and reused (issue #15): a page that is rendered — for a
signed-in citizen, or for the first anonymous visitor after a change (lapor/page_cache.py keeps whole
pages for the others) — pays its template only for what differs per request.

- The blank report form (`report_form`): the form of the report page and the home page, unbound and
  with nothing typed, is the same for everybody but for its CSRF token and one-time submission key. Its
  HTML is rendered once per worker, language, day (the event date's `max`) and reference-data
  generation (lapor/refcache: categories, regions, agencies), with marks where the two per-response
  values go; every request fills in its own. A form carrying anything of a visitor's — a draft, an
  error, a bound form, files to choose again, nearby or similar reports — is rendered in full.
- Report cards (`report_cards`): a card of the public feed and search shows only values read from the
  report's row and its reference data; it is kept in each worker's memory under a digest of exactly
  those values and the language, so a changed report gets a new key (nothing to invalidate, nothing
  shown stale: the digest is the content) and the other cards of the page are reused. Only what the
  card shows goes into the digest: the public name (never an Anonim reporter's identity), the counts.
  The unfiltered feed's pages, read by a statement compiled once (`CardRows`), key each card by its
  row as read — every column it is drawn from — with its category's and regency's labels, the
  language and the time zone: no digest to compute, and no report made from a row whose card is kept.
- The rows of "my reports" (`my_report_rows`): the same, under a digest of what a row shows (its
  report, running clock and latest public steps, with the clock's countdown computed once for the key
  and the row alike); a row is looked up only for a report of the signed-in reporter's own list.
- The home page's latest public reports (`latest_rows`): read by a statement compiled once, as the
  unfiltered feed's cards (`CardRows`), each row kept under its row as read with its labels, the
  language and the time zone; any other list of them under a digest of what a row shows.
- The report page's small forms (`crispy_form`: the comment form, and the reporter's provide-info,
  reply and reopen forms): blank, their fields are the same for every visitor but for the language,
  so they are kept per worker, form and language; a bound form (the text typed, an
  error) is rendered in full and never kept. Its CSRF token is outside, in the page's own `<form>`.
- The feed's map section (`feed_map`): its words, the map's settings and the filters' query string
  the map reads its points with; kept per worker under those, the language and the URL prefix.
- A list's pagination (`pagination`): a PeekPage's shows its number, whether there is a previous and a
  next page, the query string and words, so it is kept per worker under those and the language.
- Words (`kept_words`, the `{% kept %}` tag): a part of a template made only of words, constant
  translations, static files' and argument-less URLs (the tag refuses anything else when the template
  is compiled) is drawn once per worker, language and URL prefix.
- The navigation (`navigation`, base.html's header): the same for every visitor of one kind — signed in
  or not, staff, seeing the overdue page, coordinating — in one language, but for their CSRF token,
  the page they are on (the language switch's `next`), their public name and unread count. It is
  rendered once per worker, language and kind with marks where those go; every request fills in its
  own (the unread badge's presence is part of the kind, its number a mark).
- The feed's search and filter form (`feed_filters`): it shows only the filter values typed (the query
  string but its page), their errors and options from the reference data, so it is kept per worker
  under those values, the language, the day and the reference-data generation.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence

from django.conf import settings
from django.template import Context
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from lapor import refcache

from .access import reporter_public_name

FORM_TEMPLATE = "complaints/_report_form.html"
CARD_TEMPLATE = "complaints/_report_card.html"
FILTERS_TEMPLATE = "complaints/_feed_filters.html"
FEED_MAP_TEMPLATE = "complaints/_feed_map.html"
MY_ROW_TEMPLATE = "complaints/_my_report_row.html"
LATEST_ROW_TEMPLATE = "complaints/_latest_row.html"
PAGINATION_TEMPLATE = "includes/_pagination.html"
CSRF_MARK = "LaporFormCsrfMark7f3a"
KEY_MARK = "LaporFormKeyMark9c1e"
NAV_TEMPLATE = "includes/_nav.html"
NAV_PATH_MARK = "LaporNavPathMark2b7d"
NAV_NAME_MARK = "LaporNavNameMark5e0c"
NAV_UNREAD_MARK = "LaporNavUnreadMark8a41"
CARDS_KEPT = 4000  # per worker, both languages: a few MB
FILTERS_KEPT = 500  # per worker: distinct filter values (about 12 KB each)


def _blank(form, context) -> bool:
    """Nothing of a visitor in the form: unbound, no initial value but its submission key, no files to
    choose again, no nearby or similar reports shown with it."""
    return (
        not form.is_bound
        and set(form.initial) == {"submission_key"}
        and not context.get("reattach")
        and not context.get("nearby")
        and not context.get("duplicates")
        and not context.get("checked")
    )


def _render_blank_form(engine) -> str:
    from .forms import ReportForm

    form = ReportForm(initial={"submission_key": KEY_MARK})
    context = Context(
        {
            "report_form": form,
            "csrf_token": CSRF_MARK,
            "map_tiles": settings.LAPOR_MAP_TILE_URL,
            "map_attribution": settings.LAPOR_MAP_ATTRIBUTION,
        },
        autoescape=True,
    )
    html = engine.get_template(FORM_TEMPLATE).render(context)
    if html.count(CSRF_MARK) != 1 or html.count(KEY_MARK) != 1:
        raise ValueError("the report form must show its CSRF token and submission key once each")
    return str(html)


def report_form(context) -> str:
    """`complaints/_report_form.html` for the context's `report_form`: the blank form from the kept
    copy with this response's token and key, any other form rendered."""
    from .forms import BlankReportForm

    engine = context.template.engine
    form = context["report_form"]
    if not _blank(form, context):
        if isinstance(form, BlankReportForm):  # drawn in full: the form itself
            with context.push(report_form=form.form):
                return engine.get_template(FORM_TEMPLATE).render(context)
        return engine.get_template(FORM_TEMPLATE).render(context)
    key = f"report-form:{get_language()}:{timezone.localdate().isoformat()}"
    html = refcache.get(key, lambda: _render_blank_form(engine))
    token = str(context.get("csrf_token", ""))  # also marks the CSRF cookie to be sent, as {% csrf_token %}
    html = html.replace(CSRF_MARK, escape(token)).replace(KEY_MARK, escape(form.initial["submission_key"]))
    return mark_safe(html)


def crispy_form(form) -> str:
    """`{{ form|crispy }}` for a form of the report page (the comment form, the reporter's provide-info,
    reply and reopen forms): a blank one from its copy kept per form class and language."""
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_form

    if form.is_bound or form.initial:
        return as_crispy_form(form)
    key = f"blank-form:{type(form).__module__}.{type(form).__qualname__}:{form.prefix}:{get_language()}"
    return refcache.get(key, lambda: str(as_crispy_form(form)))


class _Kept:
    """A bounded map, least recently used out first, shared by a worker's threads."""

    def __init__(self, size: int):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            value = self.items.get(key)
            if value is not None:
                self.items.move_to_end(key)
            return value

    def put(self, key, value) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.items.clear()

    def get_or_render(self, key, render) -> str:
        """The HTML kept under `key`, or `render()`'s, kept."""
        html = self.get(key)
        if html is None:
            html = str(render())
            self.put(key, html)
        return html


_cards = _Kept(CARDS_KEPT)
_filters = _Kept(FILTERS_KEPT)
_maps = _Kept(FILTERS_KEPT)
_words = _Kept(200)  # {% kept %} parts × languages × URL prefixes
_pages = _Kept(FILTERS_KEPT)  # pagination: page numbers × query strings × languages


def _digest(template_name: str, shown: tuple) -> str:
    """The key of a kept row of `template_name`: a digest of everything it shows, in the language and
    time zone it is drawn in."""
    kept = (template_name, get_language(), timezone.get_current_timezone_name(), shown)
    return hashlib.sha256(repr(kept).encode()).hexdigest()


def _kept_rows(context, template_name: str, rows) -> str:
    """`rows` — (what the row shows, its template context) each — drawn by `template_name`, each rendered
    once per worker for what it shows."""
    template = context.template.engine.get_template(template_name)
    return mark_safe(
        "".join(
            _cards.get_or_render(
                _digest(template_name, shown),
                lambda values=values: template.render(Context(values, autoescape=True)),
            )
            for shown, values in rows
        )
    )


def _card_shows(report) -> tuple:
    """Everything the card shows (complaints/_report_card.html), in the same terms but a long body (by its
    digest) and the category (both its names: the label is one of them by the language, in the key)."""
    body, category = report.body, report.category
    return (
        report.pk,
        report.tracking_no,
        report.title,
        report.status,
        body if len(body) <= KEY_BODY_MAX else hashlib.sha256(body.encode()).digest(),
        report.classification,
        (category.name, category.name_en),
        report.regency.name,
        report.created_at,
        reporter_public_name(report),
        report.agency.name if report.agency_id else "",
        report.support_count,
        report.comment_count,
    )


def report_cards(context, reports) -> str:
    """The cards of `reports`, each rendered once per worker for what it shows: a page read as rows
    (CardRows: the unfiltered feed) by its rows, any other list of reports by what each card shows."""
    rows = getattr(reports, "object_list", reports)
    if isinstance(rows, CardRows):
        return rows.cards(context)
    template = context.template.engine.get_template(CARD_TEMPLATE)
    head = (CARD_TEMPLATE, get_language(), timezone.get_current_timezone_name())
    return mark_safe(
        "".join(
            _cards.get_or_render(
                (head, _card_shows(report)),
                lambda report=report: template.render(Context({"report": report}, autoescape=True)),
            )
            for report in reports
        )
    )


KEY_BODY_MAX = 2000  # a longer body is keyed by its digest: a kept card's key holds its row


class CardRows(Sequence):
    """A page of report cards as its statement read them (`lapor.prepared.Loaded`, the unfiltered feed):
    a card is kept under its row — every column the card is drawn from, read on this request — with
    the language, the time zone and the labels of its category and regency, so a card whose report,
    reporter or agency changed in anything is drawn anew, and a kept card costs no instance of its
    report. A report (with its reference data) is made only when asked for: by a card to draw, or by
    whoever iterates the page. `template` draws one (the feed's card, or the home page's latest row:
    a row holds every column either shows)."""

    def __init__(self, loaded, rows=None, template: str = CARD_TEMPLATE):
        self.loaded, self.template = loaded, template
        self.rows = loaded.rows if rows is None else rows
        self._made: dict[int, object] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return CardRows(self.loaded, self.rows[index], self.template)
        index = range(len(self.rows))[index]
        report = self._made.get(index)
        if report is None:
            from .models import attach_reference

            report = self._made[index] = self.loaded.make(self.rows[index])
            attach_reference([report])
        return report

    def keys(self) -> list[tuple]:
        """Each card's key: its row (a long body by its digest), its category's names and regency's name, in
        this language and time zone."""
        from .models import reference_objects

        columns, ref = self.loaded.columns, reference_objects()
        body, category, regency = columns["body"], columns["category_id"], columns["regency_id"]
        categories, regions = ref["categories"], ref["regions"]
        head = (self.template, self.loaded.layout, get_language(), timezone.get_current_timezone_name())
        keys = []
        for row in self.rows:
            if len(row[body]) > KEY_BODY_MAX:
                row = (*row[:body], hashlib.sha256(row[body].encode()).digest(), *row[body + 1 :])
            shown_category, shown_regency = categories.get(row[category]), regions.get(row[regency])
            keys.append(
                (
                    head,
                    row,
                    # Its names in both languages (the label is one of them by the language, in `head`).
                    (shown_category.name, shown_category.name_en) if shown_category else None,
                    shown_regency.name if shown_regency else None,
                )
            )
        return keys

    def cards(self, context) -> str:
        template = context.template.engine.get_template(self.template)
        return mark_safe(
            "".join(
                _cards.get_or_render(key, lambda i=i: template.render(Context({"report": self[i]}, autoescape=True)))
                for i, key in enumerate(self.keys())
            )
        )


def _latest_row_shows(report) -> tuple:
    """Everything a row of the home page's latest reports shows (complaints/_latest_row.html)."""
    return (
        report.pk,
        report.tracking_no,
        report.title,
        report.status,
        report.classification,
        report.category.label,
        report.regency.name,
        report.created_at.isoformat(),
    )


def latest_rows(context, reports) -> str:
    """The rows of the home page's latest public `reports`, each rendered once per worker for what it shows:
    rows read by a statement compiled once (CardRows: views._latest_public) by their rows."""
    if isinstance(reports, CardRows):
        return reports.cards(context)
    return _kept_rows(
        context, LATEST_ROW_TEMPLATE, ((_latest_row_shows(report), {"report": report}) for report in reports)
    )


def _my_row(report) -> tuple[tuple, dict]:
    """What a row of "my reports" shows (complaints/_my_report_row.html), and its template context."""
    from .templatetags.complaints import countdown, is_past

    clock = report.running_clocks[0] if report.running_clocks else None
    left, past = (str(countdown(clock.due_at)), is_past(clock.due_at)) if clock else ("", False)
    shown = (
        report.pk,
        report.tracking_no,
        report.title,
        report.status,
        report.created_at.isoformat(),
        report.agency.name if report.agency_id else None,
        report.is_confidential,
        report.is_anonymous,
        (clock.pk, clock.kind, clock.due_at.isoformat(), left, past) if clock else None,
        [
            (e.pk, e.created_at.isoformat(), str(e.citizen_label), e.agency_name or "", e.public_note)
            for e in report.latest_events
        ],
    )
    return shown, {"report": report, "left": left, "past": past}


def my_report_rows(context, reports) -> str:
    """The rows of the signed-in reporter's own `reports` (views.my_reports), each kept per worker for what it shows."""
    return _kept_rows(context, MY_ROW_TEMPLATE, (_my_row(report) for report in reports))


def feed_filters(context) -> str:
    """`complaints/_feed_filters.html` for the context's `filter` (complaints.filters.ReportFilter)."""
    template = context.template.engine.get_template(FILTERS_TEMPLATE)
    generation = refcache.generation()
    if generation is None:  # the shared cache is down: nothing is kept (lapor/refcache)
        return template.render(context)
    # The values the filter set is bound to (views.report_list: the query string), read without
    # building it: a kept form costs no filter set.
    data = context["request"].GET
    values = sorted((k, tuple(v)) for k, v in data.lists() if k != "page")
    shown = (generation, timezone.localdate().isoformat(), values, bool(context.get("filtered")))
    return mark_safe(_filters.get_or_render(_digest(FILTERS_TEMPLATE, shown), lambda: template.render(context)))


def feed_map(context) -> str:
    """`complaints/_feed_map.html`, the feed's map section: it shows only the filters' query string (the
    map reads its points with the same filters), the map's settings and words in the language, so it is
    kept per worker under those and the URL prefix."""
    template = context.template.engine.get_template(FEED_MAP_TEMPLATE)
    values = {name: context.get(name) or "" for name in ("query", "map_tiles", "map_attribution")}
    key = (get_language(), get_script_prefix(), tuple(values.items()))
    return mark_safe(_maps.get_or_render(key, lambda: template.render(Context(values, autoescape=True))))


def pagination(context, page, query) -> str:
    """`includes/_pagination.html` for `page` and the list's query string: it shows only the page's number,
    whether it has a previous and a next page, the query string and words in the language, so a PeekPage's
    is kept per worker under those (links are relative: no URL prefix in them); any other page is drawn."""
    from .pagination import PeekPage

    template = context.template.engine.get_template(PAGINATION_TEMPLATE)
    values = {"page": page, "query": query}
    if not isinstance(page, PeekPage):
        return mark_safe(template.render(Context(values, autoescape=True)))
    key = (get_language(), page.number, page.has_previous, page.has_next, str(query or ""))
    return mark_safe(_pages.get_or_render(key, lambda: template.render(Context(values, autoescape=True))))


def kept_words(key, render) -> str:
    """A `{% kept %}` part of a template (complaints.templatetags.complaints: words, constant translations
    and fixed URLs only, checked when the template is compiled), drawn once per worker under `key`: the
    part itself, the language and the URL prefix."""
    return mark_safe(_words.get_or_render(key, render))


class _NavVisitor:
    """The visitor as the kept navigation is drawn for: their kind, and a mark for their public name."""

    public_name = NAV_NAME_MARK

    def __init__(self, is_authenticated: bool, is_staff: bool):
        self.is_authenticated, self.is_staff = is_authenticated, is_staff


def _render_navigation(template, kind: tuple) -> str:
    authenticated, staff, overdue, coordinating, unread = kind
    context = Context(
        {
            "user": _NavVisitor(authenticated, staff),
            "sees_overdue": overdue,
            "coordinates": coordinating,
            "request": {"get_full_path": NAV_PATH_MARK},
            "unread_notifications": NAV_UNREAD_MARK if unread else "",
            "csrf_token": CSRF_MARK,
        },
        autoescape=True,
    )
    html = str(template.render(context))
    expected = {CSRF_MARK: 2 if authenticated else 1, NAV_PATH_MARK: 1}
    expected |= {NAV_NAME_MARK: 1, NAV_UNREAD_MARK: int(unread)} if authenticated else {}
    if any(html.count(mark) != n for mark, n in expected.items()):
        raise ValueError("the navigation must show each visitor's own values where its marks say")
    return html


def _keepable(request, token) -> bool:
    return request is not None and bool(token) and token != "NOTPROVIDED"


def navigation(context) -> str:
    """`includes/_nav.html` for the context's visitor: the kept copy for their kind and language, with
    their own token, page, name and unread count."""
    from .report_parts import FRAME_CONTEXT, frame_slot

    if context.get(FRAME_CONTEXT):  # the report page's frame: each visitor's own put in per request
        return frame_slot("NAV")
    user, request, token = context.get("user"), context.get("request"), context.get("csrf_token")
    return navigation_html(context.template.engine, user, request, token, context.get("unread_notifications"), context)


def navigation_html(engine, user, request, token, unread_notifications, context=None) -> str:
    """navigation()'s HTML from its values (`context`: a page's whole context, drawn in full when the values
    are not a page request's)."""
    from .templatetags.complaints import coordinates, sees_overdue

    template = engine.get_template(NAV_TEMPLATE)
    authenticated = bool(user is not None and user.is_authenticated)
    staff = authenticated and bool(user.is_staff)
    overdue, coordinating = staff and sees_overdue(user), staff and coordinates(user)
    if not _keepable(request, token):  # not a page's request context: drawn in full
        with context.push(sees_overdue=overdue, coordinates=coordinating):
            return template.render(context)
    unread = str(unread_notifications or "") if authenticated else ""
    kind = (authenticated, staff, overdue, coordinating, bool(unread))
    html = _navs.get_or_render((get_language(), kind), lambda: _render_navigation(template, kind))
    html = html.replace(CSRF_MARK, escape(str(token))).replace(NAV_PATH_MARK, escape(request.get_full_path()))
    if authenticated:
        html = html.replace(NAV_NAME_MARK, escape(str(user.public_name))).replace(NAV_UNREAD_MARK, escape(unread))
    return mark_safe(html)


_navs = _Kept(64)  # languages × kinds


def clear_local() -> None:
    """Forget this worker's kept cards, filter forms, map sections and navigations (tests)."""
    _cards.clear()
    _filters.clear()
    _maps.clear()
    _words.clear()
    _navs.clear()
    _pages.clear()
