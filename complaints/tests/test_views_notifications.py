from django.urls import reverse

from complaints.models import Notification
from complaints.tests.portal import published

URL = reverse("complaints:notifications")


def test_notifications_list_shows_my_notifications_newest_first(client, citizen, make_report, national_admin):
    published(make_report, national_admin)
    mine = list(Notification.objects.filter(user=citizen))
    assert mine  # the verification told the reporter
    client.force_login(citizen)
    response = client.get(URL)
    assert [n.pk for n in response.context["page"]] == [n.pk for n in mine]
    assert mine[0].subject in response.content.decode()


def test_notifications_list_does_not_show_other_users_rows(client, other_citizen, make_report, national_admin):
    published(make_report, national_admin)
    client.force_login(other_citizen)
    assert list(client.get(URL).context["page"]) == []


def test_unread_badge_and_mark_all_read(client, citizen, make_report, national_admin):
    published(make_report, national_admin)
    unread = Notification.objects.filter(user=citizen, read_at__isnull=True).count()
    client.force_login(citizen)
    html = client.get(reverse("home")).content.decode()
    assert f'{unread}<span class="visually-hidden"> belum dibaca' in html
    response = client.post(reverse("complaints:notifications_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=citizen, read_at__isnull=True).exists()
    assert "belum dibaca" not in client.get(reverse("home")).content.decode()


def test_notifications_need_login(client, db):
    assert client.get(URL).status_code == 302
    assert client.post(reverse("complaints:notifications_read")).status_code == 302
