"""The staff side of the channels' end-to-end tests: verify and answer a report in the Django admin, as
agency staff do, so each adapter's journey goes through the same pages as a web report."""

from django.urls import reverse

from complaints import workflow
from complaints.models import Status


def admin_action(report, name):
    return reverse("admin:complaints_report_action", args=[report.pk, name])


def verify_and_answer_in_admin(client, committed, report, tree, national_admin, agency_admin, note):
    """A national admin verifies the report in the admin, it is dispatched to Badung, and Badung's agency
    admin answers it in the admin with ``note``."""
    client.force_login(national_admin)
    response = committed(
        client.post,
        admin_action(report, "verify"),
        {
            "title": report.title or "Laporan warga",
            "classification": "complaint",
            "complaint_kind": "normative",
            "category": report.category_id,
        },
    )
    assert response.status_code == 302, response.content
    committed(workflow.dispatch, report, by=national_admin, to_agency=tree["badung"])
    client.force_login(agency_admin)
    response = committed(client.post, admin_action(report, "respond"), {"note": note})
    assert response.status_code == 302, response.content
    report.refresh_from_db()
    assert report.status == Status.RESPONDED, report.status
