"""When a citizen may take a report to the Ombudsman with the case file LAPOR prints for them: an
agency missed one of its deadlines, or the citizen is not satisfied with the outcome."""

from __future__ import annotations

from .models import Clock, Report


def missed_clocks(report: Report) -> list[Clock]:
    """The deadlines the agencies missed (ClockQuerySet.missed: stopped late, or still running past due)."""
    return list(report.clocks.missed().select_related("agency"))


def is_unsatisfied(report: Report) -> bool:
    """Plainly: the citizen rated the answer 1 or 2 stars, or had to reopen the report."""
    return (report.rating is not None and report.rating <= 2) or report.reopen_count > 0


def may_file_case(report: Report, missed: list[Clock] | None = None) -> bool:
    """Whether the reporter is offered the case file (`missed`: missed_clocks(report), if already read)."""
    return is_unsatisfied(report) or bool(missed_clocks(report) if missed is None else missed)
