"""The coordinators' readiness list (#19 item 3): who sees it (national admins everywhere, a
provincial government's admin its province only), the figures (active admins and liaison officers,
their last login, the reports waiting and overdue), the filters, the reminder (to the right people,
once per agency per day, in the audit trail) and a constant number of queries."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from agencies.models import Agency, AgencyChange, Membership, Role
from complaints import readiness
from complaints.models import Notification, Report, Status
from complaints.tests.portal import set_due_at
from lapor import audit

URL = reverse("staff:readiness")


@pytest.fixture
def diy_admin(tree):
    user = User.objects.create_user("diy@example.test", "lapor-test", full_name="Admin DIY", is_staff=True)
    Membership.objects.create(user=user, agency=tree["diy"], role=Role.AGENCY_ADMIN)
    return user


def _codes(rows):
    return {a.code for a in rows}


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("national_admin", 200),
        ("parent_admin", 200),  # the province of Bali's admin
        ("diy_admin", 200),  # another province's admin: their own province only (below)
        ("agency_admin", 404),  # a regency's admin is no coordinator
        ("unit_admin", 404),
        ("citizen", 404),
    ],
)
def test_who_sees_the_readiness_list(request, client, tree, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == status
    assert client.post(URL, {"instansi": tree["badung"].code}).status_code in ({200: 302}.get(status, 404),)


def test_anonymous_visitors_are_sent_to_log_in(client, tree):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_a_province_coordinator_sees_its_province_only(client, tree, parent_admin, diy_admin, agency_admin):
    bali = _codes(readiness.readiness(parent_admin))
    assert {"pemprov-bali", "pemkab-badung", "dinkes-badung"} <= bali and "pemkab-sleman" not in bali
    diy = _codes(readiness.readiness(diy_admin))
    assert "pemkab-sleman" in diy and not diy & {"pemprov-bali", "pemkab-badung", "dinkes-badung"}
    # Nor can it remind an agency of another province, by page or by function.
    client.force_login(diy_admin)
    response = client.post(URL, {"instansi": "pemkab-badung"}, follow=True)
    assert "tidak berada dalam lingkup koordinasi" in response.content.decode()
    with pytest.raises(readiness.ReminderRefused):
        readiness.remind(diy_admin, tree["badung"])
    assert not Notification.objects.exists() and not AgencyChange.objects.exists()
    page = client.get(URL).content.decode()
    assert "Kabupaten Sleman" in page and "Kabupaten Badung" not in page


def test_the_figures(tree, national_admin, agency_admin, liaison, unit_admin, make_report):
    now = timezone.now()
    User.objects.filter(pk=agency_admin.pk).update(last_login=now - dt.timedelta(days=3))
    User.objects.filter(pk=liaison.pk).update(last_login=now - dt.timedelta(hours=2))
    # A deactivated admin of Dinkes counts neither as an admin nor with its login.
    gone = User.objects.create_user("lama@example.test", "x", is_staff=True, is_active=False, last_login=now)
    Membership.objects.create(user=gone, agency=tree["dinkes"], role=Role.AGENCY_ADMIN)
    waiting = [make_report() for _ in range(3)]
    set_due_at(Report.objects.filter(pk=waiting[0].pk), now - dt.timedelta(days=1))  # overdue
    Report.objects.filter(pk=waiting[1].pk).update(status=Status.COMPLETED, due_at=now - dt.timedelta(days=9))
    make_report(suggested_agency=tree["dinkes"])

    rows = {a.code: a for a in readiness.readiness(national_admin).filter(code__in=["pemkab-badung", "dinkes-badung"])}
    badung, dinkes = rows["pemkab-badung"], rows["dinkes-badung"]
    assert (badung.admins, badung.liaisons, badung.waiting, badung.overdue) == (1, 0, 2, 1)
    assert badung.admin_login == User.objects.get(pk=agency_admin.pk).last_login and badung.liaison_login is None
    assert (dinkes.admins, dinkes.liaisons, dinkes.waiting, dinkes.overdue) == (0, 1, 1, 0)
    assert dinkes.admin_login is None  # the deactivated admin's login does not count
    assert dinkes.liaison_login == User.objects.get(pk=liaison.pk).last_login


def test_the_filters_and_the_order(client, tree, parent_admin, agency_admin, liaison, make_report):
    for _ in range(3):
        make_report(suggested_agency=tree["dinkes"])
    make_report()
    assert "pemkab-badung" not in _codes(readiness.readiness(parent_admin, missing="no_admin"))
    assert "dinkes-badung" in _codes(readiness.readiness(parent_admin, missing="no_admin"))
    assert "dinkes-badung" not in _codes(readiness.readiness(parent_admin, missing="no_liaison"))
    assert _codes(readiness.readiness(parent_admin, waiting_over=1)) == {"dinkes-badung"}
    ordered = [a.code for a in readiness.readiness(parent_admin, order="waiting")[:2]]
    assert ordered == ["dinkes-badung", "pemkab-badung"]

    client.force_login(parent_admin)
    page = client.get(URL, {"kurang": "admin", "menunggu": "2", "urut": "menunggu"}).content.decode()
    assert "Dinas Kesehatan Kabupaten Badung" in page and "Kabupaten Badung</th>" not in page
    bad = client.get(URL, {"menunggu": "banyak"})
    assert bad.status_code == 400 and "dengan angka" in bad.content.decode()
    assert 'value="banyak"' in bad.content.decode()  # what was typed is kept


def test_the_reminder_goes_to_the_agency_admins_and_liaison(client, tree, parent_admin, agency_admin, make_report):
    badung_liaison = User.objects.create_user("lo.badung@example.test", "x", is_staff=True)
    Membership.objects.create(user=badung_liaison, agency=tree["badung"], role=Role.LIAISON_OFFICER)
    off = User.objects.create_user("off@example.test", "x", is_staff=True, is_active=False)
    Membership.objects.create(user=off, agency=tree["badung"], role=Role.AGENCY_ADMIN)
    make_report()
    client.force_login(parent_admin)
    response = client.post(URL, {"instansi": "pemkab-badung", "urut": "menunggu"})
    assert response.status_code == 302 and response["Location"].endswith("?urut=menunggu")
    sent = Notification.objects.filter(kind=readiness.REMINDER)
    assert {n.user_id for n in sent} == {agency_admin.pk, badung_liaison.pk}
    assert all("1 laporan menunggu" in n.subject and "?instansi=" in n.url for n in sent)
    change = AgencyChange.objects.get(action=AgencyChange.Action.REMIND)
    assert change.agency == tree["badung"] and change.by == parent_admin and change.data["waiting"] == 1
    assert audit.verify(audit.AGENCY_CHAIN).ok and audit.verify(audit.AGENCY_CHAIN).checked == 1


def test_an_agency_without_admins_reminds_the_admins_above_it(tree, national_admin, agency_admin, unit_admin):
    # Dinkes Badung has a unit admin but no agency admin or liaison officer: Badung's admin hears.
    readiness.remind(national_admin, tree["dinkes"])
    assert set(Notification.objects.values_list("user_id", flat=True)) == {agency_admin.pk}
    # With nobody to remind anywhere above, the reminder is refused and nothing is recorded.
    Membership.objects.filter(role=Role.AGENCY_ADMIN).delete()
    with pytest.raises(readiness.ReminderRefused, match="angkat admin"):
        readiness.remind(national_admin, tree["unit"])
    assert AgencyChange.objects.count() == 1


def test_once_per_agency_per_day(client, tree, national_admin, parent_admin, agency_admin, make_report):
    morning = timezone.make_aware(dt.datetime(2026, 3, 2, 8, 0), timezone.get_default_timezone())
    readiness.remind(parent_admin, tree["badung"], now=morning)
    with pytest.raises(readiness.ReminderRefused, match="sudah diingatkan hari ini pukul 08:00 oleh Admin Bali"):
        readiness.remind(national_admin, tree["badung"], now=morning + dt.timedelta(hours=15))
    readiness.remind(national_admin, tree["badung"], now=morning + dt.timedelta(hours=16))  # the next day
    assert Notification.objects.count() == 2 and AgencyChange.objects.count() == 2

    # On the page: today's reminder is refused with the reason, and the button is gone.
    make_report()
    client.force_login(national_admin)
    client.post(URL, {"instansi": "pemkab-badung"})
    response = client.post(URL, {"instansi": "pemkab-badung"}, follow=True)
    assert "sudah diingatkan hari ini" in response.content.decode()
    assert Notification.objects.filter(kind=readiness.REMINDER).count() == 3
    page = client.get(URL, {"kurang": "", "menunggu": "0"}).content.decode()
    assert "Sudah diingatkan hari ini" in page


def test_the_list_is_linked_for_coordinators_only(client, tree, national_admin, parent_admin, agency_admin):
    for user, shown in ((national_admin, True), (parent_admin, True), (agency_admin, False)):
        client.force_login(user)
        assert (URL in client.get(reverse("complaints:list")).content.decode()) is shown
        assert (URL in client.get(reverse("admin:complaints_report_changelist")).content.decode()) is shown


def test_english(client, tree, national_admin):
    client.force_login(national_admin)
    page = client.get("/en" + URL).content.decode()
    assert "Agency readiness" in page and "Active admins" in page


def test_constant_queries_however_many_agencies(client, tree, national_admin, django_assert_max_num_queries):
    client.force_login(national_admin)
    client.get(URL)  # warm the per-process caches (reference data, sessions)
    with django_assert_max_num_queries(12) as few:
        assert client.get(URL, {"urut": "menunggu"}).status_code == 200
    badung = tree["badung"]
    for i in range(60):
        unit = Agency.objects.create(code=f"uji-{i}", name=f"Unit Uji {i}", kind="unit", parent=badung)
        person = User.objects.create_user(f"u{i}@example.test", "x", is_staff=True, last_login=timezone.now())
        Membership.objects.create(user=person, agency=unit, role=Role.AGENCY_ADMIN)
        Membership.objects.create(user=person, agency=unit, role=Role.LIAISON_OFFICER)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(URL, {"urut": "menunggu", "kurang": "", "menunggu": "0"}).status_code == 200
