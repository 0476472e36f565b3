import pytest
from django.contrib.auth import authenticate

from accounts.models import normalize_phone


@pytest.mark.parametrize(
    "identifier", ["warga@example.test", "WARGA@example.test", "081234567890", "+6281234567890", "62 812-3456-7890"]
)
def test_citizen_logs_in_by_email_or_phone(citizen, identifier):
    assert authenticate(username=identifier, password="lapor-test") == citizen


@pytest.mark.parametrize("identifier", ["warga@example.test", "081234567890"])
def test_wrong_password_is_refused(citizen, identifier):
    assert authenticate(username=identifier, password="salah") is None


def test_unknown_and_inactive_users_are_refused(citizen):
    assert authenticate(username="tidakada@example.test", password="lapor-test") is None
    citizen.is_active = False
    citizen.save()
    assert authenticate(username="warga@example.test", password="lapor-test") is None


def test_phone_numbers_are_stored_in_one_form():
    assert normalize_phone("0812-3456-7890") == normalize_phone("+62 812 3456 7890") == "6281234567890"
