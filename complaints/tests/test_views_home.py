from django.core.cache import cache
from django.urls import reverse

from complaints.counters import HOME_COUNTERS_KEY
from complaints.tests.portal import published


def test_home_explains_lapor_and_links_to_the_report_form(client, db):
    cache.delete(HOME_COUNTERS_KEY)
    html = client.get(reverse("home")).content.decode()
    for step in ["Tulis Laporan", "Proses Verifikasi", "Proses Tindak Lanjut", "Beri Tanggapan", "Selesai"]:
        assert step in html
    assert 'href="/laporan/baru/"' in html


def test_home_lists_latest_public_reports_and_counts_them(client, make_report, national_admin):
    cache.delete(HOME_COUNTERS_KEY)
    published(make_report, national_admin, title="Lampu jalan padam")
    make_report(title="Belum diverifikasi")
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert "Lampu jalan padam" in html
    assert "Belum diverifikasi" not in html
    assert response.context["counters"]["reports"] == 1


def test_home_counters_are_cached_for_a_minute(client, make_report, national_admin, settings):
    settings.LAPOR_PAGE_CACHE_SECONDS = 0  # the counters' own cache, under the whole page's (lapor/page_cache.py)
    cache.delete(HOME_COUNTERS_KEY)
    client.get(reverse("home"))
    published(make_report, national_admin)
    assert client.get(reverse("home")).context["counters"]["reports"] == 0
    cache.delete(HOME_COUNTERS_KEY)
    assert client.get(reverse("home")).context["counters"]["reports"] == 1


def test_the_beat_refreshes_the_counters_so_no_visitor_counts(client, make_report, national_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from complaints.tasks import refresh_home_counters
    from lapor.celery import app

    cache.delete(HOME_COUNTERS_KEY)
    published(make_report, national_admin)
    assert refresh_home_counters.apply().get()["reports"] == 1
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("home"))
    assert response.context["counters"]["reports"] == 1
    assert not [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    schedule = {e["task"]: e["schedule"] for e in app.conf.beat_schedule.values()}
    assert schedule["complaints.tasks.refresh_home_counters"] == 60.0
