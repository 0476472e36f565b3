import datetime as dt

from django.urls import reverse
from django.utils import timezone

from agencies.models import Region
from complaints import workflow
from complaints.models import Category, Report
from complaints.tests.portal import published

URL = reverse("complaints:list")


def _titles(response):
    return [r.title for r in response.context["page"]]


def test_feed_shows_public_reports_newest_first(client, make_report, national_admin):
    published(make_report, national_admin, title="Pertama")
    published(make_report, national_admin, title="Kedua")
    make_report(title="Belum diverifikasi")
    assert _titles(client.get(URL)) == ["Kedua", "Pertama"]


def test_feed_filters_by_classification_and_status(client, make_report, national_admin, tree):
    published(make_report, national_admin, title="Aduan")
    asp = published(make_report, national_admin, title="Aspirasi", classification="aspiration")
    workflow.dispatch(asp, by=national_admin, to_agency=tree["badung"])
    assert _titles(client.get(URL, {"klasifikasi": "aspiration"})) == ["Aspirasi"]
    assert _titles(client.get(URL, {"status": "dispatched"})) == ["Aspirasi"]
    assert _titles(client.get(URL, {"status": "verified"})) == ["Aduan"]


def test_feed_category_filter_includes_its_subcategories(client, make_report, national_admin):
    child = Category.objects.filter(parent__isnull=False).order_by("pk").first()
    other = Category.objects.filter(parent__isnull=False).exclude(parent=child.parent).order_by("pk").first()
    published(make_report, national_admin, title="Anak", category=child)
    published(make_report, national_admin, title="Lain", category=other)
    assert _titles(client.get(URL, {"kategori": child.parent.code})) == ["Anak"]
    assert _titles(client.get(URL, {"kategori": child.code})) == ["Anak"]


def test_feed_filters_by_region(client, make_report, national_admin):
    sleman = Region.objects.get(code="34.04")
    published(make_report, national_admin, title="Badung")
    published(make_report, national_admin, title="Sleman", province=sleman.parent, regency=sleman)
    assert _titles(client.get(URL, {"provinsi": "34"})) == ["Sleman"]
    assert _titles(client.get(URL, {"kabupaten": "51.03"})) == ["Badung"]


def test_feed_agency_filter_includes_its_subtree(client, make_report, national_admin, tree):
    to_unit = published(make_report, national_admin, title="Dinkes")
    workflow.dispatch(to_unit, by=national_admin, to_agency=tree["dinkes"])
    to_sleman = published(make_report, national_admin, title="Sleman")
    workflow.dispatch(to_sleman, by=national_admin, to_agency=tree["sleman"])
    assert _titles(client.get(URL, {"instansi": tree["badung"].code})) == ["Dinkes"]
    assert _titles(client.get(URL, {"instansi": tree["sleman"].code})) == ["Sleman"]


def test_feed_filters_by_period(client, make_report, national_admin):
    old = published(make_report, national_admin, title="Lama")
    Report.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))
    published(make_report, national_admin, title="Baru")
    today = timezone.localdate()
    assert _titles(client.get(URL, {"dari": today - dt.timedelta(days=7)})) == ["Baru"]
    assert _titles(client.get(URL, {"sampai": today - dt.timedelta(days=30)})) == ["Lama"]


def test_feed_search_matches_title_and_body(client, make_report, national_admin):
    published(make_report, national_admin, title="Sampah menumpuk", body="Di pasar Kuta belum diangkut.")
    published(make_report, national_admin, title="Jalan rusak", body="Aspal mengelupas dekat sekolah.")
    assert _titles(client.get(URL, {"q": "sampah"})) == ["Sampah menumpuk"]
    assert _titles(client.get(URL, {"q": "sekolah"})) == ["Jalan rusak"]
    assert _titles(client.get(URL, {"q": "tidakada"})) == []


def test_bad_filter_value_is_shown_next_to_the_field(client, db):
    response = client.get(URL, {"dari": "kemarin"})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["dari"]
    assert "invalid-feedback" in response.content.decode()


def test_feed_pages_by_25_without_counting(client, make_report, national_admin, django_assert_max_num_queries):
    for i in range(26):
        published(make_report, national_admin, title=f"Laporan {i}")
    first = client.get(URL)
    assert len(first.context["page"]) == 25 and first.context["page"].has_next
    second = client.get(URL, {"page": 2})
    assert _titles(second) == ["Laporan 0"] and not second.context["page"].has_next
    with django_assert_max_num_queries(10) as captured:
        client.get(URL)
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


def test_feed_shows_reporter_as_display_name_or_anonim(client, make_report, national_admin, citizen):
    published(make_report, national_admin, title="Terbuka")
    published(make_report, national_admin, title="Rahasia identitas", is_anonymous=True)
    html = client.get(URL).content.decode()
    assert "Made" in html and "Anonim" in html
    assert citizen.email not in html and citizen.phone not in html and "Made Warga" not in html


def test_the_feeds_select_options_are_not_read_on_every_page(client, make_report, national_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("complaints:list"))  # fills the cache
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(reverse("complaints:list"), {"kabupaten": "51.03"}).content.decode()
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert 'FROM "complaints_category"' not in sql and 'FROM "agencies_agency"' not in sql
    assert sql.count('FROM "agencies_region"') <= 1  # only the submitted regency is checked
    assert 'value="51.03" selected' in html and "Badung" in html
