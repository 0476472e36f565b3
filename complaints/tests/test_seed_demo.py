import pytest
from django.core.management import call_command

from accounts.models import User
from agencies.models import Membership
from complaints.models import Classification, Event, Report, Status

DEMO_LOGINS = {
    "admin@lapor.test": ("kemenpanrb", "national_admin"),
    "badung@lapor.test": ("pemkab-badung", "agency_admin"),
    "dinkes.badung@lapor.test": ("dinkes-badung", "unit_admin"),
    "pimpinan.badung@lapor.test": ("pemkab-badung", "head"),
}


@pytest.fixture
def seeded(db):
    call_command("seed_demo", verbosity=0)


def test_demo_accounts_log_in_with_the_demo_password(seeded, client):
    for email in [*DEMO_LOGINS, "warga@lapor.test"]:
        assert client.login(username=email, password="lapor-demo"), email
        client.logout()


def test_demo_staff_have_the_documented_roles(seeded):
    for email, (agency, role) in DEMO_LOGINS.items():
        assert Membership.objects.filter(user__email=email, agency__code=agency, role=role).exists(), email
    assert not Membership.objects.filter(user__email="warga@lapor.test").exists()


def test_demo_covers_every_status_classification_and_flag_combination(seeded):
    reports = Report.objects.all()
    assert reports.count() >= 60
    assert set(reports.values_list("status", flat=True)) == set(Status.values)
    assert set(reports.values_list("classification", flat=True)) == set(Classification.values)
    combos = set(reports.values_list("is_anonymous", "is_confidential"))
    assert combos == {(False, False), (True, False), (False, True), (True, True)}
    assert reports.values("agency").distinct().count() >= 4
    # Every report has its history written by the workflow, starting with its submission.
    assert Event.objects.filter(action="submit").count() == reports.count()


def test_running_twice_duplicates_nothing(seeded):
    counts = (User.objects.count(), Membership.objects.count(), Report.objects.count(), Event.objects.count())
    call_command("seed_demo", verbosity=0)
    assert (User.objects.count(), Membership.objects.count(), Report.objects.count(), Event.objects.count()) == counts


def test_demo_has_one_agency_in_training_that_the_public_never_sees(seeded, client):
    from agencies.models import Sandbox

    box = Sandbox.objects.get()
    assert box.agency.code == "pemkab-sekadau" and box.reports.count() >= 10
    assert set(box.seats.values_list("user__email", flat=True)) == {
        "latihan.sekadau@lapor.test",
        "latihan.dinkes.sekadau@lapor.test",
        "sekadau@lapor.test",
    }
    assert not Report.objects.public().filter(sandbox=box).exists()
    assert client.login(username="latihan.sekadau@lapor.test", password="lapor-demo")
