"""The deadline sweep: reminders, escalation, citizen time-outs, daily digests and recomputation.

A Celery beat task (complaints.tasks.run_clocks, every 120 s) and `manage.py run_clocks` call
`run_clocks(now)`. It reads only open clocks whose `next_check_at` has come (the partial index
`clock_sweep`), in batches, so its cost grows with the clocks that are due, not with the table.

Every clock has a fixed ladder of steps (`clocks.schedule`). Agency clocks (verification, first follow-up,
resolution): a reminder to the handling staff one working day before the due time, then on a miss
the clock is marked `missed` (it stays open until the workflow stops it) and escalated to the
agency's admins, `LAPOR_ESCALATE_PARENT_AFTER_DAYS` working days later to the parent agency's admins
and head, and `LAPOR_ESCALATE_NATIONAL_AFTER_DAYS` working days after that to the national admins
and supervisors. Citizen clocks: a lapsed reply window completes the report
(`workflow.auto_complete`), lapsed details withdraw it (`workflow.expire_info`).

Exactly once. Each (report, clock, step) has one ClockStep row (unique constraint `clock_step_once`).
The due steps of a batch of clocks are taken in ONE database transaction (`_sweep_batch`, a fixed
number of queries per batch) that locks the batch's report rows in id order (the same lock order as
the workflow: report, then clocks), reads the clocks again, inserts the step rows if missing (ON
CONFLICT DO NOTHING), performs the steps whose rows are not done, writes their Notification rows (an
outbox) and sets `done_at` — all before the commit, so no sweep ever sees a step half taken. If
anything in a batch fails, the whole batch rolls back and its clocks are taken again one per
transaction, so that one broken clock neither stops nor hides the others. Two overlapping sweeps: the
second waits for the first's report locks, then finds the step rows done and takes nothing. A worker
killed mid-step: its transaction rolls back, and the clock's `next_check_at` is still due, so the next
sweep retries the step — nothing is skipped and nothing is done twice. Mails leave after the commit
through the notification outbox (complaints.notifications), so a lost mail task is repaired by
deliver_pending_notifications.

The ladder of steps and when each falls due (`schedule`, `due_steps`, `next_check`) is part of the
clock engine, complaints/clocks.py.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from agencies.models import Agency, Membership, TrainingSeat, in_subtrees, path_ids
from agencies.roles import national_roles

from . import notifications
from .bulk import bulk_set
from .clocks import due_steps, next_check
from .deadlines import WorkCalendar
from .models import (
    OPEN_STATUSES,
    CalendarBook,
    CalendarDay,
    Clock,
    ClockStep,
    Notification,
    Report,
)

log = logging.getLogger(__name__)
Role = Membership.Role
Step = ClockStep.Step

HANDLER_ROLES = Membership.HANDLER_ROLES
PARENT_ROLES = (Role.AGENCY_ADMIN, Role.HEAD)
NATIONAL_ROLES = Membership.NATIONAL_ROLES
ESCALATIONS = tuple(ClockStep.ESCALATIONS)
DIGEST_KIND = "digest"
SWEEP_DIGEST_KIND = "sweep_digest"


@dataclass
class SweepSummary:
    """What one sweep did (logged by the task and printed by the command)."""

    clocks: int = 0
    steps: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    notifications: int = 0
    digests: int = 0
    errors: int = 0

    def as_dict(self) -> dict:
        return {
            "clocks": self.clocks,
            "steps": {str(k): v for k, v in self.steps.items()},
            "notifications": self.notifications,
            "digests": self.digests,
            "errors": self.errors,
        }


# --- The sweep ---


@dataclass
class _Sweep:
    """One sweep's state: its time, calendars (one read of the decrees), recipients cache, the steps
    known done per clock and the summary."""

    now: dt.datetime
    summary: SweepSummary
    calendars: CalendarBook = field(default_factory=lambda: CalendarDay.objects.book())
    recipients: dict = field(default_factory=dict)  # step_recipients' cache
    done: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))

    def calendar(self, clock: Clock) -> WorkCalendar:
        return self.calendars.for_agency(clock.report.agency)


def run_clocks(now: dt.datetime | None = None, *, batch_size: int = 200) -> SweepSummary:
    """Take every step that is due at `now` (default: the current time), exactly once each.

    Queries: one per batch to find due clocks and one for their done steps, then about ten per batch
    for the steps taken (plus the workflow's own for citizen time-outs). Reports and clocks that are
    not due are never read."""
    sweep = _Sweep(now=now or timezone.now(), summary=SweepSummary())
    queued: list[int] = []
    cursor = Q()  # keyset on (next_check_at, pk): a clock that failed is not read again in this sweep
    while True:
        # The ids first (an index range, no joins), then the batch with its reports and agencies:
        # joined in one query, PostgreSQL would join every due clock before sorting and limiting.
        ids = Clock.objects.filter(cursor, stopped_at__isnull=True, next_check_at__lte=sweep.now).order_by(
            "next_check_at", "pk"
        )
        batch = list(
            Clock.objects.filter(pk__in=list(ids.values_list("pk", flat=True)[:batch_size]))
            .select_related("report", "report__agency")
            .order_by("next_check_at", "pk")
        )
        if not batch:
            break
        last = batch[-1]
        # (next_check_at, id) > (last's), with a plain lower bound the index range can start from.
        cursor = Q(next_check_at__gte=last.next_check_at) & (
            Q(next_check_at__gt=last.next_check_at) | Q(next_check_at=last.next_check_at, pk__gt=last.pk)
        )
        for clock_id, step in ClockStep.objects.filter(
            clock_id__in=[c.pk for c in batch], done_at__isnull=False
        ).values_list("clock_id", "step"):
            sweep.done[clock_id].add(step)
        idle: dict[int, dt.datetime | None] = {}
        working = []
        for clock in batch:
            sweep.summary.clocks += 1
            calendar, done = sweep.calendar(clock), sweep.done[clock.pk]
            if due_steps(clock, calendar, done, sweep.now):
                working.append(clock)
            else:
                # Nothing to take (a step was skipped or already done): only move next_check_at,
                # for the whole batch in one UPDATE below instead of one commit per clock.
                idle[clock.pk] = next_check(clock, calendar, done, sweep.now)
        if working:
            queued += _sweep_working(working, sweep)
        bulk_set(Clock.objects.filter(stopped_at__isnull=True).exclude(state=Clock.State.PAUSED), "next_check_at", idle)
        if len(batch) < batch_size:
            break
    sweep.summary.digests = _deliver_or_fold(queued, sweep.now)
    sweep.summary.notifications = len(queued)
    return sweep.summary


def _sweep_working(clocks: list[Clock], sweep: _Sweep) -> list[int]:
    """The batch's clocks with steps to take, all in one transaction. If anything in it fails, it is
    rolled back and the clocks are taken again one per transaction, so that one broken clock neither
    stops the others nor hides them; a clock that fails alone stays due for the next sweep."""
    ids = _attempt(clocks, sweep)
    if ids is not None:
        return ids
    ids = []
    for clock in clocks:
        taken = _attempt([clock], sweep)
        if taken is None:
            sweep.summary.errors += 1
            log.error("Clock %s: step failed; it will be retried by the next sweep", clock.pk)
        ids += taken or []
    return ids


def _attempt(clocks: list[Clock], sweep: _Sweep) -> list[int] | None:
    """_sweep_batch in its own transaction; None (and nothing changed, done sets restored) if it failed."""
    taken: dict[str, int] = defaultdict(int)
    before = {c.pk: set(sweep.done[c.pk]) for c in clocks}
    try:
        with transaction.atomic():
            ids = _sweep_batch(clocks, sweep, taken)
    except Exception:
        log.warning("Sweep of clocks %s failed", [c.pk for c in clocks], exc_info=True)
        sweep.done.update(before)
        return None
    for step, n in taken.items():
        sweep.summary.steps[step] += n
    return ids


def _sweep_batch(clocks: list[Clock], sweep: _Sweep, taken: dict) -> list[int]:
    """Take the due steps of many clocks inside the caller's transaction, in a fixed number of queries.

    Exactly once: the batch's reports are locked first (in id order, so two sweeps never deadlock, and
    after the workflow's own lock: report, then clocks), the clocks are read again under the lock,
    every step's unique row is inserted if missing, and a step is taken only when its row is not done.
    A step's row is marked done in the same transaction that takes it, so under the report lock a row
    not done is a row nobody is taking."""
    now = sweep.now
    plans = _plans(clocks, sweep)
    if not plans:
        return []
    ClockStep.objects.bulk_create(
        [ClockStep(clock=c, report_id=c.report_id, step=step, created_at=now) for c, steps in plans for step in steps],
        ignore_conflicts=True,
    )
    rows = {
        (clock_id, step): (pk, done_at)
        for pk, clock_id, step, done_at in ClockStep.objects.filter(
            clock_id__in=[c.pk for c, _steps in plans]
        ).values_list("pk", "clock_id", "step", "done_at")
    }
    work: list[tuple[Clock, str, int]] = []
    for clock, steps in plans:
        for step in steps:
            pk, done_at = rows[(clock.pk, step)]
            if done_at is None:
                work.append((clock, step, pk))
            else:
                sweep.done[clock.pk].add(step)  # another sweep took it
    prefetch_recipients([(clock.report, step) for clock, step, _pk in work], sweep.recipients)
    notes: list[Notification] = []
    recipients: dict[int, int] = {}
    missed = []
    for clock, step, pk in work:
        report = clock.report
        if step in (Step.AUTO_COMPLETE, Step.EXPIRE_INFO):
            _time_out(report, step)
            recipients[pk] = 0
        else:
            if step == Step.ESCALATE_AGENCY and clock.state != Clock.State.MISSED:
                clock.state = Clock.State.MISSED
                missed.append(clock.pk)
            users = step_recipients(report, step, sweep.recipients)
            notes += [_render_step(user, report, clock, step, now) for user in users]
            recipients[pk] = len(users)
        sweep.done[clock.pk].add(step)
        taken[step] += 1
    if missed:
        Clock.objects.filter(pk__in=missed).update(state=Clock.State.MISSED)
    Notification.objects.bulk_create(notes, batch_size=500)
    bulk_set(ClockStep.objects.all(), "recipients", recipients)
    ClockStep.objects.filter(pk__in=list(recipients)).update(done_at=now)
    next_at = {clock.pk: next_check(clock, sweep.calendar(clock), sweep.done[clock.pk], now) for clock, _s in plans}
    bulk_set(Clock.objects.filter(stopped_at__isnull=True).exclude(state=Clock.State.PAUSED), "next_check_at", next_at)
    return [n.pk for n in notes]


def _plans(clocks: list[Clock], sweep: _Sweep) -> list[tuple[Clock, list[str]]]:
    """Lock the clocks' reports (in id order), read the clocks again and list each one's due steps;
    clocks the workflow stopped or paused meanwhile are left out."""
    report_ids = sorted({c.report_id for c in clocks})
    locked = {r.pk: r for r in Report.objects.select_for_update().filter(pk__in=report_ids).order_by("pk")}
    fresh = {c.pk: c for c in Clock.objects.filter(pk__in=[c.pk for c in clocks])}
    plans = []
    for clock in clocks:
        report, current = locked.get(clock.report_id), fresh.get(clock.pk)
        if report is None or current is None or current.stopped_at is not None:
            continue
        if current.state == Clock.State.PAUSED:
            continue
        if report.agency_id == clock.report.agency_id:
            report.agency = clock.report.agency  # already loaded with the batch (unless it moved meanwhile)
        current.report = report
        steps = due_steps(current, sweep.calendar(current), sweep.done[clock.pk], sweep.now)
        if steps:
            plans.append((current, steps))
    return plans


def _time_out(report: Report, step: str) -> None:
    """A citizen-side time-out, inside the caller's transaction: the workflow closes the report."""
    from . import workflow

    if step == Step.AUTO_COMPLETE and report.status == workflow.Status.RESPONDED:
        workflow.auto_complete(report)
    elif step == Step.EXPIRE_INFO and report.status == workflow.Status.ON_HOLD:
        workflow.expire_info(report)


def _audience(report: Report, step: str) -> tuple[int | None, tuple] | None:
    """Whose staff hears of a step: (the agency whose members, or None for any agency; their roles)."""
    agency = report.agency
    if step in (Step.REMINDER, Step.ESCALATE_AGENCY):
        return (agency.pk, HANDLER_ROLES) if agency else (None, (Role.NATIONAL_ADMIN,))
    if step == Step.ESCALATE_PARENT:
        return (agency.parent_id, PARENT_ROLES) if agency and agency.parent_id else (None, (Role.NATIONAL_ADMIN,))
    if step == Step.ESCALATE_NATIONAL:
        return (None, NATIONAL_ROLES)
    return None


def prefetch_recipients(pairs: list[tuple[Report, str]], cache: dict) -> None:
    """Fill the recipients cache (key: the report's agency and the step) for many (report, step) pairs
    at once: one query per set of roles, however many agencies a batch meets."""
    pending = [
        (report, step) for report, step in pairs if report.sandbox_id is None and _key(report, step) not in cache
    ]
    for report, step in pairs:
        if report.sandbox_id is not None and _key(report, step) not in cache:
            cache[_key(report, step)] = _practice_recipients(report, step)
    wanted: dict[tuple, set] = defaultdict(set)  # roles → agency ids (None: members of any agency)
    for report, step in pending:
        audience = _audience(report, step)
        if audience:
            wanted[audience[1]].add(audience[0])
    found: dict[tuple, list] = defaultdict(list)  # (agency id or None, roles) → active users
    for roles, agency_ids in wanted.items():
        members = Membership.objects.filter(role__in=roles).select_related("user").order_by("agency_id", "user_id")
        if None not in agency_ids:
            members = members.filter(agency_id__in=agency_ids)
        seen = set()
        for m in members:
            key = (None if None in agency_ids else m.agency_id, roles)
            if (key, m.user_id) not in seen and m.user.is_active:
                seen.add((key, m.user_id))
                found[key].append(m.user)
        if None in agency_ids:
            found[(None, roles)].sort(key=lambda user: user.pk)
    for report, step in pending:
        audience = _audience(report, step)
        cache[_key(report, step)] = found.get(audience, []) if audience else []


def _key(report: Report, step: str) -> tuple:
    return (report.agency_id, step, report.sandbox_id)


def _practice_recipients(report: Report, step: str) -> list:
    """A practice report's reminders and escalations reach its sandbox's trainees only: the seats
    at its agency (reminder, escalation to the agency), above it (parent), or anywhere (national)."""
    audience = _audience(report, step)
    if not audience:
        return []
    agency_path = report.agency.path if report.agency_id else ""
    users, seen = [], set()
    seats = TrainingSeat.objects.filter(sandbox_id=report.sandbox_id).select_related("user", "agency").order_by("pk")
    for seat in seats:
        if step == Step.ESCALATE_NATIONAL:
            fits = seat.role == Role.AGENCY_ADMIN
        elif step == Step.ESCALATE_PARENT:
            fits = seat.role in audience[1] and agency_path.startswith(seat.agency.path)
        else:
            fits = seat.role in audience[1] and seat.agency_id == report.agency_id
        if fits and seat.user.is_active and seat.user_id not in seen:
            seen.add(seat.user_id)
            users.append(seat.user)
    return users


def step_recipients(report: Report, step: str, cache: dict | None = None) -> list:
    """Who hears about a reminder or an escalation step (active users, each once, in a stable order).
    `cache` (one per sweep) keeps each agency's list, so many late reports of one agency cost one query."""
    cache = {} if cache is None else cache
    prefetch_recipients([(report, step)], cache)
    return cache[_key(report, step)]


def _staff_path(report: Report) -> str:
    return reverse("admin:complaints_report_change", args=[report.pk])


def _render_step(user, report: Report, clock: Clock, step: str, now: dt.datetime) -> Notification:
    """One reminder/escalation notification in the recipient's language. Reporter identity is never
    included: the mail names the report by tracking number, title, agency and deadline only."""
    path = _staff_path(report)
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        ctx = {
            "user": user,
            "report": report,
            "clock": clock,
            "clock_label": clock.get_kind_display(),
            "step": step,
            "step_label": Step(step).label,
            "agency": report.agency.name if report.agency_id else "",
            "due": timezone.localtime(clock.due_at, WorkCalendar.for_zone(report.timezone).tz),
            "url": settings.SITE_URL.rstrip("/") + path,
        }
        subject = " ".join(render_to_string("emails/clock_subject.txt", ctx).split())
        body = render_to_string("emails/clock_body.txt", ctx)
    return Notification(user=user, report=report, kind=step, subject=subject[:200], body=body, url=path, created_at=now)


def _deliver_or_fold(ids: list[int], now: dt.datetime) -> int:
    """Queue the sweep's mails; a user who would get more than LAPOR_SWEEP_DIGEST_THRESHOLD of them
    gets one summary mail instead (the per-report rows stay in their on-site list, marked mailed).
    Returns the number of summaries. If the sweep dies before this point, the outbox sweep mails the
    rows one by one within about a minute: more mail, never less, and never one row twice."""
    if not ids:
        return 0
    by_user: dict[int, list[int]] = defaultdict(list)
    for pk, user_id in Notification.objects.filter(pk__in=ids).values_list("pk", "user_id"):
        by_user[user_id].append(pk)
    threshold = settings.LAPOR_SWEEP_DIGEST_THRESHOLD
    plain, folded = [], 0
    for user_ids in by_user.values():
        if len(user_ids) <= threshold:
            plain += user_ids
            continue
        with transaction.atomic():
            # Only the rows nobody mailed yet, locked: the outbox sweep (every 30 s) may have sent some
            # of them already if this sweep ran long, and must not send them while we fold them.
            rows = list(
                Notification.objects.select_for_update(of=("self",))
                .filter(pk__in=user_ids, email_sent_at__isnull=True)
                .select_related("report", "user")
                .order_by("pk")
            )
            if not rows:
                continue
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(email_sent_at=now)
            summary = _render_summary(rows[0].user, rows, now)
            summary.save()
        plain.append(summary.pk)
        folded += 1
    with transaction.atomic():
        notifications.enqueue_delivery(plain)
    return folded


def _render_summary(user, rows: list[Notification], now: dt.datetime) -> Notification:
    path = reverse("staff:notifications")
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        ctx = {"user": user, "rows": rows, "count": len(rows), "url": settings.SITE_URL.rstrip("/") + path}
        subject = " ".join(render_to_string("emails/sweep_digest_subject.txt", ctx).split())
        body = render_to_string("emails/sweep_digest_body.txt", ctx)
    return Notification(user=user, kind=SWEEP_DIGEST_KIND, subject=subject[:200], body=body, url=path, created_at=now)


# --- The daily digest ---


def send_daily_digests(now: dt.datetime | None = None, *, soon_days: int = 2, per_user: int = 20) -> int:
    """One mail per staff member (agency/unit admins: their subtree; national admins: everything)
    listing the open reports overdue or due within `soon_days` days. Once per user per day (WIB).

    Cost: one grouped query over the due reports, one for the members of the agencies above them,
    then one small query per member who has something due."""
    now = now or timezone.now()
    horizon = now + dt.timedelta(days=soon_days)
    open_due = Report.objects.real().filter(status__in=OPEN_STATUSES, due_at__lte=horizon)
    agency_paths = dict(
        Agency.objects.filter(pk__in=open_due.filter(agency__isnull=False).values("agency_id")).values_list(
            "pk", "path"
        )
    )
    ancestors = {pk for path in agency_paths.values() for pk in path_ids(path)}
    members = list(
        Membership.objects.filter(
            Q(agency_id__in=ancestors, role__in=HANDLER_ROLES) | Q(role=Role.NATIONAL_ADMIN)
        ).select_related("user", "agency")
    )
    if not open_due.exists():
        return 0
    day_start = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)  # TIME_ZONE (WIB)
    already = set(
        Notification.objects.filter(kind=DIGEST_KIND, created_at__gte=day_start).values_list("user_id", flat=True)
    )
    scopes: dict[int, tuple[object, list[Agency] | None]] = {}
    for m in members:
        if not m.user.is_active or m.user_id in already:
            continue
        user, agencies = scopes.get(m.user_id, (m.user, []))
        if m.role == Role.NATIONAL_ADMIN or agencies is None:
            scopes[m.user_id] = (user, None)
        else:
            scopes[m.user_id] = (user, [*agencies, m.agency])
    sent = []
    for user, agencies in scopes.values():
        qs = open_due if agencies is None else open_due.filter(in_subtrees(agencies, "agency"))
        reports = list(qs.select_related("agency").order_by("due_at")[: per_user + 1])
        if not reports:
            continue
        sent.append(_render_digest(user, reports[:per_user], len(reports) > per_user, now))
    if sent:
        with transaction.atomic():
            Notification.objects.bulk_create(sent)
            notifications.enqueue_delivery([n.pk for n in sent])
    return len(sent)


def _render_digest(user, reports: list[Report], more: bool, now: dt.datetime) -> Notification:
    path = reverse("staff:overdue") if _is_national(user) else reverse("admin:complaints_report_changelist")
    with translation.override(getattr(user, "language", None) or settings.LANGUAGE_CODE):
        ctx = {
            "user": user,
            "overdue": [r for r in reports if r.is_overdue(now)],
            "soon": [r for r in reports if not r.is_overdue(now)],
            "more": more,
            "url": settings.SITE_URL.rstrip("/") + path,
        }
        subject = " ".join(render_to_string("emails/digest_subject.txt", ctx).split())
        body = render_to_string("emails/digest_body.txt", ctx)
    return Notification(user=user, kind=DIGEST_KIND, subject=subject[:200], body=body, url=path, created_at=now)


def _is_national(user) -> bool:
    return bool(national_roles(user))
