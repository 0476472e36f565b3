"""Who may see what: scopes reports to a user and redacts reporters.

Every page, admin queryset and export fetches reports through these helpers. A report outside a
user's reach is answered with 404, the same as a missing one, so nothing leaks its existence.
Three other surfaces scope by agency subtree on their own terms: the integration API by the key's
agency (api/views.py), the dashboards by the viewer's agencies (dashboards/views.py and figures.py)
and the daily digest by the recipient's agencies (escalation.send_daily_digests) — each with the one
rule of "inside an agency's subtree" (agencies.models.in_subtrees, Agency.is_in_subtree_of).
"""

from __future__ import annotations

from django.db.models import Count, F, Min, QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from agencies.models import Membership
from agencies.roles import memberships, national_roles, staff_agencies, training_seats
from lapor.prepared import Prepared

from . import queue_cache
from .models import Report, ReportAgency, overdue_q, tally_by_status

Role = Membership.Role
REPORTER = "reporter"
SYSTEM = "system"

STAFF_ACTING_ROLES = {Role.NATIONAL_ADMIN, Role.AGENCY_ADMIN, Role.UNIT_ADMIN, Role.LIAISON_OFFICER}
READ_ONLY_ROLES = {Role.HEAD, Role.SUPERVISOR}
ANONYMOUS_LABEL = _("Anonim")


def roles_for(user, report: Report) -> set[str]:
    """The roles `user` holds towards this report right now (None is the system)."""
    if user is None:
        return {SYSTEM}
    if report.sandbox_id is not None:
        # A practice report: only the sandbox's seats count (no national role, no real membership).
        agency_path = report.agency.path if report.agency_id else ""
        return {
            s.role
            for s in training_seats(user)
            if s.sandbox_id == report.sandbox_id and agency_path.startswith(s.agency.path)
        }
    roles = set(national_roles(user))
    if report.reporter_id is not None and report.reporter_id == user.pk:
        roles.add(REPORTER)
    if report.agency_id is not None:
        roles.update(
            m.role
            for m in memberships(user)
            if m.role not in Membership.NATIONAL_ROLES and report.agency.is_in_subtree_of(m.agency)
        )
    return roles


def acting_agencies(user, report: Report, roles=None) -> list:
    """The agencies `user` acts from on this report (optionally in some roles): their staff agencies,
    or for a practice report their seats in its sandbox."""
    if report.sandbox_id is not None:
        return [
            s.agency
            for s in training_seats(user)
            if s.sandbox_id == report.sandbox_id and (roles is None or s.role in roles)
        ]
    return staff_agencies(user, roles)


def is_national_admin_for(user, report: Report) -> bool:
    """A national admin's reach, which no practice report is within."""
    return report.sandbox_id is None and Role.NATIONAL_ADMIN in national_roles(user)


def staff_reports(user, qs: QuerySet | None = None, statuses=None) -> QuerySet:
    """What staff may work on or read in the admin: every real report for national roles, else the
    real reports their agencies' subtrees handle or handled; plus the practice reports of the
    training sandboxes they have a seat in (and no other practice report). With `statuses`, only the
    reports in those statuses (read through the handling rows' status: ReportQuerySet.handled_by_subtrees)."""
    qs = Report.objects.all() if qs is None else qs
    if statuses is not None:
        qs = qs.filter(status__in=list(statuses))
    real = qs.real() if national_roles(user) else qs.real().handled_by_subtrees(staff_agencies(user), statuses)
    sandboxes = {s.sandbox_id for s in training_seats(user)}
    if sandboxes:
        return real | qs.filter(sandbox_id__in=sandboxes)
    return real


def staff_queue_counts(user, statuses, now=None) -> dict:
    """{status: reports, "overdue": reports} of staff_reports(user, statuses=statuses), for staff below
    the national roles. Without a training seat their scope is real reports their subtrees handle or
    handled, so the counts come from the handling rows' index alone (ReportAgency.status, due_at and
    is_practice are their report's); with one, practice reports join in and the reports are counted."""
    if training_seats(user):
        rows = (
            staff_reports(user, statuses=statuses)
            .order_by()
            .values("status")
            .annotate(n=Count("pk"), late=Count("pk", filter=overdue_q(now)))
        )
        return tally_by_status(rows)
    agencies = staff_agencies(user)
    if not agencies:
        return {"overdue": 0}
    statuses = tuple(statuses)
    return queue_cache.kept(  # until a report of the subtrees moves, or one more falls overdue
        agencies,
        ("counts", statuses),
        lambda: ReportAgency.objects.in_subtrees(agencies).count_reports_by_status_until(statuses, now),
        now,
        user,
    )


# A queue's order (ReportAdmin.ordering): the earliest due time first, reports without one last, then by id.
QUEUE_ORDER = (F("due_at").asc(nulls_last=True), "pk")
# What a row of an agency's queue page shows and is checked by (ReportAdmin.list_display and row_key, the
# action checkbox's label, sop.internal_targets, real()): a page picked from the handling rows reads only
# these (a third of a report's columns: less to fetch and to load, 50 times a page). A field read that is
# not here would be fetched report by report: test_queues' query bounds and test_queue_render catch it.
QUEUE_ROW_FIELDS = (
    "tracking_no",
    "title",
    "classification",
    "category_id",
    "agency_id",
    "status",
    "due_at",
    "sandbox_id",
)


def _queue_agencies(user) -> list | None:
    """The agencies whose handling rows alone are `user`'s scope in a queue (staff below the national
    roles without a training seat), or None where the scope is not the handling rows' alone (national
    roles, a training seat: practice reports join in) or there is none."""
    if national_roles(user) or training_seats(user):
        return None
    return staff_agencies(user) or None


def _queue_ids(agencies, status: str, low: int, high: int | None) -> QuerySet:
    """The ids at positions low..high of these subtrees' real reports in `status`, in QUEUE_ORDER, as a
    subquery read from the handling rows' index (report_agency_queue: a row's status, due time and
    practice flag are its report's, kept in step by Report.save, clocks.sync_report_due and
    ReportAgency.of), each report once however many rows it has in the subtrees."""
    rows = (
        ReportAgency.objects.in_subtrees(agencies)
        .filter(status=status, is_practice=False)
        .values("report_id")
        .annotate(due=Min("due_at"))  # the same on each of a report's rows
        .order_by(F("due").asc(nulls_last=True), "report_id")
        .values("report_id")
    )
    return rows[low:high]


# A kept page's reports (staff_queue_reports): read by id, their status and realness checked on the row read.
_queue_reports = Prepared(
    lambda status, ids: (
        Report.objects.real().filter(status=status, pk__in=ids).only(*QUEUE_ROW_FIELDS).order_by(*QUEUE_ORDER)
    ),
    keep_plan=True,
)

# The statements of queue pages (staff_queue_reports), per subtrees, status and page; at most this many.
_queue_pages: dict = {}
QUEUE_PAGES_KEPT = 500


def staff_queue_reports(user, status: str, low: int, high: int | None) -> list | None:
    """The reports at positions low..high of `staff_reports(user).filter(status=status)` in QUEUE_ORDER
    (the same reports as staff_reports(...).filter(status=status).order_by(*QUEUE_ORDER)[low:high]);
    None where the scope is not the handling rows' alone (national roles, a training seat: their page is
    read from the reports).

    The page's ids are picked from the handling rows' index (_queue_ids), instead of every report of the
    queue probed for its due time and sorted (386 at 2,000,000 reports); they already apply the scope: a
    report with a row in the subtrees in `status` whose own status is `status` is exactly one whose
    row matches its status there (ReportQuerySet.handled_by_subtrees) — so the reports are read by id
    with their status and realness checked on the row read, not through the scope's EXISTS over the
    queue's rows a second time. The ids are kept until a report of the subtrees moves
    (complaints/queue_cache.py): a page seen again reads only its reports, by id, whatever the backlog.
    Without Redis (nothing kept): one statement per subtrees, status and page, compiled once per process
    (lapor/prepared.py): the subtrees' agency ids are still read by the statement, so an agency added
    below them counts at once; an agency moved gets another path, so another statement."""
    agencies = _queue_agencies(user)
    if agencies is None:
        return None
    if queue_cache.version(agencies, user) is not None:
        # Which reports, in which order: kept until a report of the subtrees moves (queue_cache.py).
        ids = queue_cache.kept(
            agencies,
            ("page", status, low, high),
            lambda: ([row["report_id"] for row in _queue_ids(agencies, status, low, high)], None),
            user=user,
        )
        return _queue_reports.objects(status=status, ids=ids) if ids else []
    key = (tuple(sorted(a.path for a in agencies)), status, low, high)
    statement = _queue_pages.get(key)
    if statement is None:
        if len(_queue_pages) >= QUEUE_PAGES_KEPT:
            _queue_pages.clear()
        ids = _queue_ids(agencies, status, low, high)
        statement = _queue_pages[key] = Prepared(
            lambda: (
                Report.objects.real().filter(status=status, pk__in=ids).only(*QUEUE_ROW_FIELDS).order_by(*QUEUE_ORDER)
            )
        )
    return statement.objects()


def practice_reports(user, qs: QuerySet | None = None) -> QuerySet:
    """Only the practice reports of the user's training sandboxes (their practice dashboard)."""
    qs = Report.objects.all() if qs is None else qs
    return qs.filter(sandbox_id__in={s.sandbox_id for s in training_seats(user)})


def reports_visible_to(user, qs: QuerySet | None = None) -> QuerySet:
    """Every report whose page `user` may open: public ones, their own, and their staff scope."""
    qs = Report.objects.all() if qs is None else qs
    if not getattr(user, "is_authenticated", False):
        return qs.public()
    if national_roles(user):
        return staff_reports(user, qs)
    visible = qs.public() | qs.filter(reporter=user)
    if staff_agencies(user) or training_seats(user):
        visible = visible | staff_reports(user, qs)
    return visible


def trackable_by_number(qs: QuerySet | None = None) -> QuerySet:
    """Reports whose status anybody holding the tracking number may see (DESIGN.md "A report"):
    every report that is not Rahasia, from the moment it is filed. Only the status page: the text,
    the reporter and the step notes stay behind reports_visible_to."""
    qs = Report.objects.all() if qs is None else qs
    return qs.real().not_confidential()


# The fields the tracking lookup decides on, read by the report's number: built once per process.
_tracked = Prepared(
    lambda number: Report.objects.filter(tracking_no=number).values_list("reporter_id", "is_confidential", "sandbox_id")
)


def may_track(user, tracking_no: str) -> bool:
    """Whether the tracking lookup takes `user` to the page of the report with this number: one whose page
    they may open (reports_visible_to) or whose status anybody holding its number may follow
    (trackable_by_number). For a visitor with no staff reach the row's three fields are read by its number
    and both rules decided on them — public reports are trackable ones, so "their own, or trackable" —
    without compiling `public() | own` (issue #15). Staff keep the queries."""
    number = (tracking_no or "").strip().upper()
    if _staff_reach(user):
        return (
            reports_visible_to(user).filter(tracking_no=number).exists()
            or trackable_by_number().filter(tracking_no=number).exists()
        )
    rows = _tracked.rows(number=number)
    if not rows:
        return False
    reporter_id, is_confidential, sandbox_id = rows[0]
    report = Report(reporter_id=reporter_id, is_confidential=bool(is_confidential), sandbox_id=sandbox_id)
    own = getattr(user, "is_authenticated", False) and reporter_id is not None and reporter_id == user.pk
    return own or report.is_trackable


def get_report_for_user(user, tracking_no: str, qs: QuerySet | None = None, fetch=None) -> Report:
    """The report with this tracking number if `user` may see it, else 404 (missing or not).

    For a visitor with no staff role (anonymous, or a citizen) the row is read by its number alone and
    reports_visible_to's rule for them — public, or their own — decided on it (may_open): the same
    answer without compiling `public() | own` for every page (issue #15). Staff keep the query.
    `fetch(number)`, if given, reads that row (the report page's statement compiled once) instead of
    `qs`; whatever it returns is decided by may_open the same way."""
    number = (tracking_no or "").strip().upper()
    if _staff_reach(user):
        report = reports_visible_to(user, qs).filter(tracking_no=number).first()
    else:
        if fetch is not None:
            report = fetch(number)
        else:
            qs = Report.objects.all() if qs is None else qs
            report = qs.filter(tracking_no=number).first()
        if report is not None and not may_open(user, report):
            report = None
    if report is None:
        raise Http404(_("Laporan tidak ditemukan."))
    return report


def _staff_reach(user) -> bool:
    """Whether reports_visible_to widens `user`'s reach beyond public and own reports."""
    return getattr(user, "is_authenticated", False) and bool(
        national_roles(user) or staff_agencies(user) or training_seats(user)
    )


def may_open(user, report: Report) -> bool:
    """reports_visible_to's answer for one loaded report and a user without staff reach: a public
    report (Report.is_public, the row form of Report.objects.public()), or the user's own."""
    if _staff_reach(user):
        raise ValueError("staff reach is decided by reports_visible_to's query")
    if report.is_public:
        return True
    return getattr(user, "is_authenticated", False) and report.reporter_id is not None and report.reporter_id == user.pk


def can_see_identity(user, report: Report) -> bool:
    """Whether `user` sees who filed this report (name, e-mail, phone, NIK, account) without more ado.
    An Anonim reporter's identity is shown to nobody but the reporter: national admins and supervisors
    look through complaints/identity.py (a reason, a record, the other national admins told)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if report.reporter_id is not None and report.reporter_id == user.pk:
        return True
    if report.is_anonymous:
        return False
    return bool(national_roles(user)) or bool(roles_for(user, report) & (STAFF_ACTING_ROLES | READ_ONLY_ROLES))


def reporter_public_name(report: Report) -> str:
    """How the public sees a reporter: "Anonim", or a display name — never e-mail or phone."""
    if report.is_anonymous:
        return str(ANONYMOUS_LABEL)
    if report.reporter_id and not entered_for_account(report):
        return report.reporter.public_name
    return report.reporter_name.split(" ")[0] if report.reporter_name else str(ANONYMOUS_LABEL)


def reporter_shown_to(user, report: Report) -> dict:
    """The reporter as `user` may see them: full identity, or the public name only."""
    if can_see_identity(user, report):
        return full_identity(report)
    return {"name": reporter_public_name(report), "email": "", "phone": "", "nik": "", "full": False}


def entered_for_account(report: Report) -> bool:
    """Staff recorded this report for an address that has an account (the entry form links it
    silently, #21 item 14): the report shows what staff typed, never the account's data (name,
    phone, NIK), exactly as for an address without an account — so the entry tells staff nothing."""
    return bool(report.reporter_id and report.entered_by_id and report.entered_by_id != report.reporter_id)


def as_entered(report: Report) -> dict:
    """The reporter as staff typed them on the entry form (name, contact, the e-mail given)."""
    parts = [p.strip() for p in (report.reporter_contact or "").split(",") if p.strip()]
    email = next((p for p in parts if "@" in p), "")
    phone = ", ".join(p for p in parts if "@" not in p)
    name = report.reporter_name or (email.split("@")[0] if email else "")
    return {"name": name, "email": email, "phone": phone, "nik": "", "full": True}


def full_identity(report: Report) -> dict:
    if report.entered_by_id and not report.reporter_id or entered_for_account(report):
        return as_entered(report)
    if report.reporter_id:
        r = report.reporter
        # A messaging channel's reporter (SMS, WhatsApp, e-mail) is reached at the address they wrote
        # from (reporter_contact); their account's placeholder address (RFC 2606 .invalid) is no mailbox.
        contact = report.reporter_contact
        email = contact if "@" in contact else ("" if r.email.endswith(".invalid") else r.email)
        phone = contact if contact and "@" not in contact else r.phone
        return {"name": r.full_name, "email": email, "phone": phone, "nik": r.nik, "full": True}
    return {"name": report.reporter_name, "email": "", "phone": report.reporter_contact, "nik": "", "full": True}
