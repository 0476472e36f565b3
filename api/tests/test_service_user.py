"""The explicit way an integrated application files reports: workflow.submit(off_platform=True) by the
key's service user (an inactive user with the agency_admin role at the key's agency)."""

import pytest

from api.tests.conftest import report_payload
from complaints import workflow
from complaints.models import Notification, Report


def test_off_platform_submit_records_no_reporter_and_keeps_the_entering_user(make_report, badung_key):
    service_user = badung_key[0].service_user
    report = make_report(by=service_user, off_platform=True, is_anonymous=True)
    assert report.reporter is None and report.entered_by == service_user
    assert report.events.get().actor == service_user


def test_off_platform_submit_needs_a_staff_role_for_the_agency(make_report, citizen, sleman_key):
    with pytest.raises(workflow.ActionNotAllowed):
        make_report(by=citizen, off_platform=True)
    with pytest.raises(workflow.ActionNotAllowed):
        make_report(by=sleman_key[0].service_user, off_platform=True)  # Badung is outside Sleman's subtree
    assert Report.objects.count() == 0


def test_service_users_cannot_log_in_and_receive_no_mail(client, badung_api, badung_key, agency_admin):
    service_user = badung_key[0].service_user
    assert not client.login(username=service_user.email, password="")
    assert badung_api.post("/api/v1/reports", report_payload()).status_code == 201
    recipients = set(Notification.objects.values_list("user_id", flat=True))
    assert service_user.pk not in recipients
    assert agency_admin.pk in recipients
