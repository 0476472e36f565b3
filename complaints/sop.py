"""An agency's standard operating procedure (SOP), set by its admins within the legal limits:
whether answers need the liaison officer's approval (Agency.answers_need_approval, enforced by
workflow._check), its time zone, its regional holidays (CalendarDay rows of the agency: the one
calendar rule of deadlines.py / CalendarBook) and its own shorter targets per classification
(InternalTarget: shown beside the legal deadline, never replacing it). A change of time zone or
holidays gives the running clocks of its subtree new due times (clocks.queue_recompute)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from agencies import staffing
from agencies.models import TIMEZONES, Agency

from . import clocks
from .models import CalendarDay, ClockKind, ClockLimit, InternalTarget, Report


class SopError(Exception):
    pass


def _check(by, agency: Agency) -> None:
    if not staffing.may_manage(by, agency):
        raise SopError(_("Anda hanya dapat mengatur SOP instansi di bawah kewenangan Anda."))


def legal_days(agency: Agency, classification: str) -> int:
    """The legal resolution limit of a classification at this agency (working days)."""
    days, _calendar = ClockLimit.objects.limit_for(ClockKind.RESOLUTION, Report(classification=classification), agency)
    return days


@transaction.atomic
def set_rules(by, agency: Agency, *, answers_need_approval: bool, timezone: str) -> None:
    _check(by, agency)
    if timezone not in dict(TIMEZONES):
        raise SopError(_("Zona waktu tidak dikenal."))
    moved = timezone != agency.timezone
    agency.answers_need_approval, agency.timezone = answers_need_approval, timezone
    agency.save(update_fields=["answers_need_approval", "timezone"])
    if moved:
        clocks.queue_recompute(agency.pk)


@transaction.atomic
def set_target(by, agency: Agency, classification: str, days: int | None) -> None:
    """Set (or, with None, remove) the agency's internal target; it must be shorter than the law's."""
    _check(by, agency)
    if days is None:
        InternalTarget.objects.filter(agency=agency, classification=classification).delete()
        return
    limit = legal_days(agency, classification)
    if not 1 <= days < limit:
        raise SopError(
            _("Target internal harus antara 1 dan %(max)s hari kerja (batas hukumnya %(limit)s hari).")
            % {"max": limit - 1, "limit": limit}
        )
    InternalTarget.objects.update_or_create(agency=agency, classification=classification, defaults={"days": days})


@transaction.atomic
def add_holiday(by, agency: Agency, day: dt.date, name: str) -> CalendarDay:
    """A regional holiday of the agency and its units (e.g. Nyepi, Galungan in Bali)."""
    _check(by, agency)
    holiday, _created = CalendarDay.objects.update_or_create(
        date=day, agency=agency, defaults={"kind": CalendarDay.Kind.HOLIDAY, "name": name}
    )
    clocks.queue_recompute(agency.pk)
    return holiday


@transaction.atomic
def remove_holiday(by, holiday: CalendarDay) -> None:
    _check(by, holiday.agency)
    agency_id = holiday.agency_id
    holiday.delete()
    clocks.queue_recompute(agency_id)


def internal_target(report: Report):
    """(days, due time) of the report's internal target — the nearest agency up its chain that set one
    for its classification — counted with the agency's calendar from the running resolution clock's
    start; None without a target or a running resolution clock."""
    if not report.agency_id:
        return None
    chain = [int(p) for p in report.agency.path.split(".") if p]
    targets = {
        t.agency_id: t.days
        for t in InternalTarget.objects.filter(agency_id__in=chain, classification=report.classification)
    }
    owner = next((pk for pk in reversed(chain) if pk in targets), None)
    if owner is None:
        return None
    clock = report.clocks.filter(kind=ClockKind.RESOLUTION, stopped_at__isnull=True).first()
    if clock is None:
        return None
    calendar = CalendarDay.objects.calendar_for(report.agency)
    return targets[owner], calendar.due_at(clock.started_at, targets[owner])
