import hashlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Exists, F, JSONField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, JSONArray
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts import lockout
from agencies.models import Agency, Region
from lapor import page_cache, ratelimit
from lapor.clientip import client_ip
from lapor.json_rows import JSONRows, NestedJSON, made
from lapor.prepared import Prepared

from . import duplicates, fragments, ombudsman, own_reports, places, report_parts, routing, uploads, workflow
from .access import (
    REPORTER,
    STAFF_ACTING_ROLES,
    get_report_for_user,
    may_track,
    reporter_public_name,
    reporter_shown_to,
    roles_for,
    trackable_by_number,
)
from .citizen_forms import AcceptForm, CommentForm, ProvideInfoForm, ReopenForm, ReplyForm
from .counters import home_counters
from .filters import FEED_ORDER, ReportFilter, search_page
from .forms import BlankReportForm, CheckedReportForm, ReportForm, area_children, new_submission_key, search_agencies
from .models import Attachment, Clock, Comment, Event, Report, Support, attach_reference
from .pagination import empty_page, peek_page, query_without_page
from .report_urls import report_url
from .search_budget import OverBudget, SearchBudget
from .workflow import ActionNotAllowed, InvalidAttachment, InvalidInput, WorkflowError

# "My reports" tabs: slug → (label, statuses; None = all).


def _fill_submission_key(request, form):
    """A page kept for anonymous visitors gets a new one-time submission key per response (lapor/page_cache.py)."""
    if not form.is_bound:
        page_cache.fill(request, form.initial.get("submission_key"), new_submission_key)


@require_GET
def home(request):
    form = BlankReportForm()
    _fill_submission_key(request, form)
    ctx = {
        "latest": _latest_public(),
        "counters": home_counters(),
        "report_form": form,
    }
    return render(request, "complaints/home.html", ctx)


def _feed():
    return Report.objects.public().for_cards().order_by(*FEED_ORDER)


HOME_LATEST = 6
# Compiled once per process and planned once per connection (lapor/prepared.py): planning the feed's
# joins cost PostgreSQL more than running them; the statement has no values, so one plan serves all.
_home_latest = Prepared(lambda: _feed()[:HOME_LATEST], keep_plan=True)


def _latest_public():
    """The home page's newest public reports: the feed's first rows, each row's part kept under its row (a
    kept one needs no report made from it)."""
    return fragments.CardRows(_home_latest.loaded(), template=fragments.LATEST_ROW_TEMPLATE)


# The unfiltered feed's first pages (what most visitors open): each page's statement compiled once
# per process and planned once per connection (lapor/prepared.py); a filtered feed, or a page past
# these, is built by the ORM.
FEED_PAGES_PREPARED = 10
_feed_pages: dict[tuple[int, int], Prepared] = {}


def _unfiltered_feed_rows(start: int, stop: int):
    if start >= FEED_PAGES_PREPARED * (stop - start - 1):
        return list(_feed()[start:stop])
    prepared = _feed_pages.get((start, stop))
    if prepared is None:
        prepared = _feed_pages[start, stop] = Prepared(lambda: _feed()[start:stop], keep_plan=True)
    # The page's cards are kept under their rows: a kept card needs no report made from its row.
    return fragments.CardRows(prepared.loaded())


@require_GET
def report_list(request):
    # The filter set is built when the page needs it: the unfiltered feed reads its rows without it,
    # and its search and filter form is usually drawn from the kept copy (fragments.feed_filters).
    report_filter = SimpleLazyObject(lambda: ReportFilter(request.GET or None, queryset=_feed()))
    refused = None  # seconds until the visitor's heavy searches may run again (search_budget)
    if request.GET.get("q", "").strip():
        try:
            # (the filter set built only if it is needed)
            page = search_page(request.GET, report_filter, budget=SearchBudget(request))
        except OverBudget as over:
            page, refused = empty_page(request.GET.get("page")), over.retry_after
        if page.timed_out or refused:
            page_cache.skip(request)  # a search that ran out of time (or was refused) is not its results: never kept
    elif all(name == "page" for name in request.GET):  # the unfiltered feed
        page = peek_page(None, request.GET.get("page"), rows_of=_unfiltered_feed_rows)
    else:
        # The rows by the filter set without the options its form shows (display=False: the same filters
        # and validation); they are offered only if the form is drawn, not taken from its kept copy.
        matching = ReportFilter(request.GET, queryset=_feed(), display=False)
        page = peek_page(matching.qs, request.GET.get("page"))
        report_filter = SimpleLazyObject(matching.offering_choices)
    ctx = {
        "filter": report_filter,
        "page": page,
        "query": query_without_page(request.GET),
        "filtered": any(v for k, v in request.GET.items() if k != "page"),
        "refused": refused,
    }
    response = render(request, "complaints/report_list.html", ctx, status=429 if refused else 200)
    if refused:
        response["Retry-After"] = str(refused)
    return response


@require_GET
def track(request):
    number = request.GET.get("no", "").strip().upper()
    if number:
        # The full page for whoever may see it; the status of any report that is not Rahasia for
        # whoever holds its number; nothing about a Rahasia report to anybody else.
        if may_track(request.user, number):
            return redirect("complaints:detail", tracking_no=number)
        return _not_found(request, number, status=200)
    return render(request, "complaints/track.html", {"number": number})


def _not_found(request, number, status=404):
    """The same answer for a missing number and a Rahasia report the visitor may not see."""
    messages.error(request, _("Laporan dengan nomor %(no)s tidak ditemukan.") % {"no": number})
    return render(request, "complaints/track.html", {"number": number, "not_found": True}, status=status)


# The report page's reads, each compiled once per process (lapor/prepared.py): building their SQL
# cost a signed-in citizen's page more CPU than PostgreSQL took to run them (issue #15). Each is the
# queryset the page read before, written out (a related manager's `report.events…` is
# `Event.objects.filter(report_id=…)` with the report set on each row). Each reads rows by a key
# (the number, the report, the report and the visitor), so one plan serves every value: planned by
# PostgreSQL once per connection (keep_plan), not on every request — planning was most of their
# database CPU (the report by its number 2 ms cold).
# The report page's row carries two answers of its own (issue #15: a statement each before, most of
# their cost the round trip): how many duplicates were merged into it, and whether the visitor
# supports it (`user` 0 for an anonymous visitor: nobody's id). Read with the row on every request,
# never kept.
_MERGED_ANNOTATION, _SUPPORTED_ANNOTATION = "lapor_page_merged", "lapor_page_supported"
# And whether it has any file or visible comment: most reports have none; the page reads each only when the
# row says there is one (a statement less each).
_HAS = {
    "files": ("lapor_page_has_files", lambda: Attachment.objects.filter(report_id=OuterRef("pk"))),
    "comments": ("lapor_page_has_comments", lambda: Comment.objects.filter(report_id=OuterRef("pk"), is_hidden=False)),
}
# And its open clocks themselves, every column of each as one JSON array (NULL: none), made into clocks as
# the ORM makes them (_open_clocks): a statement less on every page of a report in progress.
_OPEN_CLOCKS_ANNOTATION = "lapor_page_open_clocks"
_CLOCK_FIELDS = tuple(Clock._meta.concrete_fields)


def _open_clocks_json():
    return (
        Clock.objects.filter(report_id=OuterRef("pk"), stopped_at=None)
        .order_by()
        .values("report_id")
        .annotate(rows=JSONRows(JSONArray(*(F(field.attname) for field in _CLOCK_FIELDS))))
        .values("rows")
    )


def _open_clocks(report) -> list | None:
    """The report's open clocks, in their order, from its page's row; None if the row was read another way."""
    rows = getattr(report, _OPEN_CLOCKS_ANNOTATION, _MISSING)
    if rows is _MISSING:
        return None
    clocks = []
    for row in rows or ():
        clock = made(Clock, _CLOCK_FIELDS, row, report._state.db)
        clock.report = report
        clocks.append(clock)
    return sorted(clocks, key=lambda clock: (clock.started_at, clock.pk))


# And its public steps, each with its agencies, the same way (JSON of every column of the step and of
# each agency): the page's steps statement too is gone. The steps' `data` is JSON in JSON (lapor/json_rows.NestedJSON).
_STEPS_ANNOTATION = "lapor_page_public_steps"
_STEP_FIELDS = tuple(Event._meta.concrete_fields)
_AGENCY_FIELDS = tuple(Agency._meta.concrete_fields)


def _step_column(field):
    return NestedJSON(F(field.attname)) if isinstance(field, JSONField) else F(field.attname)


def _public_steps_json():
    columns = [_step_column(f) for f in _STEP_FIELDS]
    for relation in ("agency", "target_agency"):
        columns += [F(f"{relation}__{f.attname}") for f in _AGENCY_FIELDS]
    return (
        Event.objects.filter(report_id=OuterRef("pk"), is_public=True)
        .order_by()
        .values("report_id")
        .annotate(rows=JSONRows(JSONArray(*columns)))
        .values("rows")
    )


def _public_steps_of(report) -> list | None:
    """The report's public steps, in their order, each with its agencies, from its page's row; None if the
    row was read another way."""
    rows = getattr(report, _STEPS_ANNOTATION, _MISSING)
    if rows is _MISSING:
        return None
    db, n, m = report._state.db, len(_STEP_FIELDS), len(_AGENCY_FIELDS)
    steps = []
    for row in rows or ():
        step = made(Event, _STEP_FIELDS, row[:n], db)
        step.report = report
        for relation, values in (("agency", row[n : n + m]), ("target_agency", row[n + m :])):
            setattr(step, relation, made(Agency, _AGENCY_FIELDS, values, db) if values[0] is not None else None)
        steps.append(step)
    return sorted(steps, key=lambda step: (step.created_at, step.pk))


_MISSING = object()


def _report_with_page_answers(number, user):
    merged = (
        Report.objects.filter(merged_into_id=OuterRef("pk"))
        .order_by()
        .values("merged_into_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        # The report it was merged into is read only when it was merged (its number is shown).
        Report.objects.select_related("agency", "reporter")
        .filter(tracking_no=number)
        .annotate(
            **{
                _MERGED_ANNOTATION: Coalesce(Subquery(merged), 0),
                _SUPPORTED_ANNOTATION: Exists(Support.objects.filter(report_id=OuterRef("pk"), user_id=user)),
                **{name: Exists(rows()) for name, rows in _HAS.values()},
                _OPEN_CLOCKS_ANNOTATION: Subquery(_open_clocks_json(), output_field=JSONField()),
                _STEPS_ANNOTATION: Subquery(_public_steps_json(), output_field=JSONField()),
            }
        )
        .order_by("pk")[:1]
    )


_report_by_number = Prepared(_report_with_page_answers, keep_plan=True)
_public_steps = Prepared(
    lambda report: Event.objects.filter(report_id=report, is_public=True).select_related("agency", "target_agency"),
    keep_plan=True,
)
_files = Prepared(lambda report: Attachment.objects.filter(report_id=report), keep_plan=True)
_clocks = Prepared(lambda report: Clock.objects.filter(report_id=report), keep_plan=True)
_comments = Prepared(
    lambda report: (
        Comment.objects.filter(report_id=report, is_hidden=False)
        .select_related("author")
        .order_by("created_at", "pk")[:200]
    ),
    keep_plan=True,
)
_supported = Prepared(
    lambda report, user: Support.objects.filter(report_id=report, user_id=user).values_list("pk")[:1], keep_plan=True
)


def _report_for_page(number: str, user):
    """The report page's row for a visitor without staff reach (access.get_report_for_user decides), with
    its merged count and the visitor's support (_report_with_page_answers)."""
    visitor = user.pk if getattr(user, "is_authenticated", False) else 0
    found = _report_by_number.objects(number=number, user=visitor)
    attach_reference(found)  # category and regions from memory, as for_list() does
    if not found:
        return None
    found[0].lapor_page_visitor = visitor  # whose support the row carries
    return found[0]


def _get_report(request, tracking_no, qs=None):
    if qs is None:
        return get_report_for_user(
            request.user,
            tracking_no,
            Report.objects.for_list().select_related("reporter"),
            fetch=lambda number: _report_for_page(number, request.user),
        )
    return get_report_for_user(request.user, tracking_no, qs)


# How many duplicates were merged into a report (its page says so): built once per process.
_merged_count = Prepared(
    lambda report: (
        Report.objects.filter(merged_into_id=report)
        .order_by()
        .values("merged_into_id")
        .annotate(n=Count("pk"))
        .values_list("n")
    ),
    keep_plan=True,
)


def _page_rows(report, what: str, statement: Prepared) -> list:
    """The report's rows of `what` (files, comments) by their statement, unless the page's row
    (_report_for_page) says it has none. A row read another way (staff, a comment POST) says nothing."""
    has = getattr(report, _HAS[what][0], None)
    if has is not None and not has:
        return []
    return statement.objects(report=report.pk, known={"report": report})


def _page_open_clocks(report) -> list:
    """The report's open clocks: from the page's row (_open_clocks), or (a row read another way) by their statement."""
    clocks = _open_clocks(report)
    return (
        clocks
        if clocks is not None
        else [c for c in _clocks.objects(report=report.pk, known={"report": report}) if c.is_open]
    )


def _detail_context(request, report, forms=None):
    user = request.user
    events = _public_steps_of(report)
    if events is None:  # the row read another way (staff reach, a comment POST)
        events = _public_steps.objects(report=report.pk, known={"report": report})
    # The report's files and its public steps' files in one query: each step's as `event.files`.
    files = {}
    for attachment in _page_rows(report, "files", _files):
        files.setdefault(attachment.event_id, []).append(attachment)
    for event in events:
        event.files = files.get(event.pk, [])
    is_reporter = user.is_authenticated and report.reporter_id == user.pk
    actions = workflow.allowed_actions(report, user) if user.is_authenticated else []
    comments = [(c, _comment_author(c, report)) for c in _page_rows(report, "comments", _comments)]
    public = report.is_public
    context = {
        "report": report,
        "events": events,
        "holding_reason": routing.holding_reason(report, events),
        "answers": [e for e in events if e.is_published_answer],
        "report_files": files.get(None, []),
        "reporter": reporter_shown_to(user, report),
        "actions": actions,
        "open_clocks": _page_open_clocks(report),
        "forms": _PageForms(forms),
        "is_public": public,
        "comments": comments,
        "may_support": user.is_authenticated and user.pk != report.reporter_id,
        "supported": public and user.is_authenticated and _supports(report, user),
        "support_text": _support_text(report.support_count),
        "case_file": is_reporter and ombudsman.may_file_case(report),
        "is_reporter": is_reporter,  # a withheld file is listed to its reporter only
        "merged_count": _merged(report),
    }
    context["parts"] = report_parts.parts(context)  # what every visitor who sees the same shares
    return context


def _support_text(n: int) -> str:
    """The count of supports in the visitor's language, as {% blocktranslate count %} drew it ("n dukungan")."""
    return ngettext("%(n)s dukungan", "%(n)s dukungan", n) % {"n": localize(n)}


def _supports(report, user) -> bool:
    """Whether `user` (signed in) supports `report`: read with the row by _report_for_page for `user`,
    else (the row read another way: staff, a comment POST) by its own statement."""
    if (
        getattr(report, _SUPPORTED_ANNOTATION, None) is not None
        and getattr(report, "lapor_page_visitor", None) == user.pk
    ):
        return bool(getattr(report, _SUPPORTED_ANNOTATION))
    return bool(_supported.rows(report=report.pk, user=user.pk))


def _merged(report) -> int:
    """How many duplicates were merged into `report` (as _supports: read with the row, or by itself)."""
    n = getattr(report, _MERGED_ANNOTATION, None)
    return n if n is not None else sum(n for (n,) in _merged_count.rows(report=report.pk))


_PAGE_FORMS = {
    "provide_info": ProvideInfoForm,
    "reply": ReplyForm,
    "accept": AcceptForm,
    "reopen": ReopenForm,
    "comment": CommentForm,
}


class _PageForms(dict):
    """The report page's forms: the one just posted (bound, with its errors) as given, a blank one built
    when the page draws it — most visitors are offered no action, and a blank form's fields are copied
    for every form made."""

    def __init__(self, given=None):
        super().__init__((name, form) for name, form in (given or {}).items() if form is not None)

    def __missing__(self, name):
        form = self[name] = _PAGE_FORMS[name]()
        return form


def _comment_author(comment, report) -> str:
    if comment.author_id == report.reporter_id:
        return _("%(name)s (pelapor)") % {"name": reporter_public_name(report)}
    return comment.author.public_name


def _render_detail(request, report, forms=None, status=200):
    context = _detail_context(request, report, forms)
    if status == 200:
        html = report_parts.kept_page(request, context)  # its kept frame, if the page has a plain shape
        if html is not None:
            return HttpResponse(html)
    return render(request, report_parts.REPORT_TEMPLATE, context, status=status)


@require_GET
def detail(request, tracking_no):
    try:
        report = _get_report(request, tracking_no)
    except Http404:
        number = (tracking_no or "").strip().upper()
        report = trackable_by_number().for_list().filter(tracking_no=number).first()
        if report is None:
            return _not_found(request, number)
        return _render_status(request, report)
    return _render_detail(request, report)


def _render_status(request, report):
    """What the holder of a tracking number sees of a report they may not read in full (not yet
    verified, or removed): its status, where it is and its public steps — never its text, its
    reporter or the notes of its steps."""
    events = list(report.events.filter(is_public=True).select_related("agency").order_by("created_at", "pk"))
    ctx = {
        "report": report,
        "events": events,
        "holding_reason": routing.holding_reason(report, events),
        "open_clocks": [c for c in report.clocks.all() if c.is_open],
    }
    page_cache.skip(request)  # for whoever holds the number; not kept (a non-public report bumps no version)
    return render(request, "complaints/report_status.html", ctx)


# --- The citizen's actions: one small POST form each ---


def _citizen_action(request, tracking_no, key, form_class, field, perform, success):
    report = _get_report(request, tracking_no)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            perform(report, form.cleaned_data)
        except InvalidInput as exc:
            form.add_error("attachments" if isinstance(exc, InvalidAttachment) else field, str(exc))
        except ActionNotAllowed as exc:
            # The form is not shown for an action no longer allowed: the reason must be said up top too.
            form.add_error(None, str(exc))
            messages.error(request, str(exc))
            return _render_detail(request, report, {key: form}, status=400)
        else:
            messages.success(request, success)
            return redirect("complaints:detail", tracking_no=report.tracking_no)
    messages.error(request, _("Periksa kembali isian Anda di bawah."))
    return _render_detail(request, report, {key: form}, status=400)


@login_required
@require_POST
def provide_info(request, tracking_no):
    def perform(report, data):
        workflow.provide_info(report, by=request.user, note=data["note"], attachments=data["attachments"])

    return _citizen_action(
        request, tracking_no, "provide_info", ProvideInfoForm, "note", perform, _("Kelengkapan data terkirim.")
    )


@login_required
@require_POST
def reply(request, tracking_no):
    def perform(report, data):
        workflow.reply(report, by=request.user, note=data["note"], attachments=data["attachments"])

    return _citizen_action(request, tracking_no, "reply", ReplyForm, "note", perform, _("Tanggapan Anda terkirim."))


@login_required
@require_POST
def accept(request, tracking_no):
    def perform(report, data):
        workflow.accept(report, by=request.user, rating=data["rating"], comment=data["comment"])

    return _citizen_action(
        request, tracking_no, "accept", AcceptForm, "rating", perform, _("Terima kasih atas penilaian Anda.")
    )


@login_required
@require_POST
def reopen(request, tracking_no):
    def perform(report, data):
        workflow.reopen(report, by=request.user, reason=data["reason"])

    return _citizen_action(request, tracking_no, "reopen", ReopenForm, "reason", perform, _("Laporan dibuka kembali."))


# --- Attachments and the Ombudsman case file ---


@require_GET
def attachment(request, tracking_no, pk):
    report = _get_report(request, tracking_no, Report.objects.select_related("agency"))
    files = Attachment.objects.filter(report=report, pk=pk)
    if not roles_for(request.user, report) & STAFF_ACTING_ROLES:
        # Files of internal steps (an unapproved draft answer) are for staff only.
        files = files.filter(Q(event__isnull=True) | Q(event__is_public=True))
    item = files.first()
    stored = uploads.file_for(item, request.user, report) if item else None
    if stored is None:
        raise Http404(_("Lampiran tidak ditemukan."))
    try:
        # Photos open in the browser; anything else (PDF) is downloaded rather than rendered on this origin.
        return uploads.file_response(item, stored, inline=item.content_type in uploads.IMAGE_TYPES)
    except FileNotFoundError as exc:
        raise Http404(_("Lampiran tidak ditemukan.")) from exc


@login_required
@require_GET
def case_file(request, tracking_no):
    report = _get_report(request, tracking_no)
    if REPORTER not in roles_for(request.user, report):
        raise Http404(_("Laporan tidak ditemukan."))
    missed = ombudsman.missed_clocks(report)
    if not ombudsman.may_file_case(report, missed):
        messages.info(
            request,
            _("Berkas untuk Ombudsman tersedia bila tenggat terlewati atau Anda tidak puas dengan penyelesaiannya."),
        )
        return redirect("complaints:detail", tracking_no=report.tracking_no)
    events = list(report.events.filter(is_public=True).select_related("agency").prefetch_related("attachments"))
    ctx = {
        "report": report,
        "reporter": reporter_shown_to(request.user, report),
        "events": events,
        "answers": [e for e in events if e.is_published_answer],
        "missed": missed,
        "unsatisfied": ombudsman.is_unsatisfied(report),
        "generated_at": timezone.now(),
    }
    return render(request, "complaints/case_file.html", ctx)


# --- My reports and notifications ---


@login_required
@require_GET
def my_reports(request):
    tab = request.GET.get("tab", own_reports.ALL)
    if tab not in own_reports.TABS:
        tab = own_reports.ALL
    counts = own_reports.tab_counts(request.user)
    ctx = {
        "tabs": [(slug, label, counts[slug]) for slug, (label, _s) in own_reports.TABS.items()],
        "tab": tab,
        "page": own_reports.page(request.user, tab, request.GET.get("page")),
        "query": f"tab={tab}",
    }
    return render(request, "complaints/my_reports.html", ctx)


@login_required
@require_GET
def notification_list(request):
    page = peek_page(request.user.notifications.order_by("-created_at", "-pk"), request.GET.get("page"))
    return render(request, "complaints/notifications.html", {"page": page, "query": ""})


@login_required
@require_POST
def notifications_read(request):
    request.user.notifications.filter(read_at__isnull=True).update(read_at=timezone.now())
    messages.success(request, _("Semua notifikasi ditandai sudah dibaca."))
    return redirect("complaints:notifications")


# --- Support and comments ---


@login_required
@require_POST
def support(request, tracking_no):
    report = _get_report(request, tracking_no, Report.objects.public())
    if report.merged_into_id:  # a merged duplicate: the support goes to the report it was merged into
        report = _get_report(request, report.merged_into.tracking_no, Report.objects.public())
    follow = request.POST.get("follow") == "1"  # "support instead of filing": they follow it too
    if Support.add(report, request.user, follow=follow):
        messages.success(
            request,
            _("Terima kasih, dukungan Anda tercatat. Anda akan menerima kabar perkembangan laporan ini.")
            if follow
            else _("Terima kasih, dukungan Anda tercatat."),
        )
    else:
        messages.info(request, _("Anda sudah mendukung laporan ini."))
    return redirect("complaints:detail", tracking_no=report.tracking_no)


@login_required
@require_POST
def comment(request, tracking_no):
    report = _get_report(request, tracking_no, Report.objects.public().for_list().select_related("reporter"))
    form = CommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Periksa kembali isian Anda di bawah."))
        return _render_detail(request, report, {"comment": form}, status=400)
    if lockout.throttled(request, "comment", account=request.user.pk):
        messages.error(request, lockout.too_many_message())
        return _render_detail(request, report, {"comment": form}, status=429)
    Comment.add(report, request.user, form.cleaned_data["body"].strip())
    messages.success(request, _("Komentar Anda ditambahkan."))
    return redirect("complaints:detail", tracking_no=report.tracking_no)


# --- Citizen submission (laporan/baru/) ---

REPORT_DRAFT_SESSION_KEY = "report_draft"


def _owned_submission_key(user, token: str) -> str:
    """Bind the form's one-time token to the account, so nobody can replay another person's token."""
    return hashlib.sha256(f"{user.pk}:{token}".encode()).hexdigest()


def _take_submission(request) -> bool:
    """Count this submission against the per-account and per-address limits, unless one of them is
    reached (False then): one Redis round trip (lapor.ratelimit.take)."""
    (user_limit, user_window), (ip_limit, ip_window) = settings.LAPOR_SUBMIT_RATE_USER, settings.LAPOR_SUBMIT_RATE_IP
    return ratelimit.take(
        [
            ("submit-user", request.user.pk, user_limit, user_window),
            ("submit-ip", client_ip(request), ip_limit, ip_window),
        ]
    )


def _refund_submission(request) -> None:
    ratelimit.refund([("submit-user", request.user.pk), ("submit-ip", client_ip(request))])


def _render_report_form(request, form, *, reattach=(), restored=False, status=200, extra=None):
    if isinstance(form, CheckedReportForm):  # shared fields, no choices: shown through a form of its own
        form = form.shown()
    _fill_submission_key(request, form)
    ctx = {
        "report_form": form,
        "reattach": list(reattach),
        "restored": restored,
        "nearby": _nearby_for_form(form),
        **(extra or {}),
    }
    return render(request, "complaints/report_form.html", ctx, status=status)


def submit_report(request):
    if request.method != "POST":
        draft = request.session.get(REPORT_DRAFT_SESSION_KEY)
        form = ReportForm(initial=draft["data"]) if draft else BlankReportForm()
        return _render_report_form(request, form, reattach=draft["files"] if draft else (), restored=bool(draft))

    if "discard_draft" in request.POST:
        request.session.pop(REPORT_DRAFT_SESSION_KEY, None)
        return redirect("complaints:submit")
    # Checked and filed without being set up for display (CheckedReportForm); shown only on refusal.
    form = CheckedReportForm(request.POST, request.FILES)
    if "check_duplicates" in request.POST:
        # "Check before you file" without JavaScript: the same form, with the likely duplicates above it.
        narrowed = ReportForm(initial={**form.draft(), "submission_key": request.POST.get("submission_key", "")})
        ctx = {"duplicates": _similar_to(request.POST), "checked": True}
        return _render_report_form(request, narrowed, reattach=form.chosen_file_names(), extra=ctx)
    if "search_agency" in request.POST or "search_place" in request.POST or "restore_draft" in request.POST:
        # No-JavaScript agency or district/village search, or "try again" from the error page
        # (lapor/errors.py): show the form again with what was typed (the draft), nothing validated yet.
        narrowed = ReportForm(initial={**form.draft(), "submission_key": request.POST.get("submission_key", "")})
        return _render_report_form(
            request, narrowed, reattach=form.chosen_file_names(), restored="restore_draft" in request.POST
        )
    if not request.user.is_authenticated:
        request.session[REPORT_DRAFT_SESSION_KEY] = {"data": form.draft(), "files": form.chosen_file_names()}
        messages.info(request, _("Masuk atau daftar dulu untuk mengirim laporan. Isian Anda sudah disimpan."))
        return redirect(f"{reverse('accounts:login')}?{urlencode({'next': reverse('complaints:submit')})}")
    if form.is_valid():
        data = form.cleaned_data
        # A double click or a resubmitted page: workflow.submit returns the first report (unique key).
        key = _owned_submission_key(request.user, data["submission_key"])
        if not _take_submission(request):
            # A resubmission of a report already filed is not a new submission: show the first one.
            existing = Report.objects.filter(submission_key=key, reporter=request.user).only("tracking_no").first()
            if existing is not None:
                return redirect("complaints:submitted", tracking_no=existing.tracking_no)
            messages.error(
                request,
                _(
                    "Anda sudah mengirim banyak laporan dalam waktu singkat. Tunggu beberapa menit lalu kirim lagi; "
                    "isian Anda tetap di formulir ini."
                ),
            )
            return _render_report_form(request, form, reattach=form.chosen_file_names(), status=429)
        try:
            report = form.submit(by=request.user, submission_key=key)
        except WorkflowError as error:
            form.add_error("attachments" if isinstance(error, InvalidAttachment) else None, str(error))
        else:
            if getattr(report, "resubmitted", False):  # not a new submission: it does not count
                _refund_submission(request)
            request.session.pop(REPORT_DRAFT_SESSION_KEY, None)
            # redirect() would first try the URL as a view name: HttpResponseRedirect, as redirect() then gives.
            return HttpResponseRedirect(report_url("complaints:submitted", report.tracking_no))
    return _render_report_form(request, form, reattach=form.chosen_file_names(), status=400 if form.errors else 200)


@login_required
@require_GET
def submitted(request, tracking_no):
    report = get_object_or_404(Report.objects.select_related("agency"), tracking_no=tracking_no, reporter=request.user)
    return render(request, "complaints/submit_done.html", {"report": report})


def _similar_to(data) -> list[Report]:
    title, body = (data.get("title") or "")[:200], (data.get("body") or "")[:2000]
    if not duplicates.words(f"{title} {body}"):
        return []  # nothing to compare yet: no query
    # The regency chosen, else the one a chosen district or village lies in (its code's first two
    # parts), else the one whose reference box holds the map pin (complaints.places).
    area = (data.get("kelurahan") or data.get("kecamatan") or "")[:16]
    code = (data.get("regency") or "")[:16] or ".".join(area.split(".")[:2])
    if code:
        regency = Region.objects.filter(level="regency", code=code).first()
    else:
        try:
            point = places.region_for_point(float(data.get("latitude")), float(data.get("longitude")))
        except (TypeError, ValueError):
            point = None
        regency = places.province_and_regency(point)[1]
    return duplicates.for_citizen(regency=regency, title=title, body=body)


@require_GET
def similar(request):
    """The likely duplicates of the report being written, as an HTML fragment (static/js/duplicates.js)."""
    ctx = {"duplicates": _similar_to(request.GET), "checked": False}
    return render(request, "complaints/_duplicates.html", ctx)


def _nearby_for_form(form) -> list:
    """Open public reports near the form's pin or in its village (none for an empty form)."""
    value = form._value
    try:
        lat, lng = (float(value(name)) for name in ("latitude", "longitude"))
    except (TypeError, ValueError):
        lat = lng = None
    village = str(value("kelurahan") or "")
    if lat is None and not village:
        return []
    from agencies.models import Village

    kelurahan = Village.objects.filter(pk=village).first() if lat is None else None
    return places.nearby(latitude=lat, longitude=lng, kelurahan=kelurahan)


AREA_CACHE_SECONDS = 86400


@require_GET
def areas(request, code):
    """The districts of a regency or the villages of a district, for the form's JavaScript cascade.
    Reference data: cached by browsers and proxies for a day."""
    results = [{"code": c, "name": n} for c, n in area_children(code)]
    if not results and not (code.count(".") in (1, 2) and len(code) <= 8):
        raise Http404
    response = JsonResponse({"results": results})
    response["Cache-Control"] = f"public, max-age={AREA_CACHE_SECONDS}"
    return response


@require_GET
def nearby(request):
    """Open public reports near a pin (lat, lng) or in a village (kelurahan): the form's "near me"."""
    try:
        lat, lng = float(request.GET["lat"]), float(request.GET["lng"])
    except (KeyError, ValueError):
        lat = lng = None
    kelurahan = None
    if lat is None and request.GET.get("kelurahan"):
        from agencies.models import Village

        kelurahan = Village.objects.filter(pk=request.GET["kelurahan"]).first()
    found = places.nearby(latitude=lat, longitude=lng, kelurahan=kelurahan)
    results = [
        {"id": r.tracking_no, "title": r.title, "url": reverse("complaints:detail", args=[r.tracking_no])}
        for r in found
    ]
    # The region of the reference point nearest to the pin (agencies/data/README.md), for an empty
    # choice: a regency and its province, or a province alone.
    province, regency = places.province_and_regency(places.region_for_point(lat, lng))
    region = None
    if province is not None:
        named = regency or province
        region = {"province": province.pk, "regency": regency.pk if regency else "", "name": named.name}
    return JsonResponse({"results": results, "region": region})


@require_GET
def report_map(request):
    """The public map's points inside ?bbox=west,south,east,north, filtered like /laporan/ (same
    ReportFilter over Report.objects.public(): never a Rahasia report; Anonim pins coarsened). A wide
    filtered view is counted from the precounted grid when its filter allows (places.facet_scope), else
    live and bounded: `more` true and a `message` ask to zoom in or refine when the box holds too many."""
    box = places.parse_box(request.GET.get("bbox", ""))
    if box is None:
        return JsonResponse({"error": _("bbox harus barat,selatan,timur,utara dalam derajat.")}, status=400)
    # The list's filter, read without the options its page shows (display=False).
    report_filter = ReportFilter(request.GET or None, queryset=Report.objects.public(), display=False)
    if report_filter.form.is_bound and not report_filter.form.is_valid():
        return JsonResponse({"error": _("Saringan tidak valid.")}, status=400)
    form = report_filter.form
    filtered = form.is_bound and any(form.cleaned_data.get(name) not in (None, "", []) for name in form.fields)
    scope = places.facet_scope(form.cleaned_data) if filtered else None
    searched = filtered and bool(form.cleaned_data.get("q"))
    response = JsonResponse(
        places.map_points(report_filter.qs, box, filtered=filtered, grid_filter=scope, searched=searched)
    )
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_GET
def agency_search(request):
    results = [{"id": a.pk, "name": a.name} for a in search_agencies(request.GET.get("q", "")).only("pk", "name")]
    return JsonResponse({"results": results})
