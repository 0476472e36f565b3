"""Role switching (#19 item 2): a person with roles in several agencies acts for one of them at a
time, and every queue, dashboard and export follows."""

import csv
import io

import pytest
from django.urls import reverse

from accounts.models import User
from agencies.models import Agency, Membership, Role
from agencies.roles import ACTING_SESSION_KEY
from complaints import exports
from complaints.models import ExportJob


@pytest.fixture
def two_hats(tree):
    """Badung's admin who is also the liaison officer of Sleman's health department."""
    user = User.objects.create_user("dua@example.test", "lapor-test", full_name="Dua Topi", is_staff=True)
    Membership.objects.create(user=user, agency=tree["badung"], role=Role.AGENCY_ADMIN)
    Membership.objects.create(user=user, agency=Agency.objects.get(code="dinkes-sleman"), role=Role.LIAISON_OFFICER)
    return user


@pytest.fixture
def reports(make_report, tree):
    return {
        "badung": make_report(title="Laporan Badung"),
        "sleman": make_report(title="Laporan Sleman", suggested_agency=Agency.objects.get(code="dinkes-sleman")),
    }


def _queue(client) -> set[str]:
    page = client.get(reverse("admin:complaints_report_changelist"))
    return {r.title for r in page.context["cl"].result_list}


def _export(client) -> set[str]:
    response = client.get(reverse("admin:complaints_report_export"))
    return {row[1] for row in list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))[1:]}


def _switch(client, agency):
    return client.post(reverse("staff:acting"), {"agency": agency.pk if agency else "", "next": "/kerja/latihan/"})


def test_switching_the_acting_agency_scopes_queue_export_and_dashboard(client, two_hats, reports, tree):
    client.force_login(two_hats)
    assert _queue(client) == {"Laporan Badung", "Laporan Sleman"}  # all of their agencies by default
    page = client.get(reverse("staff:acting")).content.decode()
    assert "Pemerintah Kabupaten Badung" in page and "Dinas Kesehatan Kabupaten Sleman" in page
    sleman = Agency.objects.get(code="dinkes-sleman")
    assert _switch(client, sleman).status_code == 302 and client.session[ACTING_SESSION_KEY] == sleman.pk
    assert _queue(client) == {"Laporan Sleman"}
    assert _export(client) == {"Laporan Sleman"}
    # Acting for Sleman's department, Badung's report is out of reach: its page is 404 in the admin.
    change = reverse("admin:complaints_report_change", args=[reports["badung"].pk])
    assert client.get(change).status_code == 404
    _switch(client, tree["badung"])
    assert _queue(client) == {"Laporan Badung"}
    assert client.get(change).status_code == 200
    dashboard = client.get(reverse("dashboards:dashboard"))
    assert dashboard.status_code == 200
    assert dashboard.context["scope"].agency == tree["badung"]
    _switch(client, None)
    assert _queue(client) == {"Laporan Badung", "Laporan Sleman"}


def test_one_cannot_act_for_an_agency_one_holds_no_role_in(client, two_hats, tree, agency_admin):
    client.force_login(two_hats)
    _switch(client, tree["sleman"])
    assert not client.session.get(ACTING_SESSION_KEY)
    client.force_login(agency_admin)  # a single agency: nothing to switch
    assert client.get(reverse("staff:acting")).status_code == 404


def test_a_background_export_keeps_the_scope_its_owner_acted_for(client, two_hats, reports, eager_celery, settings):
    settings.LAPOR_EXPORT_INLINE_MAX = 0
    client.force_login(two_hats)
    _switch(client, Agency.objects.get(code="dinkes-sleman"))
    two_hats.lapor_acting_agency_id = client.session[ACTING_SESSION_KEY]
    job = exports.start(two_hats, "csv", "")
    fresh = ExportJob.objects.get(pk=job.pk)
    assert fresh.acting_agency.code == "dinkes-sleman"
    exports.build(fresh.pk)
    fresh.refresh_from_db()
    assert fresh.total == 1  # Sleman's report only, not Badung's
