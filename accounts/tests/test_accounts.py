import re

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation

from accounts import verification
from accounts.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_cache(settings):
    """The resend throttle lives in a cache of this test's own (never clear a shared Redis)."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "acct"}}
    cache.clear()
    yield
    translation.activate(settings.LANGUAGE_CODE)  # a request to /en/ leaves English active in this thread


REGISTER = {
    "full_name": "Ni Luh Putu",
    "email": "Putu@Example.test",
    "phone": "0812-9999-0000",
    "nik": "",
    "password1": "sandi-kuat-sekali",
    "password2": "sandi-kuat-sekali",
}


def _field_error(html: str, field: str) -> bool:
    """The input is marked invalid and points at its error message."""
    tag = re.search(rf'<input[^>]*name="{field}"[^>]*>', html).group(0)
    return 'aria-invalid="true"' in tag and f"id_{field}_error" in tag and f'id="id_{field}_error"' in html


def _link(message) -> str:
    return re.search(r"https?://\S+/akun/verifikasi/\S+/", message.body).group(0)


def test_register_waits_for_the_address_then_signs_in_the_browser_that_registered(client):
    response = client.post(reverse("accounts:register"), REGISTER)
    assert response["Location"] == reverse("accounts:register_sent")
    user = User.objects.get(email="putu@example.test")
    assert not user.email_verified and not user.is_active and user.awaiting_verification
    assert (user.phone, user.pending_phone) == ("", "6281299990000")  # attached on verification
    assert "_auth_user_id" not in client.session  # not signed in before the address is verified
    page = client.get(response["Location"]).content.decode()
    assert "Periksa e-mail Anda" in page and "putu@example.test" in page
    assert len(mail.outbox) == 1 and "verifikasi" in mail.outbox[0].subject.lower()
    # Logging in with the new password tells nothing before the address is verified.
    login = client.post(reverse("accounts:login"), {"username": "putu@example.test", "password": REGISTER["password1"]})
    assert login.status_code == 200 and "_auth_user_id" not in client.session

    response = client.get(_link(mail.outbox[0]))
    user.refresh_from_db()
    assert user.email_verified and user.is_active and not user.awaiting_verification
    assert user.phone == "6281299990000"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert response["Location"] == reverse("accounts:profile")


def test_the_link_opened_in_another_browser_verifies_without_signing_in(client):
    client.post(reverse("accounts:register"), REGISTER)
    other = Client()
    response = other.get(_link(mail.outbox[0]))
    assert response["Location"] == reverse("accounts:login") and "_auth_user_id" not in other.session
    login = other.post(reverse("accounts:login"), {"username": "081299990000", "password": REGISTER["password1"]})
    assert login.status_code == 302  # by phone too, now that it is attached


def test_register_returns_to_next_after_verification(client):
    client.post(reverse("accounts:register") + "?next=/laporan/baru/", {**REGISTER, "next": "/laporan/baru/"})
    assert client.get(_link(mail.outbox[0]))["Location"] == "/laporan/baru/"


def test_register_refuses_an_offsite_next(client):
    client.post(reverse("accounts:register"), {**REGISTER, "next": "https://evil.example/"})
    assert client.get(_link(mail.outbox[0]))["Location"] == reverse("accounts:profile")


def _answer(client, data) -> tuple[int, str, bytes]:
    """The registration's answer as the visitor sees it: status, where it leads, the page there
    (CSRF tokens aside, which differ per request)."""
    response = client.post(reverse("accounts:register"), data)
    page = client.get(response["Location"]).content if response.status_code == 302 else response.content
    return response.status_code, response.get("Location", ""), re.sub(rb'value="[A-Za-z0-9]{64}"', b"", page)


@pytest.mark.parametrize(
    "taken",
    [
        {"email": "WARGA@example.test"},  # an address that has an account
        {"phone": "+62 812 3456 7890"},  # a phone another account holds (maybe an Anonim reporter's)
        {"email": "WARGA@example.test", "phone": "+62 812 3456 7890"},
    ],
)
def test_registration_answers_the_same_for_taken_and_free_addresses_and_phones(citizen, taken):
    """#21 item 14: byte for byte the same answer (CSRF token aside), a mail to the address either way."""
    free = {**REGISTER, "email": "baru1@example.test", "phone": "0813-1111-2222"}
    other = {**REGISTER, "email": "baru2@example.test", "phone": "0813-1111-3333", **taken}
    answers, mails = [], []
    for data in (free, other):
        mail.outbox.clear()
        status, location, page = _answer(Client(), data)
        # The page names the address typed: compare it with the address put back the same way.
        answers.append((status, location, page.replace(data["email"].lower().encode(), b"<email>")))
        mails.append([m.to for m in mail.outbox])
    assert answers[0][0] == 302 and answers[0] == answers[1]
    assert mails == [[["baru1@example.test"]], [[other["email"].lower()]]]
    citizen.refresh_from_db()
    assert citizen.full_name == "Made Warga" and citizen.check_password("lapor-test")  # untouched


def test_a_taken_address_gets_a_notice_not_a_second_account(client, citizen):
    client.post(reverse("accounts:register"), {**REGISTER, "email": "warga@example.test"})
    assert User.objects.filter(email__iexact="warga@example.test").count() == 1
    notice = mail.outbox[-1]
    assert notice.to == ["warga@example.test"] and "sudah memiliki akun" in notice.body
    assert reverse("accounts:password_reset") in notice.body and "/akun/verifikasi/" not in notice.body
    assert "_auth_user_id" not in client.session


def test_a_taken_phone_is_not_attached_and_the_verified_owner_is_told(client, citizen):
    client.post(reverse("accounts:register"), {**REGISTER, "phone": "+62 812 3456 7890"})
    user = User.objects.get(email="putu@example.test")
    response = client.get(_link(mail.outbox[-1]), follow=True)
    user.refresh_from_db()
    assert user.is_active and user.phone == "" and user.pending_phone == ""
    assert "sudah dipakai akun lain" in response.content.decode()
    citizen.refresh_from_db()
    assert citizen.phone == "6281234567890"


def test_an_unverified_registration_is_replaced_by_the_next_one(client):
    other = {**REGISTER, "full_name": "Orang Lain", "password1": "sandi-orang-lain", "password2": "sandi-orang-lain"}
    client.post(reverse("accounts:register"), other)
    first = _link(mail.outbox[-1])
    client.post(reverse("accounts:register"), REGISTER)
    user = User.objects.get(email="putu@example.test")
    assert user.full_name == "Ni Luh Putu" and user.check_password(REGISTER["password1"])
    assert Client().get(first).status_code == 400  # only the newest link verifies
    assert Client().get(_link(mail.outbox[-1])).status_code == 302


@pytest.mark.parametrize("nik", ["123", "12345678901234567", "12345678901234ab"])
def test_register_nik_must_be_16_digits(client, nik):
    response = client.post(reverse("accounts:register"), {**REGISTER, "nik": nik})
    html = response.content.decode()
    assert response.status_code == 200
    assert "NIK harus tepat 16 angka." in html
    assert _field_error(html, "nik")
    assert 'value="Ni Luh Putu"' in html  # nothing typed is lost
    assert not User.objects.filter(email="putu@example.test").exists()


def test_register_accepts_a_16_digit_nik_with_spaces(client):
    client.post(reverse("accounts:register"), {**REGISTER, "nik": "5103 0123 4567 8901"})
    assert User.objects.get(email="putu@example.test").nik == "5103012345678901"


def test_register_password_mismatch_is_shown_next_to_the_field(client):
    response = client.post(reverse("accounts:register"), {**REGISTER, "password2": "lain-sama-sekali"})
    html = response.content.decode()
    assert "Kedua kata sandi tidak sama." in html
    assert 'value="0812-9999-0000"' in html


def test_login_by_email_or_phone(client, citizen):
    page = client.get(reverse("accounts:login")).content.decode()
    assert "E-mail atau nomor telepon" in page
    for identifier in ["warga@example.test", "081234567890", "+6281234567890"]:
        response = client.post(reverse("accounts:login"), {"username": identifier, "password": "lapor-test"})
        assert response.status_code == 302, identifier
        client.logout()


def test_bad_login_keeps_the_identifier_and_explains(client, citizen):
    response = client.post(reverse("accounts:login"), {"username": "081234567890", "password": "salah"})
    html = response.content.decode()
    assert "kata sandi salah" in html
    assert 'value="081234567890"' in html


def test_logout_is_a_post(client, citizen):
    client.force_login(citizen)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_verification_link_verifies(client, citizen):
    response = client.get(reverse("accounts:verify_email", args=[verification.make_token(citizen)]))
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert citizen.email_verified


def test_verification_link_brings_the_citizen_back_to_their_unsent_report(client, citizen):
    """A visitor began a report, registered, then clicked the link in the mail: the report is not
    sent yet, so the link leads back to the restored form, saying so."""
    session = client.session
    session["report_draft"] = {"data": {"title": "Jalan rusak di Kuta"}, "files": []}
    session.save()

    def link():  # a link works once (#21 item 15): each visit gets a fresh one, as a resend would
        return reverse("accounts:verify_email", args=[verification.make_token(citizen)])

    # Logged out (another tab lost the session's login): through the login, then to the form.
    response = client.get(link())
    assert response["Location"] == "/akun/masuk/?next=%2Flaporan%2Fbaru%2F"
    client.force_login(citizen)
    session = client.session
    session["report_draft"] = {"data": {"title": "Jalan rusak di Kuta"}, "files": []}
    session.save()
    response = client.get(link(), follow=True)
    assert response.redirect_chain[-1][0] == "/laporan/baru/"
    html = response.content.decode()
    assert "Laporan Anda belum terkirim" in html and 'value="Jalan rusak di Kuta"' in html
    # Without a draft the link goes to the profile, as before.
    session = client.session
    del session["report_draft"]
    session.save()
    assert client.get(link())["Location"] == reverse("accounts:profile")


def test_tampered_verification_link_is_refused(client, citizen, other_citizen):
    token = verification.make_token(citizen)
    for bad in [token[:-2] + ("AA" if not token.endswith("AA") else "BB"), "garbage", token.replace(":", ";", 1)]:
        response = client.get(reverse("accounts:verify_email", args=[bad]))
        assert response.status_code == 400
        assert "tidak sah" in response.content.decode()
    citizen.refresh_from_db()
    assert not citizen.email_verified


def test_verification_link_for_an_old_address_is_refused(client, citizen):
    token = verification.make_token(citizen)
    citizen.email = "baru@example.test"
    citizen.save()
    assert client.get(reverse("accounts:verify_email", args=[token])).status_code == 400


def test_profile_shows_unverified_and_resends(client, citizen):
    client.force_login(citizen)
    html = client.get(reverse("accounts:profile")).content.decode()
    assert "belum terverifikasi" in html
    client.post(reverse("accounts:resend_verification"))
    client.post(reverse("accounts:resend_verification"))  # throttled: one mail a minute
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [citizen.email]


def test_a_failed_resend_says_so_and_may_be_retried_at_once(client, citizen, monkeypatch):
    def refused(user, request):
        raise ConnectionRefusedError("mail server down")

    client.force_login(citizen)
    monkeypatch.setattr(verification, "send_verification", refused)
    response = client.post(reverse("accounts:resend_verification"), follow=True)
    assert "E-mail verifikasi gagal dikirim." in response.content.decode()
    monkeypatch.undo()
    client.post(reverse("accounts:resend_verification"))  # not throttled: nothing was sent
    assert len(mail.outbox) == 1


def test_profile_edit_and_language_switch(client, citizen):
    client.force_login(citizen)
    data = {
        "full_name": "Made Warga Baru",
        "display_name": "Made",
        "phone": "081234567890",
        "nik": "",
        "language": "en",
    }
    response = client.post(reverse("accounts:profile"), data)
    assert response.status_code == 302
    assert response["Location"] == "/en/akun/profil/"
    assert response.cookies["django_language"].value == "en"
    citizen.refresh_from_db()
    assert (citizen.full_name, citizen.display_name, citizen.nik, citizen.language) == (
        "Made Warga Baru",
        "Made",
        "",
        "en",
    )


def test_profile_bad_input_keeps_values(client, citizen, other_citizen):
    other_citizen.phone = "6285700001111"
    other_citizen.save()
    client.force_login(citizen)
    data = {"full_name": "Nama Diketik", "display_name": "", "phone": "085700001111", "nik": "12", "language": "id"}
    html = client.post(reverse("accounts:profile"), data).content.decode()
    assert _field_error(html, "phone") and _field_error(html, "nik")
    assert 'value="Nama Diketik"' in html
    citizen.refresh_from_db()
    assert citizen.full_name == "Made Warga"


def test_login_uses_the_preferred_language(client, citizen):
    citizen.language = "en"
    citizen.save()
    response = client.post(
        reverse("accounts:login"), {"username": citizen.email, "password": "lapor-test", "next": "/akun/profil/"}
    )
    assert response["Location"] == "/en/akun/profil/"


def test_password_reset_mails_an_indonesian_link_that_works(client, citizen):
    response = client.post(reverse("accounts:password_reset"), {"email": "WARGA@example.test"})
    assert response["Location"] == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert "atur ulang kata sandi" in message.subject
    link = re.search(r"http://testserver(/akun/sandi/atur/\S+/)", message.body).group(1)
    page = client.get(link, follow=True)
    assert page.status_code == 200 and "Buat kata sandi baru" in page.content.decode()
    form_url = page.redirect_chain[-1][0]
    done = client.post(form_url, {"new_password1": "sandi-baru-kuat", "new_password2": "sandi-baru-kuat"})
    assert done["Location"] == reverse("accounts:password_reset_complete")
    citizen.refresh_from_db()
    assert citizen.check_password("sandi-baru-kuat")


def test_login_from_an_english_page_to_an_unprefixed_next(client, citizen):
    citizen.language = "en"
    citizen.save()
    response = client.post(
        "/en/akun/masuk/", {"username": citizen.email, "password": "lapor-test", "next": "/akun/profil/"}
    )
    assert response["Location"] == "/en/akun/profil/"


def test_registration_survives_a_mail_failure(client, monkeypatch):
    def broken(user, request=None):
        raise OSError("SMTP down")

    monkeypatch.setattr(verification, "send_verification", broken)
    response = client.post(reverse("accounts:register"), REGISTER, follow=True)
    assert User.objects.filter(email="putu@example.test").exists()
    assert "belum dapat dikirim" in response.content.decode()
    # Registering again (the page's advice) sends a fresh link for the same waiting account.
    monkeypatch.undo()
    client.post(reverse("accounts:register"), REGISTER)
    assert mail.outbox[-1].to == ["putu@example.test"] and "/akun/verifikasi/" in mail.outbox[-1].body
