"""The workflow's words (complaints/models.py next to Status): the named groups agree with the
transition table, and the database refuses an action nobody defined."""

import pytest
from django.db import IntegrityError

from complaints import workflow
from complaints.access import REPORTER, SYSTEM
from complaints.models import (
    CITIZEN_ACTIONS,
    CLOCK_FULFILLED_BY,
    CLOSED_STATUSES,
    INTERNAL_ACTIONS,
    OPEN_STATUSES,
    STAFF_ACTIONS,
    SYSTEM_ACTIONS,
    Action,
    Event,
    Status,
)


def test_every_action_but_submit_has_its_roles_and_each_group_is_who_takes_it():
    roles = workflow.ACTION_ROLES
    assert set(roles) == set(Action) - {Action.SUBMIT}
    assert {a for a, who in roles.items() if who - {REPORTER, SYSTEM}} == set(STAFF_ACTIONS)
    assert {a for a, who in roles.items() if who == {REPORTER}} == set(CITIZEN_ACTIONS)
    assert {a for a, who in roles.items() if who == {SYSTEM}} == set(SYSTEM_ACTIONS)


def test_open_and_closed_statuses_split_the_statuses():
    assert set(OPEN_STATUSES) | CLOSED_STATUSES == set(Status)
    assert not set(OPEN_STATUSES) & CLOSED_STATUSES
    # A closed report leaves only by reopening (a completed one), an unmerge (a merged duplicate) or
    # an internal note.
    leaving = {(s, a) for (s, a), to in workflow.TRANSITIONS.items() if s in CLOSED_STATUSES and to != s}
    assert leaving == {(Status.COMPLETED, Action.REOPEN), (Status.MERGED, Action.UNMERGE)}


def test_internal_actions_never_move_a_report_and_each_clock_is_fulfilled_by_staff():
    assert all(to == s for (s, a), to in workflow.TRANSITIONS.items() if a in INTERNAL_ACTIONS)
    for actions in CLOCK_FULFILLED_BY.values():
        assert set(actions) <= set(STAFF_ACTIONS)


@pytest.mark.django_db
def test_the_database_refuses_an_unknown_action(make_report):
    report = make_report()
    with pytest.raises(IntegrityError):
        Event.objects.create(report=report, action="escalate", from_status="", to_status="")
