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


def test_one_refused_address_does_not_hold_back_the_other_mails(citizen, other_citizen, monkeypatch):
    import pytest
    from django.core import mail

    from complaints import notifications
    from complaints.models import Notification

    rows = [
        Notification.objects.create(user=user, kind="verify", subject="Laporan", body="Isi")
        for user in (other_citizen, citizen)  # the refused one is the newest: tried first
    ]
    real = notifications.send_mail

    def refuse_the_first(subject, body, sender, to):
        if to == [citizen.email]:
            raise ConnectionRefusedError("mailbox refused")
        return real(subject, body, sender, to)

    monkeypatch.setattr(notifications, "send_mail", refuse_the_first)
    with pytest.raises(ConnectionRefusedError):  # raised after the others, so the task retries
        notifications.deliver([n.pk for n in rows])
    assert [m.to for m in mail.outbox] == [[other_citizen.email]]
    assert list(Notification.objects.filter(email_sent_at__isnull=True).values_list("pk", flat=True)) == [rows[1].pk]
