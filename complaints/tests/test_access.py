"""Scoping and redaction: who sees which report, and who sees who filed it."""

import contextlib

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from complaints import access, workflow


@pytest.fixture
def handled(make_report, national_admin, agency_admin, tree):
    """A confidential, anonymous report dispatched by Badung to its health office."""
    report = make_report(is_anonymous=True, is_confidential=True)
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=agency_admin, to_agency=tree["dinkes"])
    return report


def test_confidential_report_is_visible_only_to_reporter_and_handling_staff(
    handled, citizen, other_citizen, agency_admin, parent_admin, unit_admin, sibling_admin, national_admin, head
):
    for user in (citizen, agency_admin, parent_admin, unit_admin, national_admin, head):
        assert access.get_report_for_user(user, handled.tracking_no) == handled
    for user in (AnonymousUser(), other_citizen, sibling_admin):
        with pytest.raises(Http404):
            access.get_report_for_user(user, handled.tracking_no)


def test_public_report_is_visible_to_everyone_once_verified(make_report, national_admin, other_citizen):
    report = make_report()
    with pytest.raises(Http404):  # unverified reports are not public yet
        access.get_report_for_user(AnonymousUser(), report.tracking_no)
    workflow.verify(report, by=national_admin)
    assert access.get_report_for_user(AnonymousUser(), report.tracking_no.lower()) == report
    assert access.get_report_for_user(other_citizen, report.tracking_no) == report


def test_staff_scope_keeps_reports_they_handled(handled, unit_admin, agency_admin, tree):
    workflow.transfer(handled, by=agency_admin, to_agency=tree["sleman"], note="Lokasi di Sleman.")
    assert handled in access.staff_reports(unit_admin)  # Dinkes Badung handled it before
    assert handled in access.staff_reports(agency_admin)


def test_sibling_agency_sees_nothing_in_staff_scope(handled, sibling_admin):
    assert not access.staff_reports(sibling_admin).exists()


def test_anonymous_identity_is_hidden_from_everybody_but_the_reporter(
    handled, citizen, agency_admin, unit_admin, head, national_admin, supervisor
):
    # National admins and supervisors included (issue #21): they look through complaints/identity.py.
    for user in (agency_admin, unit_admin, head, national_admin, supervisor):
        shown = access.reporter_shown_to(user, handled)
        assert shown["name"] == "Anonim" and not shown["email"] and not shown["phone"] and not shown["nik"]
    assert access.reporter_shown_to(citizen, handled)["email"] == citizen.email


def test_named_reporter_is_shown_to_the_public_by_display_name_only(make_report, citizen):
    report = make_report()
    shown = access.reporter_shown_to(AnonymousUser(), report)
    assert shown == {"name": "Made", "email": "", "phone": "", "nik": "", "full": False}


def test_a_visitor_without_staff_reach_opens_exactly_what_reports_visible_to_gives(
    make_report, national_admin, citizen, other_citizen
):
    """get_report_for_user decides a citizen's and an anonymous visitor's access on the loaded row
    (may_open): for every kind of report, the same answer as the reports_visible_to query."""
    from complaints.models import Report

    shown = make_report(title="Terbuka")
    workflow.verify(shown, by=national_admin)
    secret = make_report(title="Rahasia", is_confidential=True)
    workflow.verify(secret, by=national_admin)
    junk = make_report(title="Spam")
    workflow.remove(junk, by=national_admin, reason="spam")
    others = make_report(title="Milik warga lain", by=other_citizen, is_confidential=True)
    make_report(title="Belum diverifikasi")
    for user in (AnonymousUser(), citizen, other_citizen):
        visible = set(access.reports_visible_to(user).values_list("pk", flat=True))
        opened = set()
        for report in Report.objects.all():
            with contextlib.suppress(Http404):
                opened.add(access.get_report_for_user(user, report.tracking_no).pk)
        assert opened == visible, user
    assert secret.pk not in visible and others.pk in visible  # other_citizen's: their own, not the public's
