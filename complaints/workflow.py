"""The workflow: the transition table of DESIGN.md and one function per action.

This is the only code that writes Report.status. Every action runs in one transaction that locks
the report row, checks the actor's role and the current state against the table, applies the
change, writes exactly one Event, recomputes the clocks and queues notifications for after the
commit. A refused action raises WorkflowError (with a translated message) and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agencies.models import Agency, Membership
from agencies.roles import national_roles, staff_agencies
from lapor import commit_writes
from lapor.prepared import execute, insert_rows, send_queued_writes, writes_sent_with_the_next_statement
from lapor.queue import after_commit

from . import access, holders, notifications, places, routing, routing_model
from .access import REPORTER, STAFF_ACTING_ROLES, SYSTEM, roles_for
from .clocks import apply_clocks
from .models import (
    ARCHIVE_REASONS,
    BOUNCES,
    INTERNAL_ACTIONS,
    OPEN_STATUSES,
    PUBLISHED_ANSWERS,
    REMOVE_REASONS,
    WORKING_STATUSES,
    Action,
    Category,
    Classification,
    CloseReason,
    Event,
    Follow,
    Report,
    ReportAgency,
    Status,
    provisional_tracking_no,
    tracking_number_for,
)
from .signals import report_dimensions_changed

log = logging.getLogger(__name__)

Role = Membership.Role


class WorkflowError(Exception):
    """An action that may not happen; str(error) is a translated message for the user."""


class ActionNotAllowed(WorkflowError):
    pass


class InvalidInput(WorkflowError):
    pass


class InvalidAttachment(InvalidInput):
    """An attached file that cannot be stored (an image that cannot be re-encoded)."""


class StaleAction(WorkflowError):
    """The report moved on since the page the action was taken on was shown."""


class AlreadyDone(WorkflowError):
    """The same form was sent twice (a double click, a resubmitted page): the action stands once."""


class AlreadyAnswered(WorkflowError):
    """An answer to a report that is already answered: only as the deliberate "answer again"."""


class AttachmentNotStored(InvalidAttachment):
    """The file store failed (read-only, full, unreachable): the action was undone, nothing stored."""

    def __init__(self, message, *, detail: str = ""):
        super().__init__(message)
        self.detail = detail


def _alerting_storage_failures(function):
    """Around an action whose own transaction was undone by a storage failure: alert the national
    admins (once an hour at most), outside that transaction so that the alert is kept."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except AttachmentNotStored as exc:
            notifications.alert_storage_failure(exc.detail)
            raise

    return wrapper


RESUME = "resume"  # on_hold → the status the report was held from
RESTORE = "restore"  # merged → the status it was merged from (its latest merge event's from_status)
S, A = Status, Action

# The rule book: (status, action) → new status. Anything absent is refused.
TRANSITIONS: dict[tuple[str, str], str] = {
    (S.SUBMITTED, A.VERIFY): S.VERIFIED,
    (S.SUBMITTED, A.HOLD): S.ON_HOLD,
    (S.VERIFIED, A.HOLD): S.ON_HOLD,
    (S.ON_HOLD, A.PROVIDE_INFO): RESUME,
    (S.ON_HOLD, A.EXPIRE_INFO): S.ARCHIVED,
    (S.VERIFIED, A.DISPATCH): S.DISPATCHED,
    (S.RETURNED, A.DISPATCH): S.DISPATCHED,
    (S.RESPONDED, A.REPLY): S.IN_PROGRESS,
    (S.RESPONDED, A.ACCEPT): S.COMPLETED,
    (S.RESPONDED, A.AUTO_COMPLETE): S.COMPLETED,
    (S.RESPONDED, A.RESPOND): S.RESPONDED,
    (S.COMPLETED, A.REOPEN): S.IN_PROGRESS,
    **{(s, A.FORWARD): S.DISPATCHED for s in WORKING_STATUSES},
    **{(s, A.RETURN): S.RETURNED for s in WORKING_STATUSES},
    **{(s, A.TRANSFER): S.DISPATCHED for s in WORKING_STATUSES},
    **{(s, A.FOLLOW_UP): S.IN_PROGRESS for s in WORKING_STATUSES},
    **{(s, A.DRAFT_RESPONSE): s for s in WORKING_STATUSES},
    **{(s, A.APPROVE_RESPONSE): S.RESPONDED for s in WORKING_STATUSES},
    **{(s, A.RESPOND): S.RESPONDED for s in WORKING_STATUSES},
    **{(s, A.HOLD): S.ON_HOLD for s in WORKING_STATUSES},
    **{(s, A.ARCHIVE): S.ARCHIVED for s in OPEN_STATUSES if s != S.RESPONDED},
    **{(s, A.REMOVE): S.REMOVED for s in (S.SUBMITTED, S.ON_HOLD, S.VERIFIED, S.RETURNED)},
    **{(s, A.NOTE): s for s in (*OPEN_STATUSES, S.COMPLETED, S.ARCHIVED, S.MERGED)},
    **{(s, A.MERGE): S.MERGED for s in OPEN_STATUSES},
    (S.MERGED, A.UNMERGE): RESTORE,
}

NA, AA, UA, LO = Role.NATIONAL_ADMIN, Role.AGENCY_ADMIN, Role.UNIT_ADMIN, Role.LIAISON_OFFICER
# Who may take each action (roles towards the report: access.roles_for).
ACTION_ROLES: dict[str, frozenset[str]] = {
    A.VERIFY: frozenset({NA, AA}),
    A.HOLD: frozenset({NA, AA, UA}),
    A.PROVIDE_INFO: frozenset({REPORTER}),
    A.EXPIRE_INFO: frozenset({SYSTEM}),
    A.DISPATCH: frozenset({NA, AA}),
    A.FORWARD: frozenset({NA, AA, UA}),
    A.RETURN: frozenset({AA, UA}),
    A.TRANSFER: frozenset({NA, AA}),
    A.FOLLOW_UP: frozenset({NA, AA, UA, LO}),
    A.DRAFT_RESPONSE: frozenset({AA, UA, LO}),
    A.APPROVE_RESPONSE: frozenset({AA, LO}),
    A.RESPOND: frozenset({NA, AA, UA, LO}),
    A.REPLY: frozenset({REPORTER}),
    A.ACCEPT: frozenset({REPORTER}),
    A.REOPEN: frozenset({REPORTER}),
    A.AUTO_COMPLETE: frozenset({SYSTEM}),
    A.ARCHIVE: frozenset({NA, AA}),
    A.REMOVE: frozenset({NA}),
    A.NOTE: frozenset({NA, AA, UA, LO}),
    A.MERGE: frozenset({NA, AA}),
    A.UNMERGE: frozenset({NA, AA}),
}
# Roles that are refused an action when the report is in a given status (the workflow table is
# shared; who may act depends on the stage): hold before dispatch is verification work.
STATUS_ROLE_LIMITS: dict[tuple[str, str], frozenset[str]] = {
    (S.SUBMITTED, A.HOLD): frozenset({NA, AA}),
    (S.VERIFIED, A.HOLD): frozenset({NA, AA}),
}
# --- Asking the table ---


def allowed(report: Report, action: str, user) -> bool:
    try:
        _check(report, action, roles_for(user, report))
    except WorkflowError:
        return False
    return True


def allowed_actions(report: Report, user) -> list[str]:
    """The actions `user` may take on `report` now, in table order (for buttons and admin). The table's
    two questions (a transition from this status? a permitted role?) are asked first, without
    building the refusal message `_check` would: most actions end there (a report page asks for all)."""
    roles = roles_for(user, report)
    if not roles:
        return []
    result = []
    for action in Action:
        if action == A.SUBMIT or (report.status, action) not in TRANSITIONS:
            continue
        if not roles & _permitted(report.status, action):
            continue
        try:
            _check(report, action, roles)
        except WorkflowError:
            continue
        result.append(action)
    return result


def _check(report: Report, action: str, roles: set[str]) -> str:
    target = TRANSITIONS.get((report.status, action))
    if target is None:
        raise ActionNotAllowed(
            _("Tindakan “%(action)s” tidak dapat dilakukan pada laporan berstatus “%(status)s”.")
            % {"action": Action(action).label, "status": Status(report.status).label}
        )
    permitted = _permitted(report.status, action)
    if not roles & permitted:
        raise ActionNotAllowed(
            _("Anda tidak berwenang melakukan tindakan “%(action)s” pada laporan ini.")
            % {"action": Action(action).label}
        )
    if action == A.APPROVE_RESPONSE and _latest_answer_action(report) != A.DRAFT_RESPONSE:
        raise ActionNotAllowed(_("Belum ada draf jawaban untuk disetujui."))
    if action == A.RESPOND and roles & permitted == {UA} and _needs_approval(report):
        raise ActionNotAllowed(_("Jawaban instansi ini harus disetujui Pejabat Penghubung: simpan sebagai draf."))
    if target == RESUME:
        return report.held_from
    if target == RESTORE:
        return _merged_from(report)
    return target


def _permitted(status: str, action: str) -> frozenset[str]:
    """The roles that may take `action` on a report in `status`."""
    return ACTION_ROLES[action] & STATUS_ROLE_LIMITS.get((status, action), ACTION_ROLES[action])


def _merged_from(report: Report) -> str:
    merge = report.events.filter(action=A.MERGE).order_by("-created_at", "-pk").values_list("from_status", flat=True)
    return merge.first() or S.SUBMITTED


def _latest_answer_action(report: Report) -> str | None:
    """A draft can be approved only while it is the newest answer: not once published."""
    answers = report.events.filter(action__in=[A.DRAFT_RESPONSE, *PUBLISHED_ANSWERS])
    return answers.order_by("-created_at", "-pk").values_list("action", flat=True).first()


def _needs_approval(report: Report) -> bool:
    return bool(report.agency_id and report.agency.answers_need_approval)


# --- The engine ---


@_alerting_storage_failures
def _apply(
    report: Report,
    action: str,
    *,
    by,
    note: str = "",
    internal_note: str = "",
    target_agency: Agency | None = None,
    change: Callable[[Report, dt.datetime], None] | None = None,
    data: dict | None = None,
    attachments: Iterable = (),
) -> Event:
    now = timezone.now()
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if locked.agency_id:
            locked.agency = Agency.objects.get(pk=locked.agency_id)
        from_status = locked.status
        to_status = _check(locked, action, roles_for(by, locked))
        if change is not None:
            change(locked, now)
        if action in BOUNCES:
            _count_bounce(locked)
        if to_status == S.ON_HOLD:
            locked.held_from = from_status
        elif from_status == S.ON_HOLD:
            locked.held_from = ""
        locked.status = to_status
        apply_clocks(locked, action, now)
        locked.save()
        event = Event(
            report=locked,
            actor=by,
            action=action,
            from_status=from_status,
            to_status=to_status,
            agency=locked.agency,
            target_agency=target_agency,
            public_note=note,
            internal_note=internal_note,
            is_public=action not in INTERNAL_ACTIONS,
            data=data or {},
            created_at=now,
        )
        prepared = notifications.prepare_notifications(event)  # read before the audit chain's lock
        event.save(force_insert=True)  # sealed: the chain stays locked until the commit (lapor/audit.py)
        _attach(locked, event, by, attachments)  # in the same transaction: a refused file undoes the action
        notifications.write_notifications(event, prepared)
    _refresh(report, locked)
    return event


def _refresh(report: Report, fresh: Report) -> None:
    for f in Report._meta.concrete_fields:
        setattr(report, f.attname, getattr(fresh, f.attname))
    report._saved_status = fresh._saved_status  # the status counters' idea of what is stored
    report._saved_due_at = fresh._saved_due_at  # the handling rows'
    report._saved_map_point = fresh._saved_map_point  # the map grid's
    report._state.fields_cache.clear()


def _hold_agency(report: Report, agency: Agency | None, now: dt.datetime, kind=ReportAgency.Kind.HANDLER) -> None:
    report.agency = agency
    if agency is not None:
        ReportAgency.objects.get_or_create(report=report, agency=agency, kind=kind, defaults={"created_at": now})


# --- Actions: one function each ---


@_alerting_storage_failures
def submit(
    *,
    by,
    classification: str,
    title: str,
    body: str,
    event_date: dt.date,
    province,
    regency,
    category: Category,
    suggested_agency: Agency | None = None,
    district: str = "",
    kecamatan=None,
    kelurahan=None,
    latitude=None,
    longitude=None,
    is_anonymous: bool = False,
    is_confidential: bool = False,
    channel: str = "web",
    tags: Iterable[str] = (),
    reporter=None,
    reporter_name: str = "",
    reporter_contact: str = "",
    submission_key: str | None = None,
    attachments: Iterable = (),
    off_platform: bool = False,
    sandbox=None,
    _numbered_again: bool = False,
) -> Report:
    """File a report: by a citizen for themselves, or by staff for someone off-platform
    (`reporter`/`reporter_name` then name the citizen, `channel` says how it came in).
    `off_platform=True` records a report for somebody else even without a name (an integrated
    application's service user pushing an anonymous report): the staff-entry rules apply, the
    report has no reporter account and `by` is kept as entered_by.

    Without `suggested_agency` the report lands where complaints.routing sends it (for every channel);
    the submit event records why (data["routing"]). Staff entering a report may choose only an agency
    they may enter for; LAPOR's own choice may be anywhere.

    A repeated `submission_key` (a double click, a resubmitted form) returns the first report (marked
    `resubmitted`): the key is unique, so the second INSERT fails and the first report is read back —
    no look-up first. `sandbox`: a practice report of that training sandbox, filed by LAPOR itself
    (complaints/sandbox.py).

    The report's tracking number comes from its id (models.tracking_number_for): unique by
    construction. On PostgreSQL the id is drawn from its sequence first, so the number and the
    deadline are in the INSERT; elsewhere they are set by one UPDATE after it. A report numbered before
    (a random number, models.new_tracking_no) may hold the number of the id drawn: the submission is then
    made once more, with the next id and its number."""
    attachments = list(attachments)
    again = functools.partial(submit, **{**locals(), "_numbered_again": True})
    if regency.parent_id != province.pk:
        raise InvalidInput(_("Kabupaten/kota yang dipilih tidak berada di provinsi tersebut."))
    try:
        _province, _regency, kecamatan, kelurahan = places.check_areas(
            province=province, regency=regency, kecamatan=kecamatan, kelurahan=kelurahan
        )
    except places.AreaError as exc:
        raise InvalidInput(str(exc)) from None
    if event_date > timezone.localdate():
        raise InvalidInput(_("Tanggal kejadian tidak boleh di masa depan."))
    staff_entry = off_platform or bool(reporter_name) or (reporter is not None and reporter != by)
    if staff_entry and sandbox is None and not may_enter_for(by, suggested_agency):
        raise ActionNotAllowed(_("Anda tidak berwenang mencatat laporan atas nama warga."))
    if suggested_agency is None:
        suggested_agency, reason = routing.route(category, province, regency)
    else:
        reason = routing.Reason.CHOSEN
    now = timezone.now()
    try:
        # The clock, report, status count and handling rows are sent with the recipients' read, in one
        # round trip (lapor/prepared.py): nothing reads what they return. At the commit, the holders'
        # versions and the worker's message go to Redis together (lapor/commit_writes.py).
        with commit_writes.one_round_trip(), transaction.atomic(), writes_sent_with_the_next_statement():
            report_id = _draw_report_id()
            report = Report(
                # The number made with the report: no random default drawn (new_tracking_no) to be replaced.
                id=report_id,
                tracking_no=provisional_tracking_no() if report_id is None else tracking_number_for(report_id),
                classification=classification,
                title=title.strip(),
                original_title=title.strip(),
                body=body.strip(),
                event_date=event_date,
                province=province,
                regency=regency,
                district=district,
                kecamatan=kecamatan,
                kelurahan=kelurahan,
                latitude=latitude,
                longitude=longitude,
                category=category,
                tags=list(tags),
                channel=channel,
                is_anonymous=is_anonymous,
                is_confidential=is_confidential,
                reporter=reporter if reporter is not None else (None if staff_entry else by),
                reporter_name=reporter_name,
                reporter_contact=reporter_contact,
                entered_by=by if staff_entry else None,
                suggested_agency=suggested_agency,
                agency=suggested_agency,
                submission_key=submission_key,
                sandbox=sandbox,
                created_at=now,
            )
            if report_id is not None:
                # The id drawn first: the tracking number and the due time go into the one INSERT. The
                # clock row is written before its report's (foreign keys are checked at the commit).
                apply_clocks(report, A.SUBMIT, now, new=True)
                report.save(force_insert=True)
            else:
                report.save(force_insert=True)
                apply_clocks(report, A.SUBMIT, now, new=True)
                report.tracking_no = tracking_number_for(report.pk)
                report._saved_due_at = report.due_at  # no handling row yet: the one made below copies it
                report.save(update_fields=["tracking_no", "due_at"])
            if suggested_agency is not None:
                # ReportAgency.objects.create, its INSERT built once per process; the report's status,
                # due time and practice flag given as ReportAgency.save would take them from the report.
                insert_rows(
                    [ReportAgency.of(report, agency=suggested_agency, kind=ReportAgency.Kind.HANDLER, created_at=now)],
                    later=True,
                )
                if report.sandbox_id is None:
                    holders.handlings_changed([suggested_agency.pk])  # its subtrees' queues (queue_cache.py)
            attachments = list(attachments)
            if attachments:
                # The queued report INSERT sent before any file is stored: a repeated submission_key fails
                # here, not after the files are in the store, which its rollback would leave behind.
                send_queued_writes()
            _attach(report, None, by, attachments)
            event = Event(
                report=report,
                actor=by,
                action=A.SUBMIT,
                from_status="",
                to_status=S.SUBMITTED,
                agency=suggested_agency,
                created_at=now,
                data={"channel": channel, "routing": reason},
            )
            # Last in the transaction: the event, sealed into the audit trail, whose chain stays locked
            # until the commit (lapor/audit.py), and its notification rows. Their recipients are read
            # before the lock is taken.
            prepared = notifications.prepare_notifications(event)
            event.save(force_insert=True)
            rows = notifications.write_notifications(event, prepared, deliver=False)
            # One message for the worker once the report is committed (report_arrived): its mails and
            # its routing suggestion, stored so the verify page reads a row (#16 item 9). A broker that
            # is down is logged: the outbox sweep mails the rows, the verify page computes the suggestion.
            after_commit("complaints.tasks.report_arrived", report.pk, [n.pk for n in rows])
    except IntegrityError as error:
        # The same submission again (a double click, a retried request): the first one stands.
        existing = Report.objects.filter(submission_key=submission_key).first() if submission_key else None
        if existing is None:
            if "tracking_no" in str(error) and not _numbered_again:
                # The id's number is held by a report numbered at random before the id-derived numbers
                # (#15 review F1): nothing was stored (the files come after the report's INSERT), the
                # sequence has moved on, so the next id gives another number.
                return again()
            raise
        existing.resubmitted = True
        return existing
    return report


def report_arrived(report_id: int, notification_ids: list[int]) -> int:
    """In the worker, after a submission's commit: its notifications mailed (notifications.deliver),
    then its routing suggestion stored (routing_model.suggest_on_arrival) even when a mail failed.
    Both are idempotent, so a retry of the whole repeats neither. Returns the mails sent."""
    try:
        return notifications.deliver(notification_ids)
    finally:
        routing_model.suggest_on_arrival(report_id)


def _draw_report_id() -> int | None:
    """The next report id, drawn from its sequence before the INSERT (PostgreSQL: one cheap statement
    instead of an UPDATE after it); None where ids come only from the INSERT (SQLite)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        execute(cursor, "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", [Report._meta.db_table])
        return cursor.fetchone()[0]


def set_comment_hidden(comment, hidden: bool, *, by) -> bool:
    """Hide a public comment (or show it again), for every surface: staff who may act on the report
    (STAFF_ACTING_ROLES towards it: its agencies' admins and liaison officers, national admins) may;
    raises ActionNotAllowed otherwise. Returns whether anything changed."""
    if not roles_for(by, comment.report) & STAFF_ACTING_ROLES:
        raise ActionNotAllowed(_("Anda tidak berwenang menyembunyikan komentar pada laporan ini."))
    return comment.set_hidden(hidden, by=by)


# Who records off-platform reports for citizens (besides national admins, anywhere).
ENTRY_ROLES = Membership.HANDLER_ROLES


def may_enter_for(user, agency: Agency | None) -> bool:
    """Whether `user` may record an off-platform report addressed to `agency`: national admins
    anywhere, agency and unit admins in their own subtree; with no agency chosen (LAPOR routes it),
    any agency or unit admin may."""
    if Role.NATIONAL_ADMIN in national_roles(user):
        return True
    own = staff_agencies(user, ENTRY_ROLES)
    if agency is None:
        return bool(own)
    return agency.is_in_any_subtree_of(own)


def verify(
    report: Report,
    *,
    by,
    title: str | None = None,
    classification: str | None = None,
    complaint_kind: str | None = None,
    category: Category | None = None,
    tags: Iterable[str] | None = None,
    is_anonymous: bool | None = None,
    is_confidential: bool | None = None,
    note: str = "",
) -> Event:
    """Accept a report as valid, optionally rewriting its summary and classification. Flags may be
    set but never cleared once the citizen set them."""

    def change(r: Report, now):
        changes = {}
        if title is not None and title.strip() and title.strip() != r.title:
            changes["title"] = [r.title, title.strip()]
            r.title = title.strip()
        if classification:
            r.classification = classification
        if complaint_kind is not None:
            r.complaint_kind = complaint_kind
        if r.classification != Classification.COMPLAINT:
            r.complaint_kind = ""
        if category is not None:
            r.category = category
        if tags is not None:
            r.tags = [t.strip() for t in tags if t.strip()]
        if is_anonymous is not None:
            if r.is_anonymous and not is_anonymous:
                raise InvalidInput(_("Tanda Anonim yang dipilih pelapor tidak boleh dihapus."))
            if is_anonymous and not r.is_anonymous:
                from .uploads import anonymise_reporter_files

                anonymise_reporter_files(r)  # metadata and chosen names of the reporter's files
            r.is_anonymous = is_anonymous
        if is_confidential is not None:
            if r.is_confidential and not is_confidential:
                raise InvalidInput(_("Tanda Rahasia yang dipilih pelapor tidak boleh dihapus."))
            r.is_confidential = is_confidential
        r.verified_at = now

    before = _dimensions(report)
    event = _apply(report, A.VERIFY, by=by, note=note, change=change)
    routing_model.record_decision(report, category_id=report.category_id)  # took the suggested category?
    if _dimensions(report) != before:
        transaction.on_commit(lambda: report_dimensions_changed.send(sender=Report, report=report))
    return event


def _dimensions(report: Report) -> tuple:
    """What the statistics count a report by, besides where and when."""
    return report.classification, report.category_id, report.is_confidential


def hold(report: Report, *, by, note: str) -> Event:
    """Ask the citizen for details; the agency clocks pause until they answer."""
    _require(note, _("Tuliskan data apa yang perlu dilengkapi pelapor."))
    return _apply(report, A.HOLD, by=by, note=note)


def provide_info(report: Report, *, by, note: str, attachments: Iterable = ()) -> Event:
    _require(note, _("Tuliskan kelengkapan data yang diminta."))
    return _apply(report, A.PROVIDE_INFO, by=by, note=note, attachments=attachments)


def expire_info(report: Report) -> Event:
    def change(r: Report, now):
        r.close_reason, r.closed_at = "withdrawn", now

    return _apply(
        report,
        A.EXPIRE_INFO,
        by=None,
        change=change,
        note=str(_("Data yang diminta tidak dilengkapi dalam 30 hari; laporan dianggap dicabut.")),
    )


def dispatch(report: Report, *, by, to_agency: Agency, copies: Iterable[Agency] = (), note: str = "") -> Event:
    """Route a verified (or returned) report to the agency that must handle it."""
    copies = [a for a in copies if a.pk != to_agency.pk]

    def change(r: Report, now):
        if not to_agency.is_active:
            raise InvalidInput(_("Instansi tujuan tidak aktif."))
        routed_by = None
        if not access.is_national_admin_for(by, r):
            own = [
                a
                for a in access.acting_agencies(by, r, {Role.AGENCY_ADMIN})
                if r.agency and r.agency.is_in_subtree_of(a)
            ]
            if not to_agency.is_in_any_subtree_of(own):
                raise InvalidInput(_("Admin instansi hanya dapat mendisposisikan ke instansi di bawah kewenangannya."))
            routed_by = own[0]
        r.routed_by = routed_by
        r.dispatched_at = r.dispatched_at or now
        _hold_agency(r, to_agency, now)
        for agency in copies:
            _hold_agency_copy(r, agency, now)

    event = _apply(
        report,
        A.DISPATCH,
        by=by,
        note=note,
        target_agency=to_agency,
        change=change,
        data={"copies": [a.pk for a in copies]},
    )
    routing_model.record_decision(report, agency_id=to_agency.pk)  # the first dispatch: the suggested agency?
    return event


def _hold_agency_copy(report: Report, agency: Agency, now) -> None:
    ReportAgency.objects.get_or_create(
        report=report, agency=agency, kind=ReportAgency.Kind.COPY, defaults={"created_at": now}
    )


def forward(report: Report, *, by, to_agency: Agency, note: str = "", internal_note: str = "") -> Event:
    """Send a report down the handling agency's subtree, to the unit that will act on it; or, by an
    admin of the agency above the holding unit, to another unit of that same agency (work spread
    between units, a unit being retired: complaints/unit_reports.py)."""

    def change(r: Report, now):
        if not to_agency.is_active:
            raise InvalidInput(_("Instansi tujuan tidak aktif."))
        down = to_agency.pk != r.agency_id and to_agency.is_in_subtree_of(r.agency)
        if not down and not _redistributes(by, r, to_agency):
            raise InvalidInput(_("Laporan hanya dapat diteruskan ke unit kerja di bawah instansi penangan."))
        _hold_agency(r, to_agency, now)

    return _apply(
        report, A.FORWARD, by=by, note=note, internal_note=internal_note, target_agency=to_agency, change=change
    )


def _redistributes(by, report: Report, to_agency: Agency) -> bool:
    """A sideways forward: `to_agency` is another unit of the agency right above the holder, and `by`
    is a national admin or an admin of that agency (or above it)."""
    holder = report.agency
    if holder is None or holder.parent_id is None or to_agency.pk == holder.pk:
        return False
    parent = Agency.objects.get(pk=holder.parent_id)
    if to_agency.pk == parent.pk or not to_agency.is_in_subtree_of(parent):
        return False
    if access.is_national_admin_for(by, report):
        return True
    return parent.is_in_any_subtree_of(access.acting_agencies(by, report, {Role.AGENCY_ADMIN}))


def _count_bounce(report: Report) -> None:
    """A return or a transfer gives the report away: counted, and refused once the cap is reached
    (LAPOR_MAX_BOUNCES; DESIGN.md "Bounces are counted and capped")."""
    if report.bounce_count >= settings.LAPOR_MAX_BOUNCES:
        raise InvalidInput(
            _("Laporan ini sudah %(n)s kali dikembalikan atau dialihkan; hubungi Admin Nasional.")
            % {"n": report.bounce_count}
        )
    report.bounce_count += 1


def return_report(report: Report, *, by, reason: str) -> Event:
    """ "Not our authority": the report goes back up to whoever routed it (the national admins if
    nobody below them did). Bounces are counted and capped."""
    _require(reason, _("Alasan pengembalian wajib diisi."))

    def change(r: Report, now):
        r.agency = r.routed_by
        r.routed_by = None

    return _apply(report, A.RETURN, by=by, note=reason, change=change)


def transfer(report: Report, *, by, to_agency: Agency, note: str) -> Event:
    """Hand a report to another competent agency outside the current one's subtree."""
    _require(note, _("Alasan pengalihan wajib diisi."))

    def change(r: Report, now):
        if to_agency.is_in_subtree_of(r.agency):
            raise InvalidInput(_("Untuk unit kerja di bawah instansi ini gunakan “Teruskan”."))
        _hold_agency(r, to_agency, now)

    return _apply(report, A.TRANSFER, by=by, note=note, target_agency=to_agency, change=change)


def follow_up(report: Report, *, by, note: str, attachments: Iterable = ()) -> Event:
    """A public progress note: the agency is working on it."""
    _require(note, _("Tuliskan tindak lanjut yang sudah dilakukan."))

    def change(r: Report, now):
        r.first_follow_up_at = r.first_follow_up_at or now

    return _apply(report, A.FOLLOW_UP, by=by, note=note, change=change, attachments=attachments)


def draft_response(report: Report, *, by, note: str, attachments: Iterable = ()) -> Event:
    """A unit's answer waiting for the liaison officer's approval (not public yet)."""
    _require(note, _("Isi jawaban wajib diisi."))
    return _apply(report, A.DRAFT_RESPONSE, by=by, internal_note=note, data={"draft": note}, attachments=attachments)


def approve_response(report: Report, *, by, note: str | None = None) -> Event:
    """Publish the latest draft answer (optionally edited by the approver)."""
    draft = report.events.filter(action=A.DRAFT_RESPONSE).order_by("-created_at", "-pk").first()
    text = (note or "").strip() or (draft.data.get("draft", "") if draft else "")

    def change(r: Report, now):
        r.first_follow_up_at = r.first_follow_up_at or now
        r.responded_at = now

    event = _apply(
        report, A.APPROVE_RESPONSE, by=by, note=text, change=change, data={"draft_event": draft and draft.pk}
    )
    if draft is not None:
        draft.attachments.update(event=event)
    return event


def respond(report: Report, *, by, note: str, attachments: Iterable = (), again: bool = False) -> Event:
    """The agency's answer; the citizen may reply, accept or let the reply window run out. A report
    that is already answered takes another answer only when asked deliberately (`again`)."""
    _require(note, _("Isi jawaban wajib diisi."))

    def change(r: Report, now):
        if r.status == S.RESPONDED and not again:
            raise AlreadyAnswered(
                _(
                    "Laporan ini sudah dijawab; jawaban Anda tidak dikirim. Bila memang perlu jawaban tambahan, "
                    "gunakan tindakan “Tambah jawaban”."
                )
            )
        r.first_follow_up_at = r.first_follow_up_at or now
        r.responded_at = now

    return _apply(report, A.RESPOND, by=by, note=note, change=change, attachments=attachments)


def reply(report: Report, *, by, note: str, attachments: Iterable = ()) -> Event:
    """The citizen answers the agency's response: the report goes back to in progress."""
    _require(note, _("Tuliskan tanggapan Anda."))
    return _apply(report, A.REPLY, by=by, note=note, attachments=attachments)


def accept(report: Report, *, by, rating: int, comment: str = "") -> Event:
    """The citizen accepts the answer and rates it 1–5."""
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise InvalidInput(_("Beri penilaian 1 sampai 5 bintang."))

    def change(r: Report, now):
        r.rating, r.rating_comment, r.closed_at = rating, comment.strip(), now

    return _apply(report, A.ACCEPT, by=by, note=comment.strip(), change=change, data={"rating": rating})


def auto_complete(report: Report) -> Event:
    def change(r: Report, now):
        r.auto_completed, r.closed_at = True, now

    return _apply(
        report,
        A.AUTO_COMPLETE,
        by=None,
        change=change,
        note=str(_("Pelapor tidak menanggapi dalam batas waktu; laporan selesai otomatis.")),
    )


def reopen(report: Report, *, by, reason: str) -> Event:
    """The citizen reopens a completed report, within the window and a limited number of times."""
    _require(reason, _("Alasan membuka kembali wajib diisi."))

    def change(r: Report, now):
        if r.reopen_count >= settings.LAPOR_MAX_REOPENS:
            raise InvalidInput(_("Laporan sudah dibuka kembali %(n)s kali, batas maksimalnya.") % {"n": r.reopen_count})
        if r.closed_at and now - r.closed_at > dt.timedelta(days=settings.LAPOR_REOPEN_WINDOW_DAYS):
            raise InvalidInput(
                _("Laporan hanya dapat dibuka kembali dalam %(n)s hari setelah selesai.")
                % {"n": settings.LAPOR_REOPEN_WINDOW_DAYS}
            )
        r.reopen_count += 1
        r.rating, r.rating_comment, r.closed_at, r.auto_completed = None, "", None, False

    return _apply(report, A.REOPEN, by=by, note=reason, change=change)


def archive(report: Report, *, by, reason: str, note: str = "") -> Event:
    if reason not in ARCHIVE_REASONS:
        raise InvalidInput(_("Pilih alasan pengarsipan yang sah."))

    def change(r: Report, now):
        r.close_reason, r.closed_at = reason, now

    return _apply(report, A.ARCHIVE, by=by, note=note, change=change, data={"reason": reason})


def remove(report: Report, *, by, reason: str, note: str = "") -> Event:
    if reason not in REMOVE_REASONS:
        raise InvalidInput(_("Pilih alasan penghapusan yang sah."))

    def change(r: Report, now):
        r.close_reason, r.closed_at = reason, now

    return _apply(report, A.REMOVE, by=by, internal_note=note, change=change, data={"reason": reason})


def merge(report: Report, *, by, into: Report, note: str = "") -> Event:
    """Close `report` as a duplicate of `into`, the report about the same problem: its reporter follows
    `into` and is told, its support and comments count toward `into`, its clocks stop (paused, so that
    unmerge restores them) and the statistics no longer count it as received (dashboards.aggregation)."""
    from .access import staff_reports

    moved: dict = {}

    def change(r: Report, now):
        main = Report.objects.select_for_update().filter(pk=into.pk).first()
        if main is None or main.pk == r.pk:
            raise InvalidInput(_("Pilih laporan lain sebagai laporan utama."))
        if not staff_reports(by).filter(pk=main.pk).exists():
            raise InvalidInput(_("Laporan utama tidak berada dalam wewenang Anda."))
        if main.status == S.MERGED:
            raise InvalidInput(
                _("Laporan %(no)s sendiri sudah digabungkan ke laporan lain: pilih laporan utamanya.")
                % {"no": main.tracking_no}
            )
        if main.status == S.REMOVED:
            raise InvalidInput(_("Laporan yang sudah dihapus tidak dapat menjadi laporan utama."))
        if r.duplicates.exists():
            raise InvalidInput(
                _("Laporan lain sudah digabungkan ke laporan ini: batalkan penggabungan itu lebih dulu.")
            )
        if main.is_confidential and r.reporter_id != main.reporter_id:
            # Its reporter would follow a report they may not see.
            raise InvalidInput(_("Laporan Rahasia hanya dapat menerima duplikat dari pelapor yang sama."))
        moved.update(supports=r.support_count, comments=r.comment_count, into=main.pk, into_no=main.tracking_no)
        Report.objects.filter(pk=main.pk).update(
            support_count=F("support_count") + r.support_count, comment_count=F("comment_count") + r.comment_count
        )
        if r.reporter_id and r.reporter_id != main.reporter_id:
            Follow.objects.get_or_create(
                report=main, user_id=r.reporter_id, defaults={"via": Follow.Via.MERGE, "source": r, "created_at": now}
            )
        r.merged_into, r.close_reason, r.closed_at = main, CloseReason.DUPLICATE, now

    text = note.strip() or str(
        _(
            "Laporan ini membahas masalah yang sama dengan laporan %(no)s dan digabungkan ke sana; "
            "ikuti perkembangannya di laporan itu."
        )
        % {"no": into.tracking_no}
    )
    event = _apply(report, A.MERGE, by=by, note=text, change=change, target_agency=None, data=moved)
    transaction.on_commit(lambda: report_dimensions_changed.send(sender=Report, report=report))
    return event


def unmerge(report: Report, *, by, note: str = "") -> Event:
    """Undo a merge: the report returns to the status it was merged from with its clocks, and what the
    merge gave the main report (support, comments, its reporter as a follower) is taken back."""

    def change(r: Report, now):
        merge_event = r.events.filter(action=A.MERGE).order_by("-created_at", "-pk").first()
        given = merge_event.data if merge_event else {}
        if r.merged_into_id:
            Report.objects.filter(pk=r.merged_into_id).update(
                support_count=Greatest(F("support_count") - given.get("supports", 0), 0),
                comment_count=Greatest(F("comment_count") - given.get("comments", 0), 0),
            )
            Follow.objects.filter(report_id=r.merged_into_id, source=r, via=Follow.Via.MERGE).delete()
        r.merged_into, r.close_reason, r.closed_at = None, "", None

    event = _apply(report, A.UNMERGE, by=by, note=note.strip(), change=change)
    transaction.on_commit(lambda: report_dimensions_changed.send(sender=Report, report=report))
    return event


def add_note(report: Report, *, by, note: str) -> Event:
    """An internal note on the timeline: staff only."""
    _require(note, _("Catatan tidak boleh kosong."))
    return _apply(report, A.NOTE, by=by, internal_note=note)


def _require(value: str | None, message) -> None:
    if not (value or "").strip():
        raise InvalidInput(message)


def _attach(report: Report, event: Event | None, by, attachments: Iterable) -> None:
    """Store the files inside the action's transaction. If one is refused or cannot be stored, the
    action is undone and so are the files already stored for it: nothing is half-stored."""
    from .uploads import StorageFailure

    stored = []
    try:
        for upload in attachments:
            try:
                stored.append(upload.attach(report, event=event, by=by))
            except ValidationError as exc:
                raise InvalidAttachment(" ".join(exc.messages)) from exc
    except (InvalidAttachment, StorageFailure) as exc:
        for attachment in stored:
            for stored_file in (attachment.file, attachment.public_file):
                try:
                    if stored_file:
                        stored_file.delete(save=False)
                except Exception:
                    log.warning("Could not remove %s after a failed action", stored_file.name, exc_info=True)
        if isinstance(exc, StorageFailure):
            log.error("Attachment storage failed (%s, action undone): %s", report.tracking_no, exc)
            raise AttachmentNotStored(
                _(
                    "Lampiran tidak dapat disimpan karena gangguan penyimpanan di server kami. Tidak ada yang "
                    "terkirim dan isian Anda tetap di formulir ini: coba lagi sebentar lagi, atau kirim tanpa lampiran."
                ),
                detail=str(exc),
            ) from exc
        raise


def changes_since(report: Report, seen_event: int | None) -> list[Event]:
    """The steps recorded on the report after the one with id `seen_event` (what a page showed)."""
    if seen_event is None:
        return []
    return list(report.events.filter(pk__gt=seen_event).select_related("actor").order_by("pk"))


def describe_changes(report: Report, events: list[Event]) -> str:
    """ "Verifikasi (Admin Nasional, 29 Nov 10:02); …" — a reporter is named only as the reporter."""

    def who(event: Event) -> str:
        if event.actor_id is None:
            return str(_("sistem"))
        if event.actor_id == report.reporter_id:
            return str(_("pelapor"))
        return event.actor.full_name or event.actor.email

    return "; ".join(
        f"{event.action_label} ({who(event)}, {timezone.localtime(event.created_at):%d-%m-%Y %H:%M})"
        for event in events
    )


@_alerting_storage_failures
def act(action: str, report: Report, *, by, seen_event: int | None = None, once: str = "", **kwargs) -> Event:
    """An action taken on a page (the admin's action forms). Refused if the form was already sent
    (`once`, the form's one-time token: a double click records the action once) or if the report
    moved on since the page was shown (`seen_event`, the latest step the operator saw), with a
    message naming what changed. The report is locked first, so of two concurrent actions on the same
    premise the second always sees the first."""
    with transaction.atomic():
        locked = Report.objects.select_for_update().get(pk=report.pk)
        if once and locked.events.filter(data__once=once).exists():
            raise AlreadyDone(_("Tindakan ini sudah tercatat sekali (formulir yang sama terkirim dua kali)."))
        newer = changes_since(locked, seen_event)
        if newer:
            raise StaleAction(
                _(
                    "Laporan ini sudah berubah sejak halaman Anda dibuka: %(changes)s. Statusnya kini “%(status)s”. "
                    "“%(action)s” tidak dicatat; periksa laporan, lalu ulangi bila masih perlu."
                )
                % {
                    "changes": describe_changes(locked, newer),
                    "status": Status(locked.status).label,
                    "action": Action(action).label,
                }
            )
        event = ACTION_FUNCTIONS[action](report, by=by, **kwargs)
        if once:
            event.data = {**event.data, "once": once}
            Event.objects.filter(pk=event.pk).update(data=event.data)
        return event


# Dispatch by action name (admin buttons, bulk actions, API and the table-driven tests).
ACTION_FUNCTIONS = {
    A.VERIFY: verify,
    A.HOLD: hold,
    A.PROVIDE_INFO: provide_info,
    A.EXPIRE_INFO: expire_info,
    A.DISPATCH: dispatch,
    A.FORWARD: forward,
    A.RETURN: return_report,
    A.TRANSFER: transfer,
    A.FOLLOW_UP: follow_up,
    A.DRAFT_RESPONSE: draft_response,
    A.APPROVE_RESPONSE: approve_response,
    A.RESPOND: respond,
    A.REPLY: reply,
    A.ACCEPT: accept,
    A.REOPEN: reopen,
    A.AUTO_COMPLETE: auto_complete,
    A.ARCHIVE: archive,
    A.REMOVE: remove,
    A.NOTE: add_note,
    A.MERGE: merge,
    A.UNMERGE: unmerge,
}

# The interface: the errors, the table, asking it, filing a report and one function per action.
__all__ = [
    "WorkflowError",
    "ActionNotAllowed",
    "InvalidInput",
    "InvalidAttachment",
    "TRANSITIONS",
    "ACTION_ROLES",
    "STATUS_ROLE_LIMITS",
    "ENTRY_ROLES",
    "ACTION_FUNCTIONS",
    "allowed",
    "allowed_actions",
    "may_enter_for",
    "set_comment_hidden",
    "submit",
    *(function.__name__ for function in ACTION_FUNCTIONS.values()),
]
