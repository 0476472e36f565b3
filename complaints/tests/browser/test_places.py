"""Where it happened, in a real browser (#18): a citizen files by region only (the cascading district
and village selects) and by map pin only (Leaflet from static/vendor, tiles unreachable: the map still
works), and axe finds no serious violation on the form with the map open."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from complaints.models import Report

from .conftest import axe_violations, click, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def offline_tiles(settings):
    """Tiles from a closed loopback port: nothing leaves the machine, and the map must work without them."""
    settings.LAPOR_MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"


def _write(driver, fill, title):
    click(driver, driver.find_element(By.ID, "id_classification_0"))
    fill("title", title)
    fill("body", "Jembatan kayu di dekat balai banjar patah sejak banjir kemarin.")
    driver.execute_script("arguments[0].value = '2026-01-05'", driver.find_element(By.NAME, "event_date"))
    Select(driver.find_element(By.NAME, "category")).select_by_visible_text("Pelayanan Puskesmas")


def _options(driver, name):
    return [o.get_attribute("value") for o in Select(driver.find_element(By.NAME, name)).options]


def test_files_by_region_only_through_the_cascade(driver, live_app, areas, citizen, browser_login, fill):
    browser_login(citizen, next_path="/laporan/baru/")
    _write(driver, fill, "Jembatan rusak di Tuban")
    Select(driver.find_element(By.NAME, "province")).select_by_visible_text("Bali")
    Select(driver.find_element(By.NAME, "regency")).select_by_value("51.03")
    # The districts of Badung arrive from /laporan/wilayah/51.03/, then the villages of Kuta.
    wait_for(driver, lambda d: "51.03.01" in _options(d, "kecamatan"))
    assert len(_options(driver, "kecamatan")) == 7  # the empty choice and Badung's six districts
    # Screen readers hear that the list below changed (a polite live region, visually hidden).
    status = driver.find_element(By.ID, "areas-status")
    assert status.get_attribute("aria-live") == "polite"
    wait_for(driver, lambda d: status.get_attribute("textContent") == "Daftar kecamatan diperbarui: 6 pilihan.")
    Select(driver.find_element(By.NAME, "kecamatan")).select_by_value("51.03.01")
    wait_for(driver, lambda d: "51.03.01.1001" in _options(d, "kelurahan"))
    wait_for(driver, lambda d: status.get_attribute("textContent").startswith("Daftar kelurahan/desa diperbarui: "))
    Select(driver.find_element(By.NAME, "kelurahan")).select_by_value("51.03.01.1001")
    click(driver, driver.find_element(By.ID, "send-report"))
    wait_for(driver, lambda d: "/laporan/terkirim/" in d.current_url)
    report = Report.objects.get()
    assert (report.regency_id, report.kecamatan_id, report.kelurahan_id) == ("51.03", "51.03.01", "51.03.01.1001")
    assert report.latitude is None


def test_files_by_pin_only_and_the_form_with_the_map_passes_axe(
    driver, live_app, areas, citizen, browser_login, fill, offline_tiles
):
    browser_login(citizen, next_path="/laporan/baru/")
    _write(driver, fill, "Trotoar rusak di Malioboro")
    # No raw coordinate boxes: the pin's inputs are hidden.
    assert driver.find_element(By.NAME, "latitude").get_attribute("type") == "hidden"
    click(driver, driver.find_element(By.CSS_SELECTOR, "[data-open-map]"))
    wait_for(driver, lambda d: d.execute_script("return !!document.getElementById('place-map-canvas').leafletMap"))
    # Kota Yogyakarta, inland (no island: filled from the GeoNames towns of agencies/data/README.md):
    # keyboard users move the map and mark its centre (a real button).
    driver.execute_script("document.getElementById('place-map-canvas').leafletMap.setView([-7.7956, 110.3695], 14)")
    click(driver, driver.find_element(By.CSS_SELECTOR, "[data-pin-centre]"))
    wait_for(driver, lambda d: d.find_element(By.NAME, "regency").get_attribute("value") == "34.71")
    assert driver.find_element(By.NAME, "province").get_attribute("value") == "34"
    assert "Kota Yogyakarta" in driver.find_element(By.ID, "place-map-status").text
    problems = axe_violations(driver)
    assert not problems, "\n".join(problems)
    click(driver, driver.find_element(By.ID, "send-report"))
    wait_for(driver, lambda d: "/laporan/terkirim/" in d.current_url)
    report = Report.objects.get()
    assert (report.province_id, report.regency_id) == ("34", "34.71")
    assert abs(float(report.latitude) + 7.7956) < 0.001 and abs(float(report.longitude) - 110.3695) < 0.001
