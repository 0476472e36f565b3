"""Brute force: django-axes locks an account and an address; other forms are throttled."""

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.core.cache import cache

from complaints.models import Comment

LOGIN = "/akun/masuk/"
ADMIN_LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """Throttle counters in a cache of this test's own (never clear a shared Redis)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "lock"}}
    settings.LAPOR_TRUSTED_PROXIES = ["127.0.0.1"]
    cache.clear()


def attempt(client, username, password, address="198.51.100.10", url=LOGIN):
    return client.post(url, {"username": username, "password": password}, HTTP_X_FORWARDED_FOR=address)


def test_wrong_passwords_lock_the_account_even_with_the_right_one(client, citizen, settings):
    settings.LAPOR_LOGIN_FAILURES_PER_ACCOUNT = 5
    for n in range(4):
        response = attempt(client, citizen.email, f"salah-{n}", address=f"198.51.100.{n}")
        assert response.status_code == 200 and "salah" in response.content.decode()
    # The fifth from yet another address, and by phone instead of e-mail: the same account's counter.
    locked = attempt(client, "+62 812-3456-7890", "salah-5", address="198.51.100.77")
    assert locked.status_code == 429
    assert "dikunci sementara" in locked.content.decode()
    right = attempt(client, citizen.email.upper(), "lapor-test", address="203.0.113.99")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_many_accounts_tried_from_one_address_lock_the_address(client, citizen, other_citizen, settings):
    settings.LAPOR_LOGIN_FAILURES_PER_ADDRESS = 6
    for n in range(6):
        attempt(client, f"nobody{n}@example.test", "salah", address="198.51.100.66")
    assert attempt(client, citizen.email, "lapor-test", address="198.51.100.66").status_code == 429
    # The account itself is not locked: from another address (behind the same proxy) it logs in.
    assert attempt(client, citizen.email, "lapor-test", address="198.51.100.67").status_code == 302


def test_a_few_mistakes_behind_a_carrier_nat_lock_nobody(client, citizen, other_citizen):
    for n in range(12):  # defaults: twelve people mistyping once each behind one address
        attempt(client, f"orang{n}@example.test", "salah", address="114.124.0.1")
    assert attempt(client, citizen.email, "lapor-test", address="114.124.0.1").status_code == 302


def test_the_admin_login_is_locked_too(client, agency_admin, settings):
    settings.LAPOR_LOGIN_FAILURES_PER_ACCOUNT = 3
    for _n in range(3):
        attempt(client, agency_admin.email, "salah", url=ADMIN_LOGIN)
    assert attempt(client, agency_admin.email, "lapor-test", url=ADMIN_LOGIN).status_code == 429
    assert attempt(client, agency_admin.email, "lapor-test").status_code == 429


def test_success_before_the_limit_clears_the_count(client, citizen, settings):
    settings.LAPOR_LOGIN_FAILURES_PER_ACCOUNT = 3
    attempt(client, citizen.email, "salah")
    attempt(client, citizen.email, "salah")
    assert attempt(client, citizen.email, "lapor-test").status_code == 302
    client.logout()
    attempt(client, citizen.email, "salah")
    attempt(client, citizen.email, "salah")
    assert attempt(client, citizen.email, "lapor-test").status_code == 302


def test_a_national_admin_unlocks(client, citizen, national_admin, agency_admin, settings):
    settings.LAPOR_LOGIN_FAILURES_PER_ACCOUNT = 2
    other = type(client)()
    for _n in range(2):
        attempt(other, citizen.email, "salah")
    assert attempt(other, citizen.email, "lapor-test").status_code == 429
    ids = list(AccessAttempt.objects.filter(username=citizen.email).values_list("pk", flat=True))
    assert ids
    client.force_login(agency_admin)
    assert client.get("/admin/axes/accessattempt/").status_code == 403
    client.force_login(national_admin)
    page = client.get("/admin/axes/accessattempt/").content.decode()
    assert citizen.email in page
    response = client.post("/admin/axes/accessattempt/", {"action": "unlock", "_selected_action": ids}, follow=True)
    assert "bisa masuk lagi" in response.content.decode()
    assert attempt(other, citizen.email, "lapor-test").status_code == 302


def test_password_reset_is_throttled_per_address_and_per_email(client, citizen, settings):
    settings.LAPOR_PASSWORD_RESET_RATE_USER = (2, 3600)
    for _n in range(2):
        assert client.post("/akun/sandi/lupa/", {"email": citizen.email}).status_code == 302
    refused = client.post("/akun/sandi/lupa/", {"email": citizen.email})
    assert refused.status_code == 429
    assert "Terlalu banyak percobaan" in refused.content.decode()
    assert len(mail.outbox) == 2
    settings.LAPOR_PASSWORD_RESET_RATE_IP = (2, 3600)  # two mails went out from this address
    assert client.post("/akun/sandi/lupa/", {"email": "lain@example.test"}).status_code == 429


def test_registration_is_throttled_per_address_and_keeps_the_answers(db, client, settings):
    settings.LAPOR_REGISTER_RATE_IP = (1, 3600)
    data = {
        "full_name": "Ni Luh Putu",
        "email": "putu@example.test",
        "phone": "081211112222",
        "password1": "sandi-kuat-sekali",
        "password2": "sandi-kuat-sekali",
    }
    assert client.post("/akun/daftar/", data).status_code == 302
    client.logout()
    refused = client.post("/akun/daftar/", {**data, "email": "kedua@example.test", "phone": "081233334444"})
    assert refused.status_code == 429
    assert 'value="kedua@example.test"' in refused.content.decode()


def test_comments_are_throttled_per_account(client, citizen, make_report, national_admin, tree, settings):
    from complaints import workflow

    report = make_report()
    workflow.verify(report, by=national_admin)
    settings.LAPOR_COMMENT_RATE_USER = (2, 600)
    client.force_login(citizen)
    url = f"/laporan/{report.tracking_no}/komentar/"
    for n in range(2):
        assert client.post(url, {"comment-body": f"Komentar {n}"}).status_code == 302
    refused = client.post(url, {"comment-body": "Komentar ketiga"})
    assert refused.status_code == 429
    assert "Komentar ketiga" in refused.content.decode()
    assert Comment.objects.count() == 2
