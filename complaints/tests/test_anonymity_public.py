"""An anonymous reporter's identity never appears on a public page."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from complaints import workflow
from complaints.counters import HOME_COUNTERS_KEY
from complaints.tests.portal import answered


@pytest.fixture
def anon(make_report, national_admin, agency_admin, tree, citizen):
    citizen.display_name = "Dewa Bagus"
    citizen.save()
    report = answered(make_report, national_admin, agency_admin, tree, is_anonymous=True)
    workflow.accept(report, by=citizen, rating=1, comment="Tidak puas")
    return report


def _assert_no_identity(html, citizen):
    for secret in [citizen.email, citizen.full_name, "Made", citizen.phone, citizen.nik, "Dewa Bagus"]:
        assert secret not in html


@pytest.mark.parametrize("who", ["anonymous", "other_citizen", "agency_admin", "sibling_admin", "head"])
def test_anonymous_reporter_never_on_public_pages(client, request, who, anon, citizen):
    cache.delete(HOME_COUNTERS_KEY)
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    for url in [
        reverse("home"),
        reverse("complaints:list"),
        reverse("complaints:list") + "?q=jalan",
        reverse("complaints:detail", args=[anon.tracking_no]),
    ]:
        html = client.get(url).content.decode()
        assert anon.tracking_no in html
        assert "Anonim" in html or url == reverse("home")
        _assert_no_identity(html, citizen)


def test_anonymous_reporter_sees_own_name_only_on_own_pages(client, anon, citizen):
    client.force_login(citizen)
    html = client.get(reverse("complaints:detail", args=[anon.tracking_no])).content.decode()
    assert citizen.full_name in html
    html = client.get(reverse("complaints:list")).content.decode()
    assert "Anonim" in html and citizen.email not in html


def test_named_reporter_is_shown_by_display_name_only(client, make_report, national_admin, citizen):
    from complaints.tests.portal import published

    citizen.display_name = "Dewa Bagus"
    citizen.save()
    report = published(make_report, national_admin)
    html = client.get(reverse("complaints:detail", args=[report.tracking_no])).content.decode()
    assert "Dewa Bagus" in html
    assert citizen.email not in html and citizen.full_name not in html and citizen.phone not in html
