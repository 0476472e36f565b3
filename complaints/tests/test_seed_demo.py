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


def test_demo_reports_have_pins_in_their_regency_and_the_public_map_shows_only_public_ones(seeded, client):
    """`make run` shows a map: most demo reports have a pin near a town of their regency (some none);
    the country's view counts the public ones only (no Rahasia, no unverified), Anonim ones coarsened."""
    from complaints import places

    reports = Report.objects.select_related("regency")
    pinned = [r for r in reports if r.latitude is not None]
    assert 0 < len(pinned) < reports.count()
    for report in pinned:
        lat_min, lng_min, lat_max, lng_max = report.regency.box
        assert lat_min <= report.latitude <= lat_max and lng_min <= report.longitude <= lng_max, report
    assert {(r.is_anonymous, r.is_confidential) for r in pinned} == {
        (False, False), (True, False), (False, True), (True, True),
    }  # fmt: skip
    public = Report.objects.public().filter(latitude__isnull=False)
    assert public.filter(is_anonymous=True).exists()
    # The country's view counts exactly the public pins.
    country = client.get("/laporan/peta.json", {"bbox": "94,-11.5,141.5,6.5"}).json()
    assert sum(c["count"] for c in country["clusters"]) == public.count()
    # Street views around every pin: points, every public one, Rahasia ones never, Anonim ones coarsened.
    shown = {}
    for lat, lng in Report.objects.filter(latitude__isnull=False).values_list("latitude", "longitude"):
        box = f"{float(lng) - 0.01},{float(lat) - 0.01},{float(lng) + 0.01},{float(lat) + 0.01}"
        shown.update({p["id"]: p for p in client.get("/laporan/peta.json", {"bbox": box}).json()["points"]})
    assert set(shown) == set(public.values_list("tracking_no", flat=True))
    for report in Report.objects.filter(tracking_no__in=shown):
        assert report in public
        assert (shown[report.tracking_no]["lat"], shown[report.tracking_no]["lng"]) == places.public_point(report)
    assert any(r.is_anonymous for r in Report.objects.filter(tracking_no__in=shown))
    rahasia = Report.objects.filter(is_confidential=True, latitude__isnull=False)
    assert rahasia.exists() and not rahasia.filter(tracking_no__in=shown).exists()
