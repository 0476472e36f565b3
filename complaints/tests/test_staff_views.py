"""Staff pages: the overdue list (national admins and supervisors) and the notification list."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from agencies.models import District
from complaints import escalation
from complaints.models import Notification

WITA = ZoneInfo("Asia/Makassar")
pytestmark = pytest.mark.django_db
LATER = dt.datetime(2026, 3, 20, 10, tzinfo=WITA)


@pytest.fixture
def overdue_reports(make_report, tree, agency_admin):
    def make(n: int, agency=None):
        with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=WITA), tick=False):
            reports = [make_report(suggested_agency=agency or tree["badung"]) for _ in range(n)]
        with time_machine.travel(LATER, tick=False):
            escalation.run_clocks()
        return reports

    return make


@pytest.mark.parametrize("who", ["agency_admin", "head", "citizen", "unit_admin"])
def test_overdue_page_is_not_found_for_anybody_but_national_roles(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("staff:overdue")).status_code == 404


def test_overdue_page_needs_a_login(client):
    assert client.get(reverse("staff:overdue")).status_code == 302


@pytest.mark.parametrize("who", ["national_admin", "supervisor"])
def test_overdue_page_lists_late_reports_with_the_escalation_steps_taken(
    client, request, who, overdue_reports, make_report
):
    late = overdue_reports(1)[0]
    with time_machine.travel(LATER, tick=False):
        fresh = make_report(title="Baru masuk")
        client.force_login(request.getfixturevalue(who))
        page = client.get(reverse("staff:overdue")).content.decode()
    assert late.tracking_no in page and fresh.tracking_no not in page
    assert "Eskalasi ke admin nasional" in page and "Eskalasi ke instansi induk" in page


def test_overdue_page_filters_by_agency_code_and_explains_an_unknown_code(
    client, national_admin, overdue_reports, tree
):
    badung = overdue_reports(1)[0]
    sleman = overdue_reports(1, tree["sleman"])[0]
    client.force_login(national_admin)
    with time_machine.travel(LATER, tick=False):
        page = client.get(reverse("staff:overdue"), {"agency": "pemkab-sleman"}).content.decode()
        assert sleman.tracking_no in page and badung.tracking_no not in page
        page = client.get(reverse("staff:overdue"), {"agency": "pemprov-bali", "subtree": "on"}).content.decode()
        assert badung.tracking_no in page and sleman.tracking_no not in page
        page = client.get(reverse("staff:overdue"), {"agency": "tidak-ada"}).content.decode()
    assert "Instansi dengan kode ini tidak ditemukan." in page
    assert 'value="tidak-ada"' in page  # what was typed is kept


def test_overdue_page_filters_by_district_code(client, national_admin, make_report, areas):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=WITA), tick=False):
        kuta = make_report(title="Di Kuta", kecamatan=District.objects.get(pk="51.03.01"))
        mengwi = make_report(title="Di Mengwi", kecamatan=District.objects.get(pk="51.03.02"))
    client.force_login(national_admin)
    with time_machine.travel(LATER, tick=False):
        page = client.get(reverse("staff:overdue"), {"kecamatan": "51.03.02"}).content.decode()
        assert mengwi.tracking_no in page and kuta.tracking_no not in page
        page = client.get(reverse("staff:overdue"), {"kecamatan": "99.99.99"}).content.decode()
    assert "Kecamatan dengan kode ini tidak ditemukan." in page
    assert 'value="99.99.99"' in page


def test_overdue_page_queries_do_not_grow_with_reports(
    client, national_admin, overdue_reports, tree, django_assert_max_num_queries
):
    client.force_login(national_admin)
    limit = 14
    for n in (3, 9):
        overdue_reports(n if n == 3 else 6, tree["sleman"] if n == 9 else None)
        with time_machine.travel(LATER, tick=False), django_assert_max_num_queries(limit):
            response = client.get(reverse("staff:overdue"))
        assert response.status_code == 200


def test_notification_list_shows_only_my_rows_and_marks_them_read(
    client, agency_admin, parent_admin, overdue_reports, django_assert_max_num_queries
):
    overdue_reports(2)
    mine = Notification.objects.filter(user=agency_admin)
    assert mine.count() >= 2
    theirs = Notification.objects.filter(user=parent_admin).first()
    client.force_login(agency_admin)
    with django_assert_max_num_queries(8):
        page = client.get(reverse("staff:notifications")).content.decode()
    assert mine.first().subject in page
    client.post(reverse("staff:notification_read"), {"id": theirs.pk})
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post(reverse("staff:notification_read"), {"id": mine.first().pk})
    assert mine.filter(read_at__isnull=False).count() == 1
    client.post(reverse("staff:notification_read"), {"all": "1"})
    assert not mine.filter(read_at__isnull=True).exists()


def test_notification_list_queries_do_not_grow(client, agency_admin, overdue_reports, django_assert_max_num_queries):
    client.force_login(agency_admin)
    for n in (2, 8):
        overdue_reports(n)
        with django_assert_max_num_queries(8):
            assert client.get(reverse("staff:notifications")).status_code == 200


def test_notification_list_is_not_found_for_citizens(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("staff:notifications")).status_code == 404
