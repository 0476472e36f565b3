"""The second factor: staff reach nothing with a password alone; enrolment, recovery codes, reset, opt-in."""

import io
import re

import pytest
from django.core.management import call_command
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import otp
from accounts.models import User
from accounts.testing import login_without_second_factor, verified_device

LOGIN = "/akun/masuk/"
CODE = "/akun/dua-langkah/kode/"
ENROL = "/akun/dua-langkah/aktifkan/"
SECURITY = "/akun/dua-langkah/"
STAFF = ["national_admin", "agency_admin", "unit_admin", "liaison", "head", "supervisor"]


def code_for(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time += offset
    return f"{totp.token():06d}"


@pytest.mark.parametrize("role", STAFF)
def test_a_staff_login_without_second_factor_reaches_nothing(client, request, role, make_report, tree):
    user = request.getfixturevalue(role)
    report = make_report()
    login_without_second_factor(client, user)
    pages = [
        "/admin/",
        "/admin/complaints/report/",
        f"/admin/complaints/report/{report.pk}/change/",
        "/kerja/terlambat/",
        "/kerja/ekspor/",
        "/dasbor/",
        f"/laporan/{report.tracking_no}/",
        "/laporan/",
        "/akun/profil/",
        "/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(ENROL + "?next="), page
    response = client.post("/admin/complaints/report/", {"action": "delete_selected", "_selected_action": [report.pk]})
    assert response.status_code == 302 and response["Location"].startswith(ENROL)
    # With an app enrolled, the same session is sent to the code page instead.
    verified_device(user)
    assert client.get("/admin/")["Location"] == CODE + "?next=%2Fadmin%2F"


def test_password_then_code_through_the_login_form(client, agency_admin):
    device = verified_device(agency_admin)
    response = client.post(LOGIN, {"username": agency_admin.email, "password": "lapor-test", "next": "/admin/"})
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response["Location"] == CODE + "?next=%2Fadmin%2F"
    assert client.get("/admin/").status_code == 302
    page = client.get(CODE + "?next=/admin/")
    assert "aplikasi autentikator" in page.content.decode()
    wrong = client.post(CODE, {"token": "000000" if code_for(device) != "000000" else "111111", "next": "/admin/"})
    assert wrong.status_code == 200
    assert "Kode salah atau sudah kedaluwarsa" in wrong.content.decode()
    assert client.get("/admin/").status_code == 302
    # A throttle after a failure: django-otp makes the next try wait (1 s, then doubling).
    device.refresh_from_db()
    device.throttle_reset()
    right = client.post(CODE, {"token": code_for(device), "next": "/admin/"})
    assert right["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_the_admin_login_asks_for_the_code_too(client, national_admin):
    verified_device(national_admin)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": national_admin.email, "password": "lapor-test", "next": "/admin/"}
    )
    assert response["Location"] == "/admin/"
    assert client.get("/admin/")["Location"] == CODE + "?next=%2Fadmin%2F"


def test_enrolment_with_qr_then_recovery_codes_each_working_once(client, head):
    login_without_second_factor(client, head)
    page = client.get(ENROL).content.decode()
    assert "<svg" in page and "otp-secret" in page
    device = TOTPDevice.objects.get(user=head, confirmed=False)
    assert client.post(ENROL, {"token": "12345"}).status_code == 200  # wrong code: the page again
    assert not TOTPDevice.objects.filter(user=head, confirmed=True).exists()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp makes the next try after a failure wait a second
    done = client.post(ENROL, {"token": code_for(device), "next": "/dasbor/"})
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", done.content.decode())
    assert len(codes) == otp.RECOVERY_CODES
    assert client.get("/dasbor/").status_code == 200
    # A new session: one recovery code opens it, and that code is spent.
    client.logout()
    login_without_second_factor(client, head)
    assert client.post(CODE, {"token": codes[0], "next": "/dasbor/"})["Location"] == "/dasbor/"
    client.logout()
    login_without_second_factor(client, head)
    assert client.post(CODE, {"token": codes[0], "next": "/dasbor/"}).status_code == 200
    assert StaticToken.objects.filter(device__user=head).count() == otp.RECOVERY_CODES - 1


def test_a_password_alone_cannot_replace_an_enrolled_app(client, agency_admin):
    verified_device(agency_admin)
    login_without_second_factor(client, agency_admin)
    assert client.get(ENROL)["Location"].startswith(CODE)
    assert client.post(ENROL, {"token": "123456"})["Location"].startswith(CODE)
    assert TOTPDevice.objects.filter(user=agency_admin).count() == 1


def test_new_recovery_codes_replace_the_old_ones(client, agency_admin):
    old = otp.new_recovery_codes(agency_admin)
    client.force_login(agency_admin)
    page = client.post(SECURITY, {"recovery": "1"}).content.decode()
    new = re.findall(r"<li>([a-z0-9]{8})</li>", page)
    assert len(new) == otp.RECOVERY_CODES and not set(new) & set(old)
    assert set(StaticToken.objects.filter(device__user=agency_admin).values_list("token", flat=True)) == set(new)


def test_a_national_admin_resets_a_lost_phone(client, national_admin, agency_admin, unit_admin):
    verified_device(agency_admin)
    otp.new_recovery_codes(agency_admin)
    staff_session = type(client)()
    staff_session.force_login(agency_admin)
    assert staff_session.get("/kerja/ekspor/").status_code == 200
    # Only a national admin may; an agency admin does not even see accounts.
    client.force_login(unit_admin)
    action = {"action": "reset_second_factor", "_selected_action": [agency_admin.pk]}
    assert client.post("/admin/accounts/user/", action).status_code in (403, 404, 302)
    assert TOTPDevice.objects.filter(user=agency_admin).exists()
    client.force_login(national_admin)
    response = client.post("/admin/accounts/user/", action, follow=True)
    assert "sudah diatur ulang" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=agency_admin).exists()
    assert not StaticToken.objects.filter(device__user=agency_admin).exists()
    # The open session lost its second factor at once: it must enrol a new app.
    assert staff_session.get("/kerja/ekspor/")["Location"].startswith(ENROL)


def test_a_citizen_may_opt_in_and_out(client, citizen):
    client.force_login(citizen)
    assert client.get("/akun/profil/").status_code == 200  # citizens are not asked by default
    assert "Aktifkan verifikasi dua langkah" in client.get(SECURITY).content.decode()
    device = otp.pending_device(citizen)
    client.post(ENROL, {"token": code_for(device)})
    client.logout()
    login_without_second_factor(client, citizen)
    assert client.get("/laporan/saya/")["Location"].startswith(CODE)
    device.refresh_from_db()
    assert client.post(CODE, {"token": code_for(device, offset=30), "next": "/laporan/saya/"})["Location"] == (
        "/laporan/saya/"
    )
    client.post(SECURITY, {"disable": "1"})
    assert not TOTPDevice.objects.filter(user=citizen).exists()
    client.logout()
    login_without_second_factor(client, citizen)
    assert client.get("/laporan/saya/").status_code == 200


def test_staff_cannot_switch_the_second_factor_off(client, agency_admin):
    client.force_login(agency_admin)
    client.post(SECURITY, {"disable": "1"})
    assert TOTPDevice.objects.filter(user=agency_admin, confirmed=True).exists()


def test_demo_staff_log_in_with_the_published_demo_code(tree, client):
    call_command("seed_demo", "--reports", "0", stdout=io.StringIO())
    out = io.StringIO()
    call_command("demo_otp", stdout=out)
    code = out.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    admin = User.objects.get(email="admin@lapor.test")
    client.post(LOGIN, {"username": admin.email, "password": "lapor-demo"})
    assert client.post(CODE, {"token": code, "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    citizen = User.objects.get(email="warga@lapor.test")
    assert not TOTPDevice.objects.filter(user=citizen).exists()
