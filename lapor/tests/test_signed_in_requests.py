"""What every signed-in page pays (issue #15): the session's user is read with the facts its pages ask
of them — whether they hold a membership (staff reach, the second factor) and their unread count (the
navigation's badge) — in one query (accounts/request_user.py), and every change to those facts, to the
password or to the account is seen by the very next request."""

import re

from django.contrib.auth import SESSION_KEY
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts import request_user
from agencies.models import Membership, Role
from complaints.context_processors import notifications
from complaints.models import Notification, Report, Status
from complaints.tests.portal import published

FORM = reverse("complaints:submit")
TRACK = reverse("complaints:track")
BADGE = re.compile(r'<span class="badge bg-light text-danger">([^<]+)<span class="visually-hidden">')


def _notify(user, n=1):
    Notification.objects.bulk_create(
        [Notification(user=user, kind="test", subject=f"Kabar {i}", body="Isi") for i in range(n)]
    )


def _badge(client):
    match = BADGE.search(client.get(FORM).content.decode())
    return match.group(1) if match else ""


def test_a_citizens_page_reads_the_user_and_what_the_navigation_needs_in_one_query(client, citizen):
    _notify(citizen, 2)
    client.force_login(citizen)
    client.get(FORM)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(FORM)
    assert response.status_code == 200
    assert BADGE.search(response.content.decode()).group(1) == "2"
    sql = [q["sql"] for q in queries.captured_queries if "django_session" not in q["sql"]]
    assert len(sql) == 1 and sql[0].count('FROM "accounts_user"') == 1
    assert '"agencies_membership"' in sql[0] and '"complaints_notification"' in sql[0]


def test_the_tracking_lookup_of_a_signed_in_citizen_reads_the_user_and_the_report_row(
    client, citizen, make_report, national_admin
):
    report = published(make_report, national_admin)
    client.force_login(citizen)
    client.get(TRACK, {"no": report.tracking_no})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(TRACK, {"no": report.tracking_no})
    assert response.status_code == 302
    sql = [q["sql"] for q in queries.captured_queries if "django_session" not in q["sql"]]
    assert len(sql) == 2, sql


def test_a_new_notification_and_a_read_one_show_at_once(client, citizen):
    client.force_login(citizen)
    assert _badge(client) == ""
    _notify(citizen)
    assert _badge(client) == "1"
    _notify(citizen, 99)
    assert _badge(client) == "99+"
    response = client.post(reverse("complaints:notifications_read"))
    assert response.status_code == 302
    assert _badge(client) == ""


def test_after_a_post_the_badge_counts_again(rf: RequestFactory, citizen):
    """A POST may have read or written the user's notifications after the user was read: the count
    read with the user is used on GET only."""
    _notify(citizen, 3)
    request = rf.post("/")
    request.user = request_user.load(citizen.pk)
    Notification.objects.filter(user=citizen).update(read_at=timezone.now())
    assert str(notifications(request)["unread_notifications"]) == ""
    request = rf.get("/")
    request.user = request_user.load(citizen.pk)
    assert request.user.lapor_unread_at_start == 0


def test_a_membership_given_to_a_signed_in_citizen_asks_for_the_second_factor_at_once(client, citizen, tree):
    client.force_login(citizen)
    assert client.get(FORM).status_code == 200
    Membership.objects.create(user=citizen, agency=tree["badung"], role=Role.AGENCY_ADMIN)  # not made is_staff
    response = client.get(FORM)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_enrol"))


def test_a_removed_membership_ends_the_staff_reach_at_once(client, agency_admin, make_report):
    report = make_report()  # not verified yet: only its reporter and the agency's staff open its page
    Report.objects.filter(pk=report.pk).update(status=Status.SUBMITTED, verified_at=None)
    page = reverse("complaints:detail", args=[report.tracking_no])
    client.force_login(agency_admin)
    html = client.get(page).content.decode()
    assert report.title in html
    Membership.objects.filter(user=agency_admin).delete()
    html = client.get(page).content.decode()
    assert report.title not in html


def test_a_password_change_a_deactivation_and_a_logout_end_the_session_at_once(citizen):
    mine = reverse("complaints:mine")
    first, second, third = Client(), Client(), Client()
    for client in (first, second, third):
        client.force_login(citizen)
        assert client.get(mine).status_code == 200
    citizen.set_password("sandi-baru-yang-kuat")
    citizen.save()
    response = first.get(mine)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    second.force_login(citizen)
    assert second.get(mine).status_code == 200
    type(citizen).objects.filter(pk=citizen.pk).update(is_active=False)
    response = second.get(mine)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))

    type(citizen).objects.filter(pk=citizen.pk).update(is_active=True)
    third.force_login(citizen)
    cookie = third.cookies["sessionid"].value
    third.post(reverse("accounts:logout"))
    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(mine)
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))
    assert SESSION_KEY not in replay.session


def test_a_missing_or_malformed_user_id_is_nobody(citizen):
    assert request_user.load(citizen.pk).pk == citizen.pk
    assert request_user.load(citizen.pk + 1000) is None
    assert request_user.load("bukan-angka") is None


def test_the_user_read_with_the_facts_is_the_user(citizen, agency_admin):
    loaded = request_user.load(citizen.pk)
    expected = type(citizen).objects.get(pk=citizen.pk)
    for field in type(citizen)._meta.concrete_fields:
        assert getattr(loaded, field.attname) == getattr(expected, field.attname), field.name
    assert loaded.lapor_holds_membership is False and loaded._lapor_memberships == []
    staff = request_user.load(agency_admin.pk)
    assert staff.lapor_holds_membership is True and not hasattr(staff, "_lapor_memberships")


def test_the_tracking_lookup_answers_each_visitor_as_before(make_report, citizen, other_citizen, tree, national_admin):
    """may_track (one row read by its number) gives reports_visible_to's and trackable_by_number's answer:
    public, fresh, Rahasia and practice reports, to their reporter, a stranger, nobody and staff."""
    from agencies.models import Sandbox
    from complaints.access import may_track, reports_visible_to, trackable_by_number

    public = published(make_report, national_admin)
    fresh = make_report()
    secret = make_report(is_confidential=True)
    practice = make_report()
    Report.objects.filter(pk=practice.pk).update(sandbox=Sandbox.objects.create(agency=tree["badung"], name="Bimtek"))
    from django.contrib.auth.models import AnonymousUser

    for user in (citizen, other_citizen, AnonymousUser(), national_admin):
        for report in (public, fresh, secret, practice):
            number = report.tracking_no
            expected = (
                reports_visible_to(user).filter(tracking_no=number).exists()
                or trackable_by_number().filter(tracking_no=number).exists()
            )
            assert may_track(user, number.lower()) is expected, (user, report.title)
    assert may_track(citizen, "TIDAKADA") is False
    # The lookup as each sees it: a stranger learns nothing of a Rahasia or practice report.
    client = Client()
    client.force_login(other_citizen)
    for report, found in ((public, True), (fresh, True), (secret, False), (practice, False)):
        response = client.get(TRACK, {"no": report.tracking_no})
        assert (response.status_code == 302) is found, report.title
    client.force_login(citizen)
    assert client.get(TRACK, {"no": secret.tracking_no}).status_code == 302  # their own Rahasia report
