"""An agency's standard operating procedure (SOP), set by its admins within the legal limits:
whether answers need the liaison officer's approval (Agency.answers_need_approval, enforced by
workflow._check), its time zone, its regional holidays (CalendarDay rows of the agency: the one
calendar rule of deadlines.py / CalendarBook) and its own shorter targets per classification
(InternalTarget: shown beside the legal deadline, never replacing it). A change of time zone or
holidays gives the running clocks of its subtree new due times (clocks.queue_recompute)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from agencies import staffing
from agencies.models import TIMEZONES, Agency, path_ids
from lapor import refcache

from . import clocks
from .models import CalendarDay, Clock, ClockKind, ClockLimit, InternalTarget, Report, calendar_of


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


# The short names Indonesians give their three time zones (agencies.models.TIMEZONES).
ZONE_NAMES = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def zone_name(tz: str) -> str:
    return ZONE_NAMES.get(tz, tz)


def agency_clock_time(moment: dt.datetime, agency: Agency | None) -> tuple[dt.datetime, str]:
    """A deadline as the agency's clocks count it: the moment in the agency's time zone and the
    zone's short name (WIB, WITA, WIT); the national one (settings.TIME_ZONE) without an agency."""
    tz = agency.timezone if agency is not None else settings.TIME_ZONE
    return moment.astimezone(ZoneInfo(tz)), zone_name(tz)


def _targets() -> dict[tuple[int, str], int]:
    """Every agency's internal targets, {(agency id, classification): days}, kept in memory per
    reference-data generation (lapor/refcache: a saved or deleted target bumps it)."""
    return refcache.get(
        "internal-targets",
        lambda: {(a, c): d for a, c, d in InternalTarget.objects.values_list("agency_id", "classification", "days")},
    )


def internal_targets(reports) -> dict[int, tuple[int, dt.datetime]]:
    """{report id: (days, due time)} of the reports' internal targets — for each, the nearest agency
    up its chain that set one for its classification — counted with the agency's calendar from the
    running resolution clock's start. Reports without a target or a running resolution clock are
    left out. One query for a whole page of reports (their agency loaded), none without targets."""
    targets = _targets()
    days_of = {}
    for report in reports:
        if report.agency_id is None or not targets:
            continue
        chain = path_ids(report.agency.path)
        owner = next((pk for pk in reversed(chain) if (pk, report.classification) in targets), None)
        if owner is not None:
            days_of[report.pk] = targets[(owner, report.classification)]
    if not days_of:
        return {}
    # Newest first, so that the earliest running resolution clock of a report is the one kept.
    starts = dict(
        Clock.objects.filter(report_id__in=days_of, kind=ClockKind.RESOLUTION, stopped_at__isnull=True)
        .order_by("-started_at", "-pk")
        .values_list("report_id", "started_at")
    )
    return {
        report.pk: (days_of[report.pk], calendar_of(report.agency).due_at(starts[report.pk], days_of[report.pk]))
        for report in reports
        if report.pk in days_of and report.pk in starts
    }


def attach_targets(reports) -> None:
    """Put each report's internal target (or None) on it as `sop_target`, for a list to show beside
    the legal deadline."""
    reports = list(reports)
    found = internal_targets(reports)
    for report in reports:
        report.sop_target = found.get(report.pk)


def internal_target(report: Report):
    """(days, due time) of one report's internal target (internal_targets), or None."""
    return internal_targets([report]).get(report.pk)
