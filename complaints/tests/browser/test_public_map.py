"""The public map of /laporan/ in a real browser (#18 items 3 and 6): LAPOR's trimmed Leaflet build
(static/vendor/leaflet, scripts/build_leaflet.sh) draws the server's cluster counts from peta.json
(a Rahasia report never counted), choosing a cluster — by mouse or by keyboard — zooms in until the
reports' pins are drawn, a pin leads to its report, and axe finds no serious WCAG 2.1 AA violation
with the map open. Tiles come from a closed port: the map works without them."""

from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.ui import WebDriverWait

from agencies.models import Region
from complaints import places
from complaints.tests.portal import published

from .conftest import axe_violations, click, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KUTA = (Decimal("-8.7200"), Decimal("115.1700"))
DEPOK = (Decimal("-7.7600"), Decimal("110.3900"))  # Sleman
PIN, CLUSTER = "#report-map-canvas .map-pin", "#report-map-canvas .map-cluster"


@pytest.fixture
def two_places(make_report, national_admin, settings, tree):
    """Three public reports in Kuta (one Anonim) and a Rahasia one there; two public ones in Sleman."""
    settings.LAPOR_MAP_TILE_URL = "http://127.0.0.1:9/{z}/{x}/{y}.png"
    badung, sleman = Region.objects.get(pk="51.03"), Region.objects.get(pk="34.04")

    def pinned(title, where, regency, n, **extra):
        lat, lng = where
        return published(
            make_report, national_admin, title=title, province=regency.parent, regency=regency,
            latitude=lat + Decimal(n) / 1000, longitude=lng + Decimal(n) / 1000, **extra,
        )  # fmt: skip

    made = {
        "kuta": [
            pinned("Lampu jalan mati di Kuta", KUTA, badung, 0),
            pinned("Selokan tersumbat di Kuta", KUTA, badung, 1),
            pinned("Trotoar rusak di Kuta", KUTA, badung, 2, is_anonymous=True),
        ],
        "rahasia": pinned("Pungutan liar di kantor desa", KUTA, badung, 3, is_confidential=True),
        "sleman": [
            pinned("Sekolah bocor di Depok", DEPOK, sleman, 0, suggested_agency=tree["sleman"]),
            pinned("Jalan licin di Depok", DEPOK, sleman, 1, suggested_agency=tree["sleman"]),
        ],
    }
    places.refresh_map_cells()  # beat's job: the country's view reads the grid
    return made


def clusters(driver) -> dict[str, str]:
    """{count shown: the cluster's accessible name} of the cluster markers drawn."""
    return {el.text: el.get_attribute("title") for el in driver.find_elements(By.CSS_SELECTOR, CLUSTER)}


def test_the_public_map_draws_clusters_then_pins_and_passes_axe(driver, live_app, two_places):
    driver.get(live_app.url + "/laporan/")
    opener = driver.find_element(By.CSS_SELECTOR, "[data-open-map]")
    click(driver, opener)
    wait_for(driver, lambda d: d.execute_script("return !!document.getElementById('report-map-canvas').leafletMap"))
    assert opener.get_attribute("aria-expanded") == "true"
    # The country's view: one cluster per place, from the server's counts; the Rahasia report is not counted.
    wait_for(driver, lambda d: set(clusters(d)) == {"3", "2"})
    assert clusters(driver)["3"] == "3 laporan di sekitar sini; pilih untuk memperbesar"
    assert "pilih angka untuk memperbesar" in driver.find_element(By.CSS_SELECTOR, "[data-map-status]").text
    # Only the trimmed build was loaded: no cluster plugin, no marker images, no full Leaflet.
    entries = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    loaded = [name for name in entries if name.startswith(live_app.url)]  # not the (unreachable) tiles
    assert any(name.endswith("/static/vendor/leaflet/leaflet-lapor.min.js") for name in loaded)
    assert not any("markercluster" in name or name.endswith((".png", "/leaflet.js")) for name in loaded)
    problems = axe_violations(driver)
    assert not problems, "\n".join(problems)

    # Kuta's cluster, chosen with the mouse, then (while still a cluster) from the keyboard: Enter on it.
    kuta = driver.find_element(By.CSS_SELECTOR, "#report-map-canvas .map-cluster[title^='3 ']")
    assert kuta.get_attribute("role") == "button" and kuta.get_attribute("tabindex") == "0"
    for attempt in range(8):
        if attempt == 0:
            click(driver, kuta)
        else:
            kuta.send_keys(Keys.ENTER)
        WebDriverWait(driver, 10).until(staleness_of(kuta))  # the answer of the zoomed-in view replaced it
        drawn = wait_for(
            driver, lambda d: d.find_elements(By.CSS_SELECTOR, PIN) or d.find_elements(By.CSS_SELECTOR, CLUSTER)
        )
        if driver.find_elements(By.CSS_SELECTOR, PIN):
            break
        assert "3" in [el.text for el in drawn]  # closer, still the three public ones together
        kuta = driver.find_element(By.CSS_SELECTOR, f"{CLUSTER}[title^='3 ']")
    pins = driver.find_elements(By.CSS_SELECTOR, PIN)
    titles = {pin.get_attribute("title") for pin in pins}
    assert titles == {r.title for r in two_places["kuta"]}  # never the Rahasia one
    problems = axe_violations(driver)
    assert not problems, "\n".join(problems)

    # A pin leads to its report (Enter on the focused pin, as a keyboard user would).
    anonim = two_places["kuta"][2]
    driver.find_element(By.CSS_SELECTOR, f"{PIN}[title='{anonim.title}']").send_keys(Keys.ENTER)
    wait_for(driver, lambda d: d.current_url.endswith(f"/laporan/{anonim.tracking_no}/"))


def test_a_view_too_wide_to_count_with_its_filter_says_so(driver, live_app, two_places, monkeypatch):
    """A text filter no grid counts, over more reports than the live count may read: no clusters, and
    the map's status line (aria-live) asks to zoom in or refine, as peta.json says."""
    monkeypatch.setattr(places, "MAP_LIVE_ROWS", 1)
    driver.get(live_app.url + "/laporan/?q=Kuta")
    click(driver, driver.find_element(By.CSS_SELECTOR, "[data-open-map]"))
    status = driver.find_element(By.CSS_SELECTOR, "[data-map-status]")
    wait_for(driver, lambda d: "Perbesar peta atau persempit saringan" in status.text)
    assert not driver.find_elements(By.CSS_SELECTOR, CLUSTER)
    assert status.get_attribute("aria-live") == "polite"


def test_the_heads_dashboard_map_draws_its_pins_with_the_same_build(
    driver, live_app, two_places, browser_login, head, national_admin, tree
):
    from complaints import workflow

    for report in two_places["kuta"]:
        workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    browser_login(head, next_path="/dasbor/")
    wait_for(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, ".staff-map-canvas .map-pin")) >= 3)
    titles = {el.get_attribute("title") for el in driver.find_elements(By.CSS_SELECTOR, ".staff-map-canvas .map-pin")}
    assert titles >= {r.title for r in two_places["kuta"]}
    assert not titles & {r.title for r in two_places["sleman"]}  # outside the head's scope
    entries = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert any(name.endswith("/static/vendor/leaflet/leaflet-lapor.min.js") for name in entries)
    problems = axe_violations(driver)
    assert not problems, "\n".join(problems)
