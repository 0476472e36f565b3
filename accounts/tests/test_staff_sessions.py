"""Staff sessions end after idle time (LAPOR_STAFF_IDLE_MINUTES) and when the password changes."""

import datetime as dt

import time_machine
from django.test import Client

START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def test_an_idle_staff_session_ends_and_activity_keeps_it(client, agency_admin, settings):
    settings.LAPOR_STAFF_IDLE_SECONDS = 30 * 60
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(agency_admin)
        assert client.get("/kerja/ekspor/").status_code == 200
        for _n in range(4):  # two hours of work, a request every 25 minutes
            clock.shift(dt.timedelta(minutes=25))
            assert client.get("/kerja/ekspor/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = client.get("/kerja/ekspor/", follow=True)
        assert response.redirect_chain[0][0].startswith("/akun/masuk/?next=")
        assert "lama tidak aktif" in response.content.decode()
        assert "_auth_user_id" not in client.session
    with time_machine.travel(START, tick=False):
        client.force_login(agency_admin)
        assert client.session.get_expiry_age() == 30 * 60 + 60 * 60  # then the stored session goes too


def test_citizen_sessions_have_no_idle_timeout(client, citizen, settings):
    settings.LAPOR_STAFF_IDLE_SECONDS = 30 * 60
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(citizen)
        clock.shift(dt.timedelta(hours=5))
        assert client.get("/laporan/saya/").status_code == 200


def test_a_password_change_ends_the_other_sessions(client, agency_admin, national_admin):
    client.force_login(agency_admin)
    assert client.get("/kerja/ekspor/").status_code == 200
    # The national admin sets a new password in the admin (or the owner resets it by e-mail).
    admin = Client()
    admin.force_login(national_admin)
    response = admin.post(
        f"/admin/accounts/user/{agency_admin.pk}/password/",
        {"password1": "sandi-baru-yang-kuat", "password2": "sandi-baru-yang-kuat"},
    )
    assert response.status_code == 302
    agency_admin.refresh_from_db()
    assert agency_admin.check_password("sandi-baru-yang-kuat")
    response = client.get("/kerja/ekspor/")
    assert response.status_code == 302 and response["Location"].startswith("/akun/masuk/")


def test_views_get_the_loaded_user_itself_with_its_second_factor_state(client, citizen, agency_admin):
    """accounts.middleware.loaded_user: after the staff-session check a view's request.user is the loaded
    user object, not Django's and django-otp's lazy wrappers (each read passed both), and it still says
    whether its second factor was given."""
    from django.contrib.auth.models import AnonymousUser
    from django.utils.functional import LazyObject

    from accounts.models import User
    from accounts.testing import login_without_second_factor

    request = client.get("/laporan/").wsgi_request
    assert type(request.user) is AnonymousUser and not request.user.is_verified()
    client.force_login(citizen)
    request = client.get("/laporan/saya/").wsgi_request
    assert type(request.user) is User and request.user.pk == citizen.pk and not request.user.is_verified()
    client.force_login(agency_admin)  # with its second factor (the tests' force_login)
    request = client.get("/kerja/ekspor/").wsgi_request
    assert type(request.user) is User and request.user.pk == agency_admin.pk and request.user.is_verified()
    staff = Client()
    login_without_second_factor(staff, agency_admin)  # still sent to the second factor
    response = staff.get("/kerja/ekspor/")
    assert response.status_code == 302 and "/akun/" in response["Location"]
    assert not isinstance(response.wsgi_request.user, LazyObject) and not response.wsgi_request.user.is_verified()
