"""Districts and villages where staff enter a report for a citizen (#18 item 1): the admin's entry page
(/admin/complaints/report/catat/) has the citizen form's cascading choices — labelled selects that
follow the regency, a search that needs no JavaScript, a live region for the script's updates — and
the same check (places.check_areas), with the error at the choice at fault and the input kept."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from complaints.models import Category, Report

ENTRY = "admin:complaints_report_entry"


@pytest.fixture(autouse=True)
def _private_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "entry"}}
    cache.clear()


@pytest.fixture
def entry(client, agency_admin, areas):
    client.force_login(agency_admin)

    def post(path=None, **extra):
        data = {
            "channel": "walk_in",
            "reporter_name": "Wayan Datang",
            "classification": "complaint",
            "title": "Jembatan rusak di Tuban",
            "body": "Jembatan kayu di dekat balai banjar patah sejak banjir.",
            "event_date": "2026-01-10",
            "province": "",
            "regency": "",
            "category": Category.objects.get(code="kesehatan-puskesmas").pk,
            **extra,
        }
        return client.post(path or reverse(ENTRY), data)

    return post


def test_the_entry_page_has_labelled_cascading_choices_and_a_search_without_javascript(client, agency_admin, areas):
    client.force_login(agency_admin)
    html = client.get(reverse(ENTRY)).content.decode()
    # Each select has its label; the district and village lists start empty (never 84,000 villages).
    for name, label in (("kecamatan", "Kecamatan (opsional)"), ("kelurahan", "Kelurahan/desa (opsional)")):
        assert f'<label for="id_{name}">{label}:</label>' in html
        assert f'<select name="{name}" id="id_{name}"' in html
    assert html.count("<option") < 700
    assert 'name="search_place"' in html and 'for="id_place_q"' in html
    # The script's hooks: the fieldset it narrows and the live region it speaks through.
    assert 'class="module aligned place-fields" data-areas-url="/laporan/wilayah/KODE/"' in html
    assert 'aria-live="polite" data-areas-status' in html and "js/place_map.js" in html


def test_the_search_lists_matching_villages_and_keeps_the_input(entry):
    response = entry(place_q="tuban", search_place="1", title="Tetap di sini")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<option value="51.03.01.1001">Tuban — Kuta, Kabupaten Badung</option>' in html
    assert 'role="status" id="place-search-status"' in html  # announced to screen readers
    assert 'value="Tetap di sini"' in html
    assert "errorlist" not in html  # a search is not a submission: nothing is judged yet
    assert not Report.objects.exists()


def test_the_step_lists_the_districts_of_the_regency_and_villages_of_the_district(entry):
    html = entry(province="51", regency="51.03", kecamatan="51.03.01", search_place="1").content.decode()
    assert '<option value="51.03.02">Mengwi</option>' in html
    assert '<option value="51.03.01.1003">Kedonganan</option>' in html
    assert "51.03.02.2001" not in html


def test_a_village_alone_records_the_report_with_its_district_regency_and_province(entry, agency_admin):
    response = entry(kelurahan="51.03.01.1001")
    assert response.status_code == 302, response.context["form"].errors
    report = Report.objects.get()
    assert (report.province_id, report.regency_id, report.kecamatan_id, report.kelurahan_id) == (
        "51",
        "51.03",
        "51.03.01",
        "51.03.01.1001",
    )
    assert report.entered_by == agency_admin


def test_a_district_outside_the_regency_is_refused_at_the_district(entry):
    response = entry(province="51", regency="51.03", kecamatan="34.04.01", title="Tetap di sini")
    assert response.status_code == 200
    assert response.context["form"].errors["kecamatan"] == ["Kecamatan Gamping tidak berada di Kabupaten Badung."]
    assert 'value="Tetap di sini"' in response.content.decode()
    assert not Report.objects.exists()


def test_a_village_outside_the_district_is_refused_at_the_village(entry):
    response = entry(kecamatan="51.03.02", kelurahan="51.03.01.1001")
    assert response.context["form"].errors["kelurahan"] == ["Tuban tidak berada di Kecamatan Mengwi."]
    assert not Report.objects.exists()


def test_without_any_place_the_regency_is_asked_for(entry):
    errors = entry().context["form"].errors
    assert errors["regency"] == ["Pilih kabupaten/kota, atau cari kecamatan atau kelurahan/desa di bawah."]
    assert not Report.objects.exists()


def test_the_refusal_speaks_the_staff_members_language(entry):
    response = entry("/en/admin/complaints/report/catat/", kecamatan="51.03.02", kelurahan="51.03.01.1001")
    assert response.context["form"].errors["kelurahan"] == ["Tuban is not in the district of Mengwi."]


def test_the_citizen_form_announces_the_cascades_updates(client, areas):
    html = client.get("/laporan/baru/").content.decode()
    assert 'aria-live="polite" id="areas-status" data-areas-status' in html
    assert 'data-districts-label="Daftar kecamatan diperbarui: {n} pilihan."' in html
