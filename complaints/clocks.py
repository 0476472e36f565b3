"""The clock engine: the legal deadlines of a report (DESIGN.md "Clocks").

- CLOCK_EFFECTS and apply_clocks: what each workflow action does to the clocks (start, stop, cancel,
  restart, pause, resume), applied by workflow._apply inside the action's transaction;
- the ladder of a clock (schedule, due_steps, next_check): its reminder and escalation steps and when
  each falls due, taken by the sweep (escalation.run_clocks);
- recompute_open_clocks, sync_report_due, queue_recompute: new due times for running clocks after a
  change of limits or of the calendar.

Report.due_at, the agencies' queue order, is the earliest due time of the report's running or missed
agency clocks (one rule: Clock.sets_report_due, ClockQuerySet.setting_report_due): apply_clocks
computes it for one report in Python, sync_report_due for many in SQL.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from agencies.models import Agency, in_subtrees
from lapor.prepared import insert_rows
from lapor.queue import after_commit

from . import holders
from .deadlines import WorkCalendar
from .models import (
    AGENCY_CLOCKS,
    Action,
    CalendarDay,
    Clock,
    ClockKind,
    ClockLimit,
    ClockStep,
    Report,
    ReportAgency,
    calendar_of,
    limit_of,
)

log = logging.getLogger(__name__)
Step = ClockStep.Step
MISS_GRACE = dt.timedelta(seconds=1)  # due_at is 23:59:59 local; the miss is the moment after

# Clock effects of each action: (operation, clock kind). DESIGN.md "Clocks".
VER, FFU, RES, REP, DET = (
    ClockKind.VERIFICATION,
    ClockKind.FIRST_FOLLOW_UP,
    ClockKind.RESOLUTION,
    ClockKind.REPLY_WINDOW,
    ClockKind.DETAILS,
)
CLOCK_EFFECTS: dict[str, list[tuple[str, str | None]]] = {
    Action.SUBMIT: [("start", VER)],
    Action.DISPATCH: [("stop", VER), ("restart", FFU), ("restart", RES)],
    Action.FORWARD: [("restart", FFU)],
    Action.TRANSFER: [("restart", FFU), ("restart", RES)],
    Action.RETURN: [("cancel", FFU), ("cancel", RES), ("restart", VER)],
    Action.FOLLOW_UP: [("stop", FFU)],
    Action.RESPOND: [("stop", FFU), ("stop", RES), ("restart", REP)],
    Action.APPROVE_RESPONSE: [("stop", FFU), ("stop", RES), ("restart", REP)],
    Action.REPLY: [("stop", REP), ("restart", FFU)],
    Action.ACCEPT: [("stop", REP)],
    Action.AUTO_COMPLETE: [("stop", REP)],
    Action.REOPEN: [("restart", FFU), ("restart", RES)],
    Action.HOLD: [("pause", None), ("restart", DET)],
    Action.PROVIDE_INFO: [("stop", DET), ("resume", None)],
    Action.EXPIRE_INFO: [("stop", DET), ("cancel_all", None)],
    Action.ARCHIVE: [("cancel_all", None)],
    Action.REMOVE: [("cancel_all", None)],
    # A duplicate's clocks stop while it is merged, keeping what was left of them for an unmerge.
    Action.MERGE: [("suspend", None)],
    Action.UNMERGE: [("unsuspend", None)],
}


def apply_clocks(report: Report, action: str, now: dt.datetime, *, new: bool = False) -> None:
    """What `action` does to the report's clocks (CLOCK_EFFECTS), inside the action's transaction;
    sets report.due_at (the caller saves the report). `new`: the report was created in this
    transaction, so it has no clocks to look up yet."""
    effects = CLOCK_EFFECTS.get(action, [])
    if not effects:
        return
    calendar = calendar_of(report.agency)
    open_clocks = {c.kind: c for c in report.clocks.filter(stopped_at__isnull=True)} if report.pk and not new else {}
    for op, kind in effects:
        clock = open_clocks.get(kind)
        if op in ("stop", "cancel", "restart") and clock is not None:
            stop_clock(clock, now, cancelled=op == "cancel")
            open_clocks.pop(kind)
        if op in ("start", "restart"):
            open_clocks[kind] = start_clock(report, kind, now, calendar, later=new)
        elif op == "pause":
            for c in open_clocks.values():
                if c.kind in AGENCY_CLOCKS and c.state != Clock.State.PAUSED:
                    _pause(c, now, calendar)
        elif op == "resume":
            for c in open_clocks.values():
                if c.state == Clock.State.PAUSED:
                    _resume(c, now, calendar)
        elif op == "suspend":
            for c in open_clocks.values():
                if c.state != Clock.State.PAUSED:
                    _pause(c, now, calendar)
        elif op == "unsuspend":
            merged_at = (
                report.events.filter(action=Action.MERGE)
                .order_by("-created_at", "-pk")
                .values_list("created_at", flat=True)
                .first()
            )
            for c in open_clocks.values():
                if c.state == Clock.State.PAUSED and merged_at and c.paused_at and c.paused_at >= merged_at:
                    _resume(c, now, calendar)
        elif op == "cancel_all":
            for c in list(open_clocks.values()):
                stop_clock(c, now, cancelled=True)
            open_clocks.clear()
    # Report.due_at orders the agencies' queues: only agency clocks count (not the citizen's).
    running = [c.due_at for c in open_clocks.values() if c.sets_report_due]
    report.due_at = min(running) if running else None


def _pause(c: Clock, now: dt.datetime, calendar) -> None:
    if c.calendar_days:
        c.remaining_days = max(0, (c.due_at - now).days) if now < c.due_at else 0
    else:
        c.remaining_days = calendar.remaining_workdays(now, c.due_at) if now < c.due_at else 0
    c.state, c.paused_at, c.next_check_at = Clock.State.PAUSED, now, None
    c.save(update_fields=["state", "paused_at", "remaining_days", "next_check_at"])


def _resume(c: Clock, now: dt.datetime, calendar) -> None:
    c.due_at = calendar.resume(now, c.remaining_days or 0, c.calendar_days)
    c.state, c.paused_at, c.remaining_days = Clock.State.RUNNING, None, None
    # Clocks the citizen runs out (reply window, details) have no reminder: the sweep acts at the due time.
    c.next_check_at = c.due_at if c.kind in (REP, DET) else calendar.reminder_at(c.due_at, c.calendar_days)
    c.save(update_fields=["state", "paused_at", "remaining_days", "due_at", "next_check_at"])


def start_clock(report: Report, kind: str, now: dt.datetime, calendar, *, later: bool = False) -> Clock:
    days, calendar_days = limit_of(kind, report, report.agency)
    due = calendar.due_at(now, days, calendar_days)
    # Clocks the citizen runs out (reply window, details) have no reminder: the sweep acts at the due time.
    check = due if kind in (REP, DET) else calendar.reminder_at(due, calendar_days)
    clock = Clock(
        report=report,
        kind=kind,
        agency=report.agency,
        limit_days=days,
        calendar_days=calendar_days,
        started_at=now,
        due_at=due,
        next_check_at=check,
    )
    # Clock.objects.create without compiling the INSERT each time; `later`: a new report's clock, whose id
    # nobody reads, may travel with the next statement (lapor/prepared.py, workflow.submit).
    insert_rows([clock], later=later)
    return clock


def stop_clock(clock: Clock, now: dt.datetime, *, cancelled: bool = False) -> None:
    if cancelled:
        clock.state = Clock.State.CANCELLED
    elif clock.state == Clock.State.PAUSED or now <= clock.due_at:
        clock.state = Clock.State.MET if clock.state != Clock.State.MISSED else Clock.State.MISSED
    else:
        clock.state = Clock.State.MISSED
    clock.stopped_at, clock.next_check_at = now, None
    clock.save(update_fields=["state", "stopped_at", "next_check_at"])


# --- The ladder ---


def schedule(clock: Clock, calendar: WorkCalendar) -> list[tuple[str, dt.datetime]]:
    """The clock's steps and when each falls due, in order (pure: no database)."""
    due = clock.due_at
    if clock.kind == ClockKind.REPLY_WINDOW:
        return [(Step.AUTO_COMPLETE, due + MISS_GRACE)]
    if clock.kind == ClockKind.DETAILS:
        return [(Step.EXPIRE_INFO, due + MISS_GRACE)]
    parent_at = calendar.workdays_after(due, settings.LAPOR_ESCALATE_PARENT_AFTER_DAYS)
    national_at = calendar.workdays_after(parent_at, settings.LAPOR_ESCALATE_NATIONAL_AFTER_DAYS)
    return [
        (Step.REMINDER, calendar.reminder_at(due, clock.calendar_days)),
        (Step.ESCALATE_AGENCY, due + MISS_GRACE),
        (Step.ESCALATE_PARENT, parent_at),
        (Step.ESCALATE_NATIONAL, national_at),
    ]


def due_steps(clock: Clock, calendar: WorkCalendar, done: set[str], now: dt.datetime) -> list[str]:
    """The steps to take now, in order. A reminder whose deadline has already passed is skipped."""
    ladder = schedule(clock, calendar)
    result = [step for step, at in ladder if at <= now and step not in done]
    if Step.REMINDER in result and (now > clock.due_at or clock.state == Clock.State.MISSED):
        result.remove(Step.REMINDER)
    return result


def next_check(clock: Clock, calendar: WorkCalendar, done: set[str], now: dt.datetime) -> dt.datetime | None:
    """When the sweep must look at this clock again: its first step not yet taken (None: finished)."""
    for step, at in schedule(clock, calendar):
        if step in done or (step == Step.REMINDER and (now > clock.due_at or clock.state == Clock.State.MISSED)):
            continue
        return at
    return None


# --- Recomputing running clocks after a change of limits or calendar ---


def recompute_open_clocks(agency: Agency | None = None, kind: str | None = None, *, batch_size: int = 500) -> int:
    """Give running clocks new due times after a ClockLimit or CalendarDay change, and keep
    Report.due_at in sync. `agency`: only clocks of that agency's subtree (None: all); `kind`:
    only clocks of that kind. Paused clocks keep their remaining days (they are recomputed when
    resumed). A clock already missed stays missed (its escalation is on record) and continues its
    ladder from the new due time; steps already taken are never repeated. The due time is counted
    again from the clock's start, so a clock that was paused and resumed loses its pause (a known
    simplification). Returns the number of clocks changed."""
    clocks = Clock.objects.ticking()
    if agency is not None:
        clocks = clocks.filter(in_subtrees([agency], "agency"))
    if kind:
        clocks = clocks.filter(kind=kind)
    calendars = CalendarDay.objects.book()
    limits: dict[tuple, tuple[int, bool]] = {}
    now = timezone.now()
    changed, last_pk = 0, 0
    while True:
        batch = list(clocks.filter(pk__gt=last_pk).select_related("report", "agency").order_by("pk")[:batch_size])
        if not batch:
            break
        last_pk = batch[-1].pk
        done_by_clock: dict[int, set[str]] = defaultdict(set)
        for clock_id, step in ClockStep.objects.filter(
            clock_id__in=[c.pk for c in batch], done_at__isnull=False
        ).values_list("clock_id", "step"):
            done_by_clock[clock_id].add(step)
        touched_reports = set()
        for clock in batch:
            report = clock.report
            key = (clock.kind, report.classification, report.complaint_kind, report.is_formal_info_request,
                   clock.agency_id)  # fmt: skip
            if key not in limits:
                limits[key] = ClockLimit.objects.limit_for(clock.kind, report, clock.agency)
            days, calendar_days = limits[key]
            calendar = calendars.for_agency(clock.agency)
            due = calendar.due_at(clock.started_at, days, calendar_days)
            if due == clock.due_at and days == clock.limit_days:
                continue
            clock.due_at, clock.limit_days, clock.calendar_days = due, days, calendar_days
            clock.next_check_at = next_check(clock, calendar, done_by_clock[clock.pk], now)
            Clock.objects.filter(pk=clock.pk, stopped_at__isnull=True).update(
                due_at=due,
                limit_days=days,
                calendar_days=calendar_days,
                next_check_at=clock.next_check_at,
            )
            touched_reports.add(clock.report_id)
            changed += 1
        sync_report_due(touched_reports)
    return changed


def sync_report_due(report_ids: Iterable[int]) -> None:
    """Report.due_at = the earliest due time of its open running (or missed) agency clocks, in one UPDATE;
    then the same due time on the reports' handling rows (ReportAgency.due_at, what the queue tabs
    count overdue by), in a second."""
    report_ids = list(report_ids)
    if not report_ids:
        return
    earliest = Clock.objects.setting_report_due().filter(report=OuterRef("pk")).order_by("due_at").values("due_at")[:1]
    Report.objects.filter(pk__in=report_ids).update(due_at=Subquery(earliest))
    holders.handlings_changed(ReportAgency.objects.set_due_from_reports(report_ids))  # their queues


def queue_recompute(agency_id: int | None = None, kind: str | None = None) -> None:
    """After the current transaction commits, recompute in a task (or right here if the broker is down)."""

    def in_process():
        recompute_open_clocks(Agency.objects.filter(pk=agency_id).first() if agency_id else None, kind)

    after_commit("complaints.tasks.recompute_open_clocks", agency_id, kind, fallback=in_process)
