"""A confidential (Rahasia) report is seen only by its reporter and the staff handling it."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from complaints import workflow
from complaints.counters import HOME_COUNTERS_KEY
from complaints.tests.portal import published

TITLE = "Pungutan liar di kantor kecamatan"


@pytest.fixture
def secret(make_report, national_admin, tree):
    report = published(make_report, national_admin, title=TITLE, body="Petugas meminta uang.", is_confidential=True)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    return report


@pytest.fixture
def twin(make_report, national_admin, tree):
    """A public report the same filters find: the pages below must show it (not just hide the secret)."""
    report = published(make_report, national_admin, title="Pungutan liar di pasar desa", body="Petugas pasar.")
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    return report


def _client_for(client, request, who):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    return client


STRANGERS = ["anonymous", "other_citizen", "sibling_admin"]


@pytest.mark.parametrize("who", STRANGERS)
def test_confidential_report_is_404_for_strangers(client, request, who, secret):
    c = _client_for(client, request, who)
    assert c.get(reverse("complaints:detail", args=[secret.tracking_no])).status_code == 404


@pytest.mark.parametrize("who", ["citizen", "agency_admin", "parent_admin", "national_admin"])
def test_confidential_report_opens_for_reporter_and_handling_staff(client, request, who, secret):
    c = _client_for(client, request, who)
    response = c.get(reverse("complaints:detail", args=[secret.tracking_no]))
    assert response.status_code == 200 and TITLE in response.content.decode()


@pytest.mark.parametrize("who", [*STRANGERS, "citizen", "agency_admin"])
def test_confidential_report_never_in_feed_or_search(client, request, who, secret, twin):
    c = _client_for(client, request, who)
    for params in [{}, {"q": "pungutan"}, {"status": "dispatched"}, {"instansi": "pemkab-badung"}]:
        html = c.get(reverse("complaints:list"), params).content.decode()
        assert TITLE not in html and secret.tracking_no not in html
        assert twin.title in html and twin.tracking_no in html, params


@pytest.mark.parametrize("who", [*STRANGERS, "citizen"])
def test_confidential_report_not_on_home_or_in_its_counters(client, request, who, secret, twin):
    cache.delete(HOME_COUNTERS_KEY)
    c = _client_for(client, request, who)
    response = c.get(reverse("home"))
    assert TITLE not in response.content.decode() and twin.title in response.content.decode()
    assert response.context["counters"]["reports"] == 1


@pytest.mark.parametrize("who", STRANGERS)
def test_tracking_lookup_does_not_find_confidential_report_for_strangers(client, request, who, secret):
    c = _client_for(client, request, who)
    response = c.get(reverse("complaints:track"), {"no": secret.tracking_no})
    assert response.status_code == 200
    assert "tidak ditemukan" in response.content.decode()


@pytest.mark.parametrize("who", ["citizen", "agency_admin"])
def test_tracking_lookup_finds_confidential_report_for_reporter_and_staff(client, request, who, secret):
    c = _client_for(client, request, who)
    response = c.get(reverse("complaints:track"), {"no": secret.tracking_no.lower()})
    assert response.status_code == 302 and secret.tracking_no in response["Location"]


@pytest.mark.parametrize("who", ["other_citizen", "sibling_admin"])
def test_strangers_cannot_support_or_comment_on_confidential_report(client, request, who, secret):
    c = _client_for(client, request, who)
    assert c.post(reverse("complaints:support", args=[secret.tracking_no])).status_code == 404
    url = reverse("complaints:comment", args=[secret.tracking_no])
    assert c.post(url, {"comment-body": "x"}).status_code == 404


def test_confidential_report_attachments_404_for_strangers(client, other_citizen, make_report, national_admin):
    from complaints.tests.portal import png_upload
    from complaints.uploads import check_upload

    report = published(make_report, national_admin, is_confidential=True, attachments=[check_upload(png_upload())])
    url = reverse("complaints:attachment", args=[report.tracking_no, report.attachments.get().pk])
    assert client.get(url).status_code == 404
    client.force_login(other_citizen)
    assert client.get(url).status_code == 404


def test_is_public_and_the_public_queryset_agree(make_report, national_admin):
    from complaints.models import Report

    make_report(title="Belum diverifikasi")
    secret = make_report(title="Rahasia", is_confidential=True)
    shown = make_report(title="Terbuka")
    junk = make_report(title="Spam")
    for report in (secret, shown):
        workflow.verify(report, by=national_admin, complaint_kind="normative")
    workflow.remove(junk, by=national_admin, reason="spam")
    public = set(Report.objects.public().values_list("pk", flat=True))
    for report in Report.objects.all():
        assert report.is_public == (report.pk in public), report.title
    assert public == {shown.pk}
