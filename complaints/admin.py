"""The staff work tool: scoped report queues, action buttons that call the workflow, bulk triage,
staff-entered reports, response templates, comment moderation and CSV export.

Scoping is by our roles (complaints.access), never by Django model permissions. Anything outside a
staff member's reach answers 404. Anonymous reporters' identity is never rendered for agency roles.
"""

from __future__ import annotations

import re
import secrets
from typing import NamedTuple

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, ORDER_VAR, PAGE_VAR
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from agencies.models import Agency, Membership, in_subtrees
from agencies.roles import (
    acting_agency,
    acting_choices,
    is_national_admin,
    is_staff_member,
    national_roles,
    staff_agencies,
    training_seats,
)
from lapor import refcache

from . import (
    access,
    clocks,
    duplicates,
    exports,
    notifications,
    places,
    readiness,
    sop,
    status_counts,
    uploads,
    workflow,
)
from . import identity as identity_rules
from .admin_filters import CategoryTreeFilter, DeadlineFilter
from .admin_forms import ACTION_FORMS, ANSWER_AGAIN, BulkDispatchForm, StaffEntryForm, response_templates_for
from .admin_list import QueueChangeList, html_format, load_rows
from .models import (
    OPEN_STATUSES,
    Action,
    CalendarDay,
    Category,
    ClockLimit,
    IdentityAccess,
    Report,
    ResponseTemplate,
    RoutingRule,
    Status,
    reference_objects,
)
from .pagination import CappedCountPaginator
from .templatetags.complaints import agency_time, internal_target_note
from .workflow import WorkflowError

Role = Membership.Role


class AdminAction(NamedTuple):
    """An action button of the report page: a workflow action, or the admin's "answer again"."""

    value: str
    label: str


TRIAGE_ROLES = {Role.AGENCY_ADMIN}


class NotFoundForOutsiders:
    """A foreign or missing object id answers 404 (never a redirect or 403 that confirms it exists)."""

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404(_g("Data tidak ditemukan."))
        return obj


class SaysWhenFiltersAreInvalid:
    """Django answers a list address with unknown or malformed filters by redirecting to the bare list
    with `?e=1` and no word of why: say it, so nobody mistakes the whole list for the filtered one."""

    def changelist_view(self, request, extra_context=None):
        if ERROR_FLAG in request.GET:
            messages.error(
                request,
                _g(
                    "Saringan pada alamat itu tidak dikenali atau nilainya tidak sah; daftar "
                    "ditampilkan tanpa saringan."
                ),
            )
        return super().changelist_view(request, extra_context)


class StaffScopedAdmin(NotFoundForOutsiders, SaysWhenFiltersAreInvalid, admin.ModelAdmin):
    """Staff see only what their role and agency subtree may see; others get 404."""

    def has_module_permission(self, request):
        return is_staff_member(request.user)

    def has_view_permission(self, request, obj=None):
        return is_staff_member(request.user)


class NationalOnlyAdmin(SaysWhenFiltersAreInvalid, admin.ModelAdmin):
    def has_module_permission(self, request):
        return is_national_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_national_admin(request.user)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


# --- Queues ---


OVERDUE_COUNT_CAP = 1000


def queue_counts(request) -> dict:
    """Reports per status in the user's scope plus the overdue ones. National roles (the whole
    country) read the workflow's status counters (complaints/status_counts.py) and count the overdue
    reports up to OVERDUE_COUNT_CAP through the (status, due_at) index, so their cost does not grow
    with the table; other staff: ONE grouped query over their subtree's handling rows
    (access.staff_queue_counts), kept until a report of the subtree moves (complaints/queue_cache.py)."""
    cached = getattr(request, "_lapor_queue_counts", None)
    if cached is None:
        now = timezone.now()
        if national_roles(request.user):
            totals = status_counts.totals()
            cached = {status: totals.get(status, 0) for status in OPEN_STATUSES}
            overdue = Report.objects.overdue(now).order_by().values("pk")[:OVERDUE_COUNT_CAP].count()
            cached["overdue"] = f"{OVERDUE_COUNT_CAP}+" if overdue >= OVERDUE_COUNT_CAP else overdue
        else:
            # Only the open queues (the tabs', and overdue's): closed reports are never read.
            cached = access.staff_queue_counts(request.user, OPEN_STATUSES, now)
        request._lapor_queue_counts = cached
    return cached


QUEUES = [
    ("overdue", _("Terlambat")),
    (Status.SUBMITTED, Status.SUBMITTED.label),
    (Status.ON_HOLD, Status.ON_HOLD.label),
    (Status.DISPATCHED, Status.DISPATCHED.label),
    (Status.IN_PROGRESS, _("Sedang Diproses")),
    (Status.RETURNED, _("Dikembalikan")),
    (Status.RESPONDED, _("Ditanggapi")),
]


def reference_choices(name: str, build):
    """A list filter's choices drawn from reference data (regions, districts, agencies, categories):
    kept in each worker's memory per reference-data generation (lapor/refcache: a change to any of
    them, or a bulk load, bumps it), so a queue page reads none of them from the database."""
    return refcache.get(f"admin-choices:{name}", build)


class QueueFilter(admin.SimpleListFilter):
    title = _("antrean")
    parameter_name = "antrean"

    def lookups(self, request, model_admin):
        counts = queue_counts(request)
        return [(key, f"{label} ({counts.get(key, 0)})") for key, label in QUEUES]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "overdue":
            return queryset.overdue()
        if value in Status.values:
            return queryset.filter(status=value)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = _("keterlambatan")
    parameter_name = "terlambat"

    def lookups(self, request, model_admin):
        return [("1", _("Terlambat")), ("0", _("Belum lewat tenggat"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.overdue()
        if self.value() == "0":
            return queryset.not_overdue()
        return queryset


class ClusterFilter(admin.SimpleListFilter):
    """?gabungan=<tracking no>: a report and the duplicates merged into it (the dashboard's clusters)."""

    title = _("kelompok duplikat")
    parameter_name = "gabungan"

    def lookups(self, request, model_admin):
        value = (self.value() or "").strip().upper()
        return [(value, value)] if value else []

    def queryset(self, request, queryset):
        value = (self.value() or "").strip().upper()
        if value:
            return queryset.filter(Q(tracking_no=value) | Q(merged_into__tracking_no=value))
        return queryset


class ProvinceFilter(admin.SimpleListFilter):
    title = _("provinsi")
    parameter_name = "provinsi"

    def lookups(self, request, model_admin):
        from agencies.models import Region

        return reference_choices(
            "provinces", lambda: list(Region.objects.filter(level=Region.Level.PROVINCE).values_list("code", "name"))
        )

    def queryset(self, request, queryset):
        return queryset.filter(province_id=self.value()) if self.value() else queryset


class RegencyFilter(admin.SimpleListFilter):
    """Regencies/cities of the province chosen in the province filter (offered only then: a list of 514
    in the sidebar helps nobody); the step between the province and its districts."""

    title = _("kabupaten/kota")
    parameter_name = "kabupaten"

    def lookups(self, request, model_admin):
        from agencies.models import Region

        province, chosen = request.GET.get("provinsi", ""), self.value()
        if not province and not chosen:
            return []
        regions = reference_objects()["regions"].values()  # in memory (reference data)
        rows = [
            (r.pk, r.name)
            for r in regions
            if (r.level == Region.Level.REGENCY and r.parent_id == province) or r.pk == chosen
        ]
        return sorted(rows, key=lambda row: row[1])

    def queryset(self, request, queryset):
        return queryset.filter(regency_id=self.value()) if self.value() else queryset


REGENCY_CODE = re.compile(r"[0-9]{2}\.[0-9]{2}")


class DistrictFilter(admin.SimpleListFilter):
    """Kecamatan of one regency only — the one chosen in the regency filter, else the regency the staff
    member's agency governs — never the country's 7,000; a district code typed into the address
    (?kecamatan=51.03.01, the dashboards' links) filters too."""

    title = _("kecamatan")
    parameter_name = "kecamatan"

    def lookups(self, request, model_admin):
        from agencies.models import District

        regency = request.GET.get("kabupaten", "")
        regions = [regency] if regency else [a.region_id for a in staff_agencies(request.user) if a.region_id]
        regencies = [code for code in regions if code.count(".") == 1]  # not a province's code
        chosen = self.value()
        if not regencies and not chosen:
            return []
        # Each regency's districts kept with the reference data; only what is shaped like a regency's
        # code is kept (the address is typed by people), and a chosen district from elsewhere is read.
        rows = [
            row
            for code in dict.fromkeys(regencies)
            if REGENCY_CODE.fullmatch(code)
            for row in reference_choices(
                f"districts:{code}",
                lambda code=code: list(District.objects.filter(regency_id=code).values_list("code", "name")),
            )
        ]
        if chosen and chosen not in {code for code, _name in rows}:
            rows += District.objects.filter(pk=chosen).values_list("code", "name")
        return sorted(rows, key=lambda row: row[1])

    def queryset(self, request, queryset):
        return queryset.filter(places.area_filter(self.value())) if self.value() else queryset


class AgencyFilter(admin.SimpleListFilter):
    """The agencies a staff member works in and the ones directly below (a whole subtree each)."""

    title = _("instansi penangan")
    parameter_name = "instansi"

    def lookups(self, request, model_admin):
        own = staff_agencies(request.user)
        if national_roles(request.user) or not own:
            key, qs = "agencies:top", Agency.objects.filter(depth__lte=1)
        else:
            pks = sorted(a.pk for a in own)
            key, qs = f"agencies:{pks}", Agency.objects.filter(Q(pk__in=pks) | Q(parent__in=pks))
        return reference_choices(key, lambda: list(qs.order_by("path").values_list("pk", "name")[:200]))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if not self.value().isdigit():
            raise IncorrectLookupParameters(self.value())
        agency = Agency.objects.filter(pk=self.value()).first()
        if agency is None:
            return queryset.none()
        return queryset.filter(in_subtrees([agency], "agency"))


# Other apps add sections to the report page (channels: the citizen's conversation). A panel is a
# callable (request, report, reporter_shown) -> (template name, context) or None, registered from the
# app's AppConfig.ready(); it sees the report only after this admin's own access check.
REPORT_PANELS: list = []


def register_report_panel(panel) -> None:
    if panel not in REPORT_PANELS:
        REPORT_PANELS.append(panel)


_STATUS_LABELS: dict[tuple[str, str], str] = {}
_OVERDUE_BADGES: dict[str, str] = {}


def _overdue_badge() -> str:
    """The "Terlambat" badge under a deadline in the queue, drawn once per worker and language."""
    language = get_language()
    badge = _OVERDUE_BADGES.get(language)
    if badge is None:
        badge = _OVERDUE_BADGES[language] = html_format(
            '<br><span class="lapor-badge overdue">{}</span>', _g("Terlambat")
        )
    return badge


def _status_label(status: str) -> str:
    """A status's label in the current language (Report.get_status_display walks the field's choices
    and a lazy string for each row), looked up once per worker, language and status."""
    key = (get_language(), status)
    label = _STATUS_LABELS.get(key)
    if label is None:
        if status not in Status.values:
            return status
        label = _STATUS_LABELS[key] = str(Status(status).label)
    return label


def _actor_label(event, report, reporter) -> str:
    if event.actor_id is None:
        return _g("Sistem")
    if event.actor_id == report.reporter_id:
        return reporter["name"]
    return event.actor.full_name or _g("Petugas")


@admin.register(Report)
class ReportAdmin(StaffScopedAdmin):
    # Operators work on laptops: the columns fit 1280 px beside the filters (the region is a filter and on
    # the report; a missed deadline is flagged in the deadline's own column).
    list_display = ["tracking_no", "title", "category", "handling_agency", "status_badge", "due"]
    list_display_links = ["tracking_no", "title"]
    list_select_related = ()  # the page's agencies and categories: admin_list.load_rows
    list_filter = [
        QueueFilter,
        "status",
        "classification",
        "channel",
        OverdueFilter,
        ProvinceFilter,
        RegencyFilter,
        DistrictFilter,
        AgencyFilter,
        CategoryTreeFilter,
        DeadlineFilter,
        ClusterFilter,
    ]
    # Each word a tracking number (as stored, on its unique index: models.TypedTrackingNumber) or part of
    # the title (UPPER(title) LIKE, on the trigram index report_title_search, migration 0040).
    search_fields = ["tracking_no__typed", "title"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = CappedCountPaginator
    list_per_page = 50
    # Overdue first (the earliest due), reports without a running clock last, on every database.
    ordering = list(access.QUEUE_ORDER)
    actions = ["verify_and_dispatch"]
    change_form_template = "admin/complaints/report/change_form.html"
    change_list_template = "admin/complaints/report/change_list.html"
    fieldsets = [
        (None, {"fields": ["tracking_no", "title", "original_title", "body", "event_date"]}),
        (
            _("Klasifikasi"),
            {"fields": ["classification", "complaint_kind", "is_formal_info_request", "category", "tags", "channel"]},
        ),
        (
            _("Lokasi"),
            {"fields": ["province", "regency", "kecamatan", "kelurahan", "district", "latitude", "longitude"]},
        ),
        (
            _("Penanganan"),
            {"fields": ["status", "agency", "routed_by", "suggested_agency", "due_at", "close_reason", "merged_into"]},
        ),
        (_("Tanda"), {"fields": ["is_anonymous", "is_confidential"]}),
        (
            _("Waktu"),
            {
                "fields": [
                    "created_at",
                    "verified_at",
                    "dispatched_at",
                    "first_follow_up_at",
                    "responded_at",
                    "closed_at",
                ]
            },
        ),
        (_("Penilaian"), {"fields": ["rating", "rating_comment", "bounce_count", "reopen_count"]}),
    ]

    # -- scope and permissions (our roles, not Django model permissions) --

    def get_changelist(self, request, **kwargs):
        return QueueChangeList

    # A queue of one status (or the overdue one), unsearched and unfiltered otherwise, is as long as
    # its tab says (queue_counts: counted once for the tabs, or the national status counters), so the
    # page does not count it a second time.
    COUNTED_QUEUE_PARAMS = {"status__exact", "antrean", ORDER_VAR, PAGE_VAR}

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        paginator = super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        paginator.known_count = self._counted_queue_size(request)
        return paginator

    def _counted_queue_size(self, request) -> int | None:
        """The number of reports in the queue the address shows, when it is one the tabs count; else None."""
        if not is_staff_member(request.user) or not set(request.GET) <= self.COUNTED_QUEUE_PARAMS:
            return None
        chosen = {request.GET[key] for key in ("status__exact", "antrean") if key in request.GET}
        if len(chosen) != 1:
            return None
        (queue,) = chosen
        if national_roles(request.user):
            if training_seats(request.user) or queue not in Status.values:
                return None  # the counters count real reports only; "overdue" is capped ("1000+")
            if queue in OPEN_STATUSES:
                return queue_counts(request).get(queue, 0)  # the tabs' reading of the counters
            return status_counts.totals().get(queue, 0)
        if queue == "overdue" or queue in OPEN_STATUSES:
            return queue_counts(request).get(queue, 0)  # the same scope, counted for the tabs
        return None

    # A page of a queue of one status in the default order, unsearched and unfiltered otherwise.
    HANDLING_ROWS_PAGE_PARAMS = {"status__exact", "antrean", PAGE_VAR}

    def queue_page(self, request, cl):
        """The changelist's page of a queue of one status, for staff below the national roles: its
        reports picked from the handling rows' index and read by id (access.staff_queue_reports), in
        the changelist's order — the same rows as cl.result_list, without probing every report of the
        queue for its due time. A queue of one page (Django then reads it unsliced) is its first page:
        the same statement as the first page of a long queue, so a page costs the same however long
        its queue. None (Django's page stands) for anything else on the address, another order, or
        another scope."""
        if not set(request.GET) <= self.HANDLING_ROWS_PAGE_PARAMS:
            return None
        chosen = {request.GET[key] for key in ("status__exact", "antrean") if key in request.GET}
        if len(chosen) != 1 or not chosen <= set(Status.values):
            return None
        (status,) = chosen
        query = cl.result_list.query
        if query.is_sliced:
            low, high = query.low_mark, query.high_mark
        elif cl.multi_page:
            return None  # a whole long queue (not asked for by these parameters)
        else:
            low, high = 0, cl.list_per_page  # the whole queue, no longer than a page (its tab's count)
        return access.staff_queue_reports(request.user, status, low, high)

    def get_queryset(self, request):
        qs = access.staff_reports(request.user, super().get_queryset(request), statuses=self._open_only(request))
        if any(key.split("__")[0] in self.IDENTITY_LOOKUPS for key in request.GET):
            # Filtering by who filed would tie an Anonim report to its reporter, national admins included:
            # their identity is reached only through the recorded break-glass page.
            qs = qs.filter(is_anonymous=False)
        return qs

    def _open_only(self, request):
        """OPEN_STATUSES on the list of an overdue queue (?antrean=overdue, ?terlambat=1: open reports only,
        overdue_q), else None: its scope then reads the subtrees' open handling rows (report_agency_open:
        931 for the 2M bench admin's government) instead of every row they ever had (3,071) — the same
        reports. Only on the list page: another page (a report's, an action) keeps the whole scope."""
        if getattr(request.resolver_match, "url_name", None) != "complaints_report_changelist":
            return None
        overdue = (
            request.GET.get(QueueFilter.parameter_name) == "overdue"
            or request.GET.get(OverdueFilter.parameter_name) == "1"
        )
        return OPEN_STATUSES if overdue else None

    def has_add_permission(self, request):
        return False  # reports are filed through workflow.submit: see entry_view

    def has_change_permission(self, request, obj=None):
        return False  # the change page is read-only: every change is a workflow action button

    def has_delete_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        # The reporter's identity is never a form field: the change page shows it from
        # access.reporter_shown_to, and only to those access.can_see_identity allows.
        return [name for _title, opts in self.fieldsets for name in opts["fields"]]

    # The reporter's identity fields: an address filtering on them would let agency staff narrow down
    # who filed an anonymous report (reporter_contact__startswith=0812…), so only national admins may.
    IDENTITY_LOOKUPS = {"reporter", "reporter_id", "reporter_name", "reporter_contact"}

    def lookup_allowed(self, lookup, value, request=None):
        if lookup.split("__")[0] in self.IDENTITY_LOOKUPS and not is_national_admin(request.user):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_search_results(self, request, queryset, search_term):
        qs, distinct = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if "@" in term or term.replace("+", "").isdigit():
            who = Q(reporter__email__iexact=term) | Q(reporter__phone=term) | Q(reporter_contact=term)
            # A reporter's e-mail or phone never finds an Anonim report, for anybody (break-glass only).
            matches = queryset.filter(who).filter(is_anonymous=False)
            qs = qs | matches
        return qs, distinct

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not (is_national_admin(request.user) or staff_agencies(request.user, TRIAGE_ROLES)):
            actions.pop("verify_and_dispatch", None)
        return actions

    # -- list columns --

    def row_key(self, obj) -> tuple:
        """Everything a row of the list shows (the columns below, the checkbox's label), in the terms it
        shows them: admin_list keeps each drawn row in the worker's memory under this (with the page's
        link and language), so a change to any of it draws the row again."""
        target = getattr(obj, "sop_target", None)
        return (
            obj.pk,
            obj.tracking_no,
            obj.title,
            str(obj.category) if obj.category_id else None,
            (obj.agency.name, obj.agency.timezone) if obj.agency_id else None,
            obj.status,
            obj.due_at,
            obj.is_overdue(),
            target,
            target is not None and target[1] < timezone.now(),  # internal_target_note's "late"
        )

    @admin.display(description=_("instansi penangan"), ordering="agency__name")
    def handling_agency(self, obj):
        return obj.agency.name if obj.agency_id else _g("Admin Nasional")

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj):
        return html_format('<span class="lapor-badge status-{}">{}</span>', obj.status, _status_label(obj.status))

    @admin.display(description=_("tenggat"), ordering="due_at")
    def due(self, obj):
        """The legal deadline in the agency's time zone and, beside it, the agency's own SOP target
        (put on the page's reports by changelist_view: sop.attach_targets)."""
        if obj.due_at is None:
            return "–"
        when = agency_time(obj.due_at, obj.agency if obj.agency_id else None)
        late = _overdue_badge() if obj.is_overdue() else ""
        target = internal_target_note(obj)
        return html_format("{}{}{}", when, late, html_format("<br>{}", target) if target else "")

    # -- URLs --

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("catat/", wrap(self.entry_view), name="complaints_report_entry"),
            path("ekspor/", wrap(self.export_view), name="complaints_report_export"),
            path("ekspor/xlsx/", wrap(self.export_view), {"fmt": "xlsx"}, name="complaints_report_export_xlsx"),
            path("<path:object_id>/action/<str:action>/", wrap(self.action_view), name="complaints_report_action"),
            path(
                "<path:object_id>/lampiran/<int:attachment_id>/",
                wrap(self.attachment_view),
                name="complaints_report_attachment",
            ),
            path(
                "<path:object_id>/komentar/<int:comment_id>/sembunyikan/",
                wrap(require_POST(self.hide_comment_view)),
                name="complaints_report_hide_comment",
            ),
            *super().get_urls(),
        ]

    def _report(self, request, object_id) -> Report:
        if not self.has_view_permission(request):
            raise Http404
        return self.get_object(request, object_id)

    # -- views --

    def changelist_view(self, request, extra_context=None):
        if is_staff_member(request.user):
            extra_context = {
                **(extra_context or {}),
                "queue_tabs": [(key, label, queue_counts(request).get(key, 0)) for key, label in QUEUES],
                "current_queue": request.GET.get("antrean", ""),
                "can_enter": workflow.may_enter_for(request.user, None),
                "in_training": bool(training_seats(request.user)),
                "acting_choices": len(acting_choices(request.user)) > 1,
                "acting_agency": acting_agency(request.user),
                "manages_staff": is_national_admin(request.user)
                or bool(staff_agencies(request.user, {Role.AGENCY_ADMIN})),
                "coordinates": readiness.is_coordinator(request.user),
            }
        response = super().changelist_view(request, extra_context)
        cl = (getattr(response, "context_data", None) or {}).get("cl")
        if cl is not None:
            # The page's rows with their agencies (one query for the page) and categories (memory),
            # and their SOP targets (reference data).
            sop.attach_targets(load_rows(cl))
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self._report(request, object_id)
        reporter = access.reporter_shown_to(request.user, report)
        events = report.events.select_related("actor", "agency", "target_agency").prefetch_related("attachments")
        comments = report.comments.select_related("author")
        allowed = workflow.allowed_actions(report, request.user)
        ctx = {
            **(extra_context or {}),
            # The reporter's own entries carry the name the viewer may see ("Anonim" for agency roles).
            "timeline": [(e, _actor_label(e, report, reporter)) for e in events],
            "comment_rows": [
                (c, reporter["name"] if c.author_id == report.reporter_id else c.author.public_name) for c in comments
            ],
            # A report already answered takes another answer only through its own button.
            "actions_allowed": [
                AdminAction(ANSWER_AGAIN, _("Tambah jawaban"))
                if a == Action.RESPOND and report.status == Status.RESPONDED
                else AdminAction(a.value, a.label)
                for a in allowed
                if a in ACTION_FORMS
            ],
            # The latest step this page shows: the action forms carry it (workflow.act refuses an action
            # whose premise changed meanwhile).
            "seen_event": max((e.pk for e in events), default=""),
            "clocks": report.clocks.select_related("agency").prefetch_related("steps"),
            "internal_target": sop.internal_target(report),
            "attachments": report.attachments.all(),
            "can_moderate": bool(allowed),
            "reporter_shown": reporter,
            "can_break_glass": not reporter["full"] and identity_rules.may_break_glass(request.user, report),
            "entered_by": report.entered_by if report.entered_by_id else None,
            "panels": [p for p in (panel(request, report, reporter) for panel in REPORT_PANELS) if p],
            # The pin, exact for the staff handling the report (it is where the problem is), as text
            # with its district and village and a link, and as a small map where tiles load.
            "pin": places.pin_summary(report),
        }
        return super().change_view(request, object_id, form_url, ctx)

    def action_view(self, request, object_id, action):
        report = self._report(request, object_id)
        if action not in ACTION_FORMS:
            raise Http404
        again = action == ANSWER_AGAIN
        performed = Action.RESPOND if again else Action(action)  # what the workflow is asked to do
        label = _("Tambah jawaban") if again else performed.label
        change_url = reverse("admin:complaints_report_change", args=[report.pk])
        if not workflow.allowed(report, performed, request.user) or (again and report.status != Status.RESPONDED):
            messages.error(request, _g("Tindakan ini tidak tersedia untuk laporan ini sekarang."))
            return HttpResponseRedirect(change_url)
        form_class = ACTION_FORMS[action]
        initial = {}
        template_id = request.GET.get("templat")
        if template_id and performed in (Action.RESPOND, Action.DRAFT_RESPONSE):
            chosen = response_templates_for(report).filter(pk=template_id).first()
            if chosen is not None:
                initial["note"] = chosen.body
        if performed == Action.MERGE and request.GET.get("ke"):
            initial["into"] = request.GET["ke"][:12]
        latest = report.events.order_by("-pk").values_list("pk", flat=True).first()
        if request.method == "POST":
            form = form_class(request.POST, request.FILES, report=report, user=request.user)
            if form.is_valid():
                try:
                    workflow.act(performed, report, by=request.user, **form.premise(), **form.kwargs())
                except workflow.AlreadyDone as exc:  # a double click: the first one stands
                    messages.info(request, str(exc))
                    return HttpResponseRedirect(change_url)
                except workflow.StaleAction as exc:
                    # Shown with what changed; sent again from here, it acts on the report as it is now.
                    data = request.POST.copy()
                    data["seen_event"], data["once"] = latest or "", secrets.token_urlsafe(16)
                    form = form_class(data, request.FILES, report=report, user=request.user)
                    form.is_valid()
                    form.add_error(None, str(exc))
                except WorkflowError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, _g("“%(action)s” berhasil dicatat.") % {"action": label})
                    route_to = form.cleaned_data.get("route_to") if performed == Action.VERIFY else None
                    if route_to is not None:  # the verify form's suggested agency: dispatch it there now
                        try:
                            workflow.dispatch(report, by=request.user, to_agency=route_to)
                        except WorkflowError as exc:
                            messages.warning(request, str(exc))
                        else:
                            messages.success(request, _("Laporan didisposisikan ke %(agency)s.") % {"agency": route_to})
                    return HttpResponseRedirect(change_url)
        else:
            seen = request.GET.get("seen", "")
            seen = int(seen) if seen.isdigit() else None
            newer = workflow.changes_since(report, seen)
            if newer:  # the change page the operator came from is out of date: say what changed
                messages.warning(
                    request,
                    _("Laporan ini sudah berubah sejak halaman sebelumnya dibuka: %(changes)s.")
                    % {"changes": workflow.describe_changes(report, newer)},
                )
            form = form_class(
                report=report, user=request.user, seen_event=latest, **({"initial": initial} if initial else {})
            )
        ctx = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "report": report,
            "action": AdminAction(action, label),
            "form": form,
            "media": self.media + form.media,
            "templates": form.templates() if hasattr(form, "templates") else [],
            "change_url": change_url,
            "title": f"{label}: {report.tracking_no}",
            # Verifying or merging: the reports that look like this one (complaints.duplicates).
            "likely_duplicates": duplicates.for_verifier(report, request.user)
            if performed in (Action.VERIFY, Action.MERGE)
            else None,
            "may_merge": workflow.allowed(report, Action.MERGE, request.user),
        }
        return TemplateResponse(request, "admin/complaints/report/action_form.html", ctx)

    def attachment_view(self, request, object_id, attachment_id):
        report = self._report(request, object_id)
        attachment = get_object_or_404(report.attachments, pk=attachment_id)
        # The type verified on upload, its extension, the sandbox policy: never served as a page.
        stored = uploads.file_for(attachment, request.user, report)
        if stored is None:
            raise Http404
        try:
            return uploads.file_response(attachment, stored)
        except FileNotFoundError as exc:
            raise Http404 from exc

    def hide_comment_view(self, request, object_id, comment_id):
        report = self._report(request, object_id)
        comment = get_object_or_404(report.comments, pk=comment_id)
        hide = request.POST.get("hide", "1") == "1"
        try:
            workflow.set_comment_hidden(comment, hide, by=request.user)
        except workflow.ActionNotAllowed as exc:
            raise Http404 from exc
        messages.success(request, _g("Komentar disembunyikan.") if hide else _g("Komentar ditampilkan kembali."))
        return HttpResponseRedirect(reverse("admin:complaints_report_change", args=[report.pk]))

    def export_view(self, request, fmt="csv"):
        """The list as it is filtered now: built at once when small, else by a Celery job (progress page)."""
        if not self.has_view_permission(request):
            raise Http404
        queryset = self.get_changelist_instance(request).queryset
        if not exports.needs_job(queryset):
            return exports.export_reports(queryset, request.user, fmt)
        job = exports.start(request.user, fmt, request.GET.urlencode())
        if job is None:
            messages.error(
                request, _g("Anda masih punya ekspor yang sedang dibuat. Tunggu sampai selesai, lalu coba lagi.")
            )
            return HttpResponseRedirect(reverse("staff:exports"))
        return HttpResponseRedirect(reverse("staff:export", args=[job.token]))

    def entry_view(self, request):
        if not workflow.may_enter_for(request.user, None):
            raise Http404
        reattach = []
        if request.method == "POST" and "search_place" in request.POST:
            # The district/village search without JavaScript: the form again with what was typed and the
            # places found, nothing validated yet (files cannot be put back: named to choose again).
            typed = StaffEntryForm(request.POST, request.FILES, user=request.user)
            form, reattach = StaffEntryForm(initial=typed.draft(), user=request.user), typed.chosen_file_names()
        elif request.method == "POST":
            form = StaffEntryForm(request.POST, request.FILES, user=request.user)
            if form.is_valid():
                try:
                    with transaction.atomic():
                        report = workflow.submit(by=request.user, **form.kwargs())
                        email = form.cleaned_data["reporter_email"]
                        if email and report.reporter_id is None:
                            notifications.send_entry_receipt(report, email)
                except WorkflowError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, _g("Laporan %(no)s dicatat.") % {"no": report.tracking_no})
                    return HttpResponseRedirect(reverse("admin:complaints_report_change", args=[report.pk]))
        else:
            form = StaffEntryForm(user=request.user)
        ctx = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "reattach": reattach,
            "media": self.media + form.media,
            "title": _g("Catat laporan dari luar platform"),
        }
        return TemplateResponse(request, "admin/complaints/report/entry_form.html", ctx)

    # -- bulk action --

    @admin.action(description=_("Verifikasi dan disposisikan ke satu instansi"))
    def verify_and_dispatch(self, request, queryset):
        if not queryset.exists():
            messages.warning(request, _g("Tidak ada laporan yang dapat diproses di antara yang dipilih."))
            return None
        if "apply" in request.POST:
            form = BulkDispatchForm(request.POST, user=request.user)
            if form.is_valid():
                self._bulk_verify_dispatch(request, queryset, form.cleaned_data["to_agency"])
                return None
        else:
            form = BulkDispatchForm(user=request.user)
        ctx = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            # With the latest step of each as the page shows it: a report that moved on is not acted on.
            "reports": queryset.select_related("agency").annotate(seen_event=Max("events__pk"))[:500],
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "title": _g("Verifikasi dan disposisikan"),
        }
        return TemplateResponse(request, "admin/complaints/report/bulk_dispatch.html", ctx)

    def _bulk_verify_dispatch(self, request, queryset, agency):
        done, failed = [], []
        for report in queryset.select_related("agency"):
            seen = request.POST.get(f"seen_{report.pk}", "")
            seen = int(seen) if seen.isdigit() else None
            try:
                with transaction.atomic():
                    if report.status == Status.SUBMITTED:
                        workflow.act(Action.VERIFY, report, by=request.user, seen_event=seen)
                        seen = None
                    workflow.act(Action.DISPATCH, report, by=request.user, seen_event=seen, to_agency=agency)
            except WorkflowError as exc:
                failed.append(f"{report.tracking_no}: {exc}")
            else:
                done.append(report.tracking_no)
        if done:
            messages.success(
                request,
                _g("%(n)s laporan diverifikasi dan didisposisikan ke %(agency)s: %(list)s")
                % {"n": len(done), "agency": agency.name, "list": ", ".join(done)},
            )
        for line in failed:
            messages.error(request, _g("Gagal — %(reason)s") % {"reason": line})


@admin.register(Category)
class CategoryAdmin(NationalOnlyAdmin):
    list_display = ["name", "parent", "code", "level", "position", "is_active"]
    list_filter = ["is_active", "level", "parent"]
    search_fields = ["name", "code"]


@admin.register(RoutingRule)
class RoutingRuleAdmin(NationalOnlyAdmin):
    """The default routing's rules (complaints.routing): category + region → agency."""

    list_display = ["category", "region", "agency"]
    list_select_related = ["category", "region", "agency"]
    search_fields = ["category__name", "category__code", "region__name", "agency__name", "agency__code"]
    autocomplete_fields = ["agency"]
    raw_id_fields = ["category", "region"]


class RecomputesClocks:
    """Saving or deleting a limit or a calendar day gives the affected running clocks new due times."""

    def _recompute(self, obj, agency_id=None):
        kind = obj.kind if isinstance(obj, ClockLimit) else None
        clocks.queue_recompute(agency_id if agency_id is not None else obj.agency_id, kind)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        before = form.initial.get("agency") if change else None
        if before and before != obj.agency_id:
            self._recompute(obj, before)  # moved away from an agency: its clocks change too
        self._recompute(obj)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        self._recompute(obj)

    def delete_queryset(self, request, queryset):
        objs = list(queryset)
        super().delete_queryset(request, queryset)
        for obj in objs:
            self._recompute(obj)


@admin.register(ClockLimit)
class ClockLimitAdmin(RecomputesClocks, NationalOnlyAdmin):
    list_display = ["kind", "classification", "complaint_kind", "agency", "days", "calendar_days"]
    list_filter = ["kind", "classification"]
    autocomplete_fields = ["agency"]


@admin.register(CalendarDay)
class CalendarDayAdmin(RecomputesClocks, NationalOnlyAdmin):
    list_display = ["date", "name", "kind", "agency"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    autocomplete_fields = ["agency"]


TEMPLATE_EDIT_ROLES = {Role.AGENCY_ADMIN, Role.UNIT_ADMIN, Role.LIAISON_OFFICER}


def _template_agencies(user):
    """The agencies whose response templates `user` may write (heads and supervisors only read)."""
    if is_national_admin(user):
        return Agency.objects.all()
    return Agency.objects.subtrees_of(staff_agencies(user, TEMPLATE_EDIT_ROLES))


@admin.register(ResponseTemplate)
class ResponseTemplateAdmin(StaffScopedAdmin):
    list_display = ["title", "agency"]
    list_select_related = ["agency"]
    search_fields = ["title", "body"]
    autocomplete_fields = ["agency"]
    show_full_result_count = False

    def get_queryset(self, request):
        qs = super().get_queryset(request).select_related("agency")
        if national_roles(request.user):
            return qs
        return qs.filter(agency__in=Agency.objects.subtrees_of(staff_agencies(request.user)))

    def _may_edit(self, request, obj=None):
        """An editing role somewhere, and for an existing template one over its agency."""
        user = request.user
        if is_national_admin(user):
            return True
        if obj is not None:
            return _template_agencies(user).filter(pk=obj.agency_id).exists()
        return bool(staff_agencies(user, TEMPLATE_EDIT_ROLES))

    def has_add_permission(self, request):
        return self._may_edit(request)

    def has_change_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "agency":
            kwargs["queryset"] = _template_agencies(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(IdentityAccess)
class IdentityAccessAdmin(admin.ModelAdmin):
    """Every look at an Anonim reporter's identity, for national admins and supervisors. Read-only: the
    records are append-only and hash-chained (manage.py verify_audit)."""

    list_display = ["created_at", "user", "report_link", "reason"]
    search_fields = ["report__tracking_no", "user__full_name", "user__email", "reason"]
    # Recorded as it happened; nobody, superusers included, edits or deletes it here.
    ordering = ["-created_at", "-pk"]
    fields = ["created_at", "user", "report_link", "reason", "chain_hash"]
    readonly_fields = fields
    list_select_related = ["user", "report"]
    show_facets = admin.ShowFacets.NEVER
    show_full_result_count = False

    @admin.display(description=_("laporan"), ordering="report__tracking_no")
    def report_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:complaints_report_change", args=[obj.report_id]),
            obj.report.tracking_no,
        )

    def has_module_permission(self, request):
        return bool(national_roles(request.user))

    def has_view_permission(self, request, obj=None):
        return bool(national_roles(request.user))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
