import datetime as dt
from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from agencies.models import Agency, District, Membership
from agencies.roles import national_roles, staff_agencies
from complaints import duplicates, places
from complaints.models import OPEN_STATUSES
from complaints.pagination import peek_page

from . import exports
from .figures import Scope, cached_figures
from .forms import PeriodForm
from .labels import FORMULAS
from .links import (
    DIMENSION_PARAMS,
    MEASURE_COUNTERS,
    TREND_COUNTERS,
    counter_links,
    deadline_links,
    period_params,
    report_list_url,
)

Role = Membership.Role
DASHBOARD_ROLES = {Role.HEAD, Role.AGENCY_ADMIN}
RANKING_PAGE_SIZE = 25
BREAKDOWN_DIMENSIONS = {
    "by_classification": "classification",
    "by_channel": "channel",
    "by_category": "category",
    "by_province": "province",
    "by_child": "agency",
}


def _staff_scope(request) -> tuple[Scope, list, bool]:
    """Heads and agency admins: their subtrees; national admins and supervisors: everything; others 404."""
    national = bool(national_roles(request.user))
    roots = [] if national else staff_agencies(request.user, DASHBOARD_ROLES)
    if not national and not roots:
        raise Http404
    chosen = request.GET.get("agency", "")
    if chosen.isdigit():
        candidates = Agency.objects.all() if national else Agency.objects.subtrees_of(roots)
        agency = candidates.filter(pk=chosen).first()
        if agency is None:
            raise Http404
    else:
        agency = None if national else roots[0]
    return Scope(agency), roots, national


def _district_filter(request, scope: Scope) -> tuple[Scope, dict]:
    """?kecamatan=<Kemendagri code> narrows every figure, the top districts and the map to one district
    (inside the scope: another district simply holds none of the scope's reports). A regency's scope
    offers its districts as a list; wider scopes take a code (a list of 7,000 helps nobody) and
    drill down from the top districts."""
    region = scope.agency.region_id if scope.agency is not None else None
    choices = []
    if region and region.count(".") == 1:  # a regency's code (51.03), not a province's (51)
        choices = list(District.objects.filter(regency_id=region).order_by("name").values_list("code", "name"))
    code = request.GET.get("kecamatan", "").strip()[:16]
    district = None
    if code:
        known = dict(choices)
        if code in known:
            district = District(code=code, name=known[code], regency_id=region)
        else:
            district = District.objects.select_related("regency").filter(pk=code).first()
    if district is not None:
        scope = replace(scope, kecamatan=district.code)
    return scope, {
        "choices": choices,
        "chosen": district,
        "typed": code,
        "unknown": bool(code) and district is None,
    }


def _add_links(figures: dict, scope: Scope, roots: list) -> None:
    """Attach to every number the admin list of the reports behind it."""
    first, last = figures["first"], figures["last"]
    # The admin list is already limited to the user's subtrees; a narrower scope filters by agency.
    narrower = scope.agency if scope.agency is not None and scope.agency not in roots else None
    base = {"instansi": narrower.pk} if narrower else {}
    if scope.kecamatan:
        base["kecamatan"] = scope.kecamatan
    open_params = {**base, "status__in": ",".join(OPEN_STATUSES)}
    for row in figures["top_districts"]:
        row["link"] = report_list_url({**open_params, "kecamatan": row["code"]})
    figures["links"] = counter_links(base, first, last) | deadline_links(narrower, first, last)
    created = period_params("created_at", first, last)
    for row in figures["funnel"]:
        row["link"] = report_list_url({**base, "status": row["status"], **created})
    now = dt.datetime.now(dt.UTC)
    for row in figures["backlog"]:
        params = {**base, "status__in": ",".join(OPEN_STATUSES)}
        params["created_at__lte"] = (now - dt.timedelta(days=row["lo"])).isoformat()
        if row["hi"]:
            params["created_at__gt"] = (now - dt.timedelta(days=row["hi"])).isoformat()
        row["link"] = report_list_url(params)
    for row in figures["durations"]:
        row["link"] = figures["links"][MEASURE_COUNTERS[row["measure"]]]
    for row in figures["trend"]["rows"]:
        # The bucket's days within the period.
        bucket_last = row["bucket"] + dt.timedelta(days=6) if figures["trend"]["weekly"] else _month_end(row["bucket"])
        row["links"] = counter_links(base, max(row["bucket"], first), min(bucket_last, last), TREND_COUNTERS)
    for key, dimension in BREAKDOWN_DIMENSIONS.items():
        for row in figures[key]:
            if row["key"] is not None:
                row["links"] = counter_links({**base, DIMENSION_PARAMS[dimension]: row["key"]}, first, last)
    for row in figures["by_child"]:
        if row.get("held") == "self" and scope.agency is not None:  # the scope agency's own desk
            row["links"] = counter_links({"agency__id__exact": scope.agency.pk}, first, last)
        elif row.get("held") == "national":  # not held by any agency yet
            row["links"] = counter_links({**base, "agency__isnull": "True"}, first, last)


def _month_end(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)


def _chart_data(figures: dict) -> dict:
    trend = figures["trend"]
    return {
        "trend": {
            # Dates in the visitor's language ("5 Jan 2026", "Mei 2026"), not ISO.
            "labels": [date_format(r["bucket"], "j M Y" if trend["weekly"] else "M Y") for r in trend["rows"]],
            "received": [r["received"] for r in trend["rows"]],
            "followed_up": [r["followed_up"] for r in trend["rows"]],
            "completed": [r["completed"] for r in trend["rows"]],
            "names": [_("Diterima"), _("Tindak lanjut pertama"), _("Selesai")],
        },
        "funnel": {
            "labels": [r["label"] for r in figures["funnel"]],
            "counts": [r["count"] for r in figures["funnel"]],
        },
        "classification": {
            "labels": [r["label"] for r in figures["by_classification"]],
            "counts": [r["received"] for r in figures["by_classification"]],
        },
        "channel": {
            "labels": [r["label"] for r in figures["by_channel"]],
            "counts": [r["received"] for r in figures["by_channel"]],
        },
    }


def _period(request):
    form = PeriodForm(request.GET or None)
    first, last = form.period()
    return form, first, last


@login_required
@require_GET
def dashboard(request):
    scope, roots, national = _staff_scope(request)
    scope, district_filter = _district_filter(request, scope)
    form, first, last = _period(request)
    figures = cached_figures(scope, first, last)
    _add_links(figures, scope, roots)
    # "Up one level" when the parent is within reach (a head's own root has nothing above it to see).
    up = None
    if scope.agency and scope.agency.parent_id and (national or scope.agency not in roots):
        up = scope.agency.parent
        if not national and not any(up.is_in_subtree_of(root) for root in roots):
            up = None
    ctx = {
        # The map of open reports: the same reports as the live figures, kept with them (figures.py).
        "map_points": figures["map_points"],
        "map_limit": places.STAFF_MAP_LIMIT,
        "district_filter": district_filter,
        "up": up,
        "form": form,
        "figures": figures,
        "scope": scope,
        "roots": roots,
        "national": national,
        "chart_data": _chart_data(figures),
        "formulas": FORMULAS,
        "query": request.GET.urlencode(),
        "period_query": urlencode({"start": first.isoformat(), "end": last.isoformat()}),
        "staff": True,
        # Many reports about one problem: the open reports with the most duplicates merged into them.
        "clusters": [
            (main, report_list_url({"gabungan": main.tracking_no}))
            for main in duplicates.largest_clusters(request.user, scope.agency)
        ],
    }
    return render(request, "dashboards/dashboard.html", ctx)


@login_required
@require_GET
def export(request, fmt):
    scope, _roots, _national = _staff_scope(request)
    scope, _district = _district_filter(request, scope)
    _form, first, last = _period(request)
    figures = cached_figures(scope, first, last)
    where = "-".join(p for p in (scope.agency.code if scope.agency else "nasional", scope.kecamatan) if p)
    name = f"statistik-{where}-{first:%Y%m%d}-{last:%Y%m%d}"
    if fmt == "xlsx":
        return exports.xlsx_response(figures, name)
    return exports.csv_response(figures, name)


@require_GET
def public(request, code=None):
    agency = get_object_or_404(Agency.objects.active(), code=code) if code else None
    form, first, last = _period(request)
    figures = cached_figures(Scope(agency, public=True), first, last)
    ctx = {
        "form": form,
        "agency": agency,
        "figures": figures,
        "ranking": peek_page(figures["by_child"], request.GET.get("page"), RANKING_PAGE_SIZE),
        "ranking_query": urlencode({"start": first.isoformat(), "end": last.isoformat()}),
        "chart_data": _chart_data(figures),
        "formulas": FORMULAS,
        "staff": False,
    }
    return render(request, "dashboards/public.html", ctx)
