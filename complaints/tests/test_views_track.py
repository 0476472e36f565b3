from django.urls import reverse

from complaints.tests.portal import published

URL = reverse("complaints:track")


def test_tracking_a_public_report_opens_it(client, make_report, national_admin):
    report = published(make_report, national_admin)
    response = client.get(URL, {"no": f" {report.tracking_no.lower()} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("complaints:detail", args=[report.tracking_no])


def test_reporter_tracks_own_unverified_report(client, citizen, make_report):
    report = make_report()
    client.force_login(citizen)
    assert client.get(URL, {"no": report.tracking_no}).status_code == 302


def test_unverified_report_is_not_found_by_others(client, other_citizen, make_report):
    report = make_report()
    client.force_login(other_citizen)
    response = client.get(URL, {"no": report.tracking_no})
    assert response.status_code == 200 and "tidak ditemukan" in response.content.decode()
    assert client.get(reverse("complaints:detail", args=[report.tracking_no])).status_code == 404


def test_unknown_number_keeps_what_was_typed(client, db):
    response = client.get(URL, {"no": "ZZZZ2222"})
    html = response.content.decode()
    assert "tidak ditemukan" in html and 'value="ZZZZ2222"' in html
