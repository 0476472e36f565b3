"""A unit's open reports, for the changes to the agency tree (agencies/units.py): counted before a
unit is retired (a unit holding open reports is not retired), and moved to another unit of the same
agency through the workflow's forward, so that every move is an Event with its clocks (the first
follow-up restarts at the new unit; the resolution clock runs on)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from agencies.models import Agency, in_subtrees

from . import workflow
from .models import OPEN_STATUSES, WORKING_STATUSES, Report

MOVE_BATCH = 100  # reports moved per request; the page says how many are left


def held_open(unit: Agency):
    """The real open reports held anywhere in the unit's subtree."""
    return Report.objects.real().filter(in_subtrees([unit], "agency"), status__in=OPEN_STATUSES)


def count_open(unit: Agency) -> int:
    return held_open(unit).count()


@dataclass
class Moved:
    moved: int = 0
    left: int = 0  # still held by the unit (a later batch, or waiting in a status that cannot move)
    waiting_elsewhere: int = 0  # held in a status forward cannot take (on hold, answered, not yet dispatched)
    errors: list[str] = field(default_factory=list)


def move_open_reports(by, unit: Agency, to_unit: Agency, *, limit: int = MOVE_BATCH) -> Moved:
    """Forward up to `limit` of the unit's reports being worked on (dispatched, in progress) to
    `to_unit`, one workflow action each. Reports in other open statuses (on hold, answered and waiting
    for the citizen, not yet verified) cannot be forwarded: they are counted, to be moved once they
    are back at work, or closed."""
    result = Moved()
    note = _("Unit %(old)s ditata ulang; laporan diteruskan ke %(new)s.") % {"old": unit.name, "new": to_unit.name}
    batch = list(held_open(unit).filter(status__in=WORKING_STATUSES).order_by("due_at", "pk")[:limit])
    for report in batch:
        try:
            workflow.forward(report, by=by, to_agency=to_unit, internal_note=note)
        except workflow.WorkflowError as error:
            result.errors.append(f"{report.tracking_no}: {error}")
        else:
            result.moved += 1
    result.left = count_open(unit)
    result.waiting_elsewhere = held_open(unit).exclude(status__in=WORKING_STATUSES).count()
    return result
