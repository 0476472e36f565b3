from django.urls import reverse

from complaints import workflow
from complaints.tests.portal import answered, published

URL = reverse("complaints:mine")


def test_my_reports_needs_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302 and "masuk" in response["Location"]


def test_my_reports_lists_only_my_reports_in_tabs(
    client, citizen, other_citizen, make_report, national_admin, agency_admin, tree
):
    make_report(title="Menunggu verifikasi")
    answered(make_report, national_admin, agency_admin, tree, title="Sudah dijawab")
    done = published(make_report, national_admin, title="Diarsipkan")
    workflow.archive(done, by=national_admin, reason="out_of_scope")
    make_report(title="Punya orang lain", by=other_citizen)
    client.force_login(citizen)

    def titles(tab):
        return [r.title for r in client.get(URL, {"tab": tab}).context["page"]]

    assert titles("semua") == ["Diarsipkan", "Sudah dijawab", "Menunggu verifikasi"]
    assert titles("menunggu") == ["Menunggu verifikasi"]
    assert titles("diproses") == ["Sudah dijawab"]
    assert titles("selesai") == ["Diarsipkan"]
    tabs = {slug: count for slug, _label, count in client.get(URL).context["tabs"]}
    assert tabs == {"semua": 3, "menunggu": 1, "diproses": 1, "selesai": 1}


def test_my_reports_shows_latest_events_agency_and_countdown(
    client, citizen, make_report, national_admin, agency_admin, tree
):
    answered(make_report, national_admin, agency_admin, tree)
    client.force_login(citizen)
    response = client.get(URL, {"tab": "diproses"})
    report = response.context["page"].object_list[0]
    assert [e.action for e in report.latest_events] == ["respond", "dispatch", "verify"]
    html = response.content.decode()
    assert tree["badung"].name in html and "Jalan sudah ditambal." in html
    assert "lagi" in html  # the reply window's countdown


def test_my_reports_shows_my_own_confidential_and_anonymous_reports(client, citizen, make_report):
    make_report(title="Rahasia saya", is_confidential=True, is_anonymous=True)
    client.force_login(citizen)
    html = client.get(URL).content.decode()
    assert "Rahasia saya" in html
