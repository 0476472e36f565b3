"""The public map of /laporan/ in a real browser (#18 items 3 and 6): LAPOR's own slippy map
(static/js/report_map.js, no library) draws the server's cluster counts from peta.json (a Rahasia
report never counted), choosing a cluster — by mouse or by keyboard — zooms in until the reports' pins
are drawn, a pin is a link to its report named by its title, the map pans and zooms by mouse, wheel,
buttons and keys, and axe finds no serious WCAG 2.1 AA violation with the map open. Tiles come from a
closed port: the map works without them. The staff maps (head's dashboard, admin report page) are drawn
by the same script."""

from decimal import Decimal

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.wheel_input import ScrollOrigin
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
CLOSED_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@pytest.fixture
def two_places(make_report, national_admin, settings, tree):
    """Three public reports in Kuta (one Anonim) and a Rahasia one there; two public ones in Sleman."""
    settings.LAPOR_MAP_TILE_URL = CLOSED_TILES
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
    """{count shown: the cluster's accessible name} of the cluster buttons in view (read in one script:
    a map answering a new view replaces them)."""
    return dict(
        driver.execute_script(
            "return [...document.querySelectorAll(arguments[0])].filter(b => !b.hidden)"
            ".map(b => [b.textContent, b.getAttribute('aria-label')])",
            CLUSTER,
        )
    )


def view(driver) -> dict:
    """The public map's zoom and the box it asks peta.json for ("west,south,east,north")."""
    return driver.execute_script(
        "const m = document.getElementById('report-map-canvas').reportMap; return {z: m.z, bbox: m.bbox()}"
    )


def requested(driver) -> list[str]:
    return driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name).filter(n => n.includes('peta.json'))"
    )


def open_map(driver, live_app, path="/laporan/"):
    driver.get(live_app.url + path)
    opener = driver.find_element(By.CSS_SELECTOR, "[data-open-map]")
    click(driver, opener)
    wait_for(driver, lambda d: d.execute_script("return !!document.getElementById('report-map-canvas').reportMap"))
    assert opener.get_attribute("aria-expanded") == "true"
    return opener


def test_the_public_map_draws_clusters_then_pins_and_passes_axe(driver, live_app, two_places):
    open_map(driver, live_app)
    # The country's view: one cluster per place, from the server's counts; the Rahasia report is not counted.
    wait_for(driver, lambda d: set(clusters(d)) == {"3", "2"})
    assert clusters(driver)["3"] == "3 laporan di sekitar sini; pilih untuk memperbesar"
    assert "pilih angka untuk memperbesar" in driver.find_element(By.CSS_SELECTOR, "[data-map-status]").text
    # No map library, no cluster plugin, no marker images: the page's own script drew it.
    entries = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    loaded = [name for name in entries if name.startswith(live_app.url)]  # not the (unreachable) tiles
    assert any(name.endswith("/static/js/report_map.js") for name in loaded)
    assert not any("leaflet" in name or "markercluster" in name or name.endswith(".png") for name in loaded)
    problems = axe_violations(driver)
    assert not problems, "\n".join(problems)

    # Kuta's cluster, chosen with the mouse, then (while still a cluster) from the keyboard: Enter on it.
    kuta = driver.find_element(By.CSS_SELECTOR, f"{CLUSTER}[title^='3 ']")
    assert kuta.tag_name == "button"
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
    assert {pin.accessible_name for pin in pins} == {r.title for r in two_places["kuta"]}  # never the Rahasia one
    assert {pin.tag_name for pin in pins} == {"a"}
    problems = axe_violations(driver)
    assert not problems, "\n".join(problems)

    # A pin leads to its report (Enter on the focused pin, as a keyboard user would).
    anonim = two_places["kuta"][2]
    driver.find_element(By.CSS_SELECTOR, f"{PIN}[title='{anonim.title}']").send_keys(Keys.ENTER)
    wait_for(driver, lambda d: d.current_url.endswith(f"/laporan/{anonim.tracking_no}/"))


def tab_until(driver, found, limit=12):
    """Press Tab from the focused element until `found(active element)`; returns that element."""
    for _ in range(limit):
        driver.switch_to.active_element.send_keys(Keys.TAB)
        active = driver.switch_to.active_element
        if found(active):
            return active
    raise AssertionError(f"not reached in {limit} Tab presses")


def test_the_public_map_works_from_the_keyboard_alone(driver, live_app, two_places):
    driver.get(live_app.url + "/laporan/")
    opener = driver.find_element(By.CSS_SELECTOR, "[data-open-map]")
    driver.execute_script("arguments[0].focus()", opener)
    opener.send_keys(Keys.ENTER)
    # The map takes the focus, named and described (how to move it) for a screen reader.
    canvas = wait_for(driver, lambda d: d.find_element(By.ID, "report-map-canvas"))
    wait_for(driver, lambda d: d.switch_to.active_element == canvas)
    assert canvas.accessible_name.startswith("Peta laporan publik")
    hint = driver.find_element(By.ID, canvas.get_attribute("aria-describedby"))
    assert hint.is_displayed() and "tombol panah" in hint.text
    wait_for(driver, lambda d: set(clusters(d)) == {"3", "2"})

    # Arrows pan (and the new box is asked for once the map stops), + and - zoom.
    start = view(driver)
    canvas.send_keys(Keys.ARROW_RIGHT, Keys.ARROW_RIGHT)
    moved = view(driver)
    assert moved["z"] == start["z"] and float(moved["bbox"].split(",")[0]) > float(start["bbox"].split(",")[0])
    wait_for(driver, lambda d: any(moved["bbox"] in name for name in requested(d)))
    canvas.send_keys(Keys.ARROW_LEFT, Keys.ARROW_LEFT, "+")
    assert view(driver)["z"] == start["z"] + 1
    canvas.send_keys("-")
    assert view(driver)["z"] == start["z"]
    wait_for(driver, lambda d: set(clusters(d)) == {"3", "2"})

    # Tab reaches the zoom buttons, then the clusters in reading order (Sleman lies north of Kuta).
    zoom_in = tab_until(driver, lambda el: el.tag_name == "button")
    assert zoom_in.accessible_name == "Perbesar peta"
    assert tab_until(driver, lambda el: True).accessible_name == "Perkecil peta"
    assert tab_until(driver, lambda el: True).accessible_name.startswith("2 laporan")
    kuta = tab_until(driver, lambda el: True)
    assert kuta.accessible_name.startswith("3 laporan")
    # Enter on a cluster zooms in and gives the focus back to the map, until the pins are links to reach.
    for _ in range(8):
        kuta.send_keys(Keys.ENTER)
        WebDriverWait(driver, 10).until(staleness_of(kuta))
        assert driver.switch_to.active_element == canvas
        wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, PIN) or clusters(d))
        reached = tab_until(driver, lambda el: "map-pin" in el.get_attribute("class") or el.text == "3")
        if reached.tag_name == "a":
            break
        kuta = reached
    assert reached.accessible_name in {r.title for r in two_places["kuta"]}
    report = next(r for r in two_places["kuta"] if r.title == reached.accessible_name)
    reached.send_keys(Keys.ENTER)
    wait_for(driver, lambda d: d.current_url.endswith(f"/laporan/{report.tracking_no}/"))


def test_without_tiles_the_map_still_pans_zooms_and_the_list_stays(driver, live_app, two_places):
    """The tile server refuses (a closed port): no broken images, the attribution is shown, and the map
    pans by dragging, zooms by the wheel and the buttons, and asks for each new box; the list is there."""
    open_map(driver, live_app)
    wait_for(driver, lambda d: set(clusters(d)) == {"3", "2"})
    tiles = driver.find_elements(By.CSS_SELECTOR, "#report-map-canvas .lmap-tiles img")
    assert tiles and all(t.get_attribute("src").startswith("http://127.0.0.1:9/5/") for t in tiles)
    wait_for(driver, lambda d: not any(t.is_displayed() for t in tiles))  # each failed tile left out
    attribution = driver.find_element(By.CSS_SELECTOR, "#report-map-canvas .lmap-attribution")
    assert attribution.is_displayed() and "OpenStreetMap" in attribution.text
    canvas = driver.find_element(By.ID, "report-map-canvas")

    start = view(driver)
    ActionChains(driver).drag_and_drop_by_offset(canvas, -200, 60).perform()  # dragging left shows the east
    dragged = view(driver)
    assert float(dragged["bbox"].split(",")[0]) > float(start["bbox"].split(",")[0])
    wait_for(driver, lambda d: any(dragged["bbox"] in name for name in requested(d)))
    ActionChains(driver).scroll_from_origin(ScrollOrigin.from_element(canvas), 0, -200).perform()
    wait_for(driver, lambda d: view(d)["z"] == start["z"] + 1)
    click(driver, driver.find_element(By.CSS_SELECTOR, "#report-map-canvas [aria-label='Perkecil peta']"))
    assert view(driver)["z"] == start["z"]
    wait_for(driver, lambda d: "3" in clusters(d))
    listed = {el.text for el in driver.find_elements(By.CSS_SELECTOR, ".list-group h2, .list-group h3, .list-group a")}
    assert any("Lampu jalan mati di Kuta" in text for text in listed)


def test_a_finger_pans_the_map_on_a_phone(phone, live_app, two_places):
    """A touch drag (pointer events; the map takes the gesture, not the page) moves the map and asks for
    the new box; a tap on a cluster still zooms in."""
    from selenium.webdriver.common.actions import interaction
    from selenium.webdriver.common.actions.action_builder import ActionBuilder
    from selenium.webdriver.common.actions.pointer_input import PointerInput

    open_map(phone, live_app)
    wait_for(phone, lambda d: "3" in clusters(d))
    canvas = phone.find_element(By.ID, "report-map-canvas")
    start, scrolled = view(phone), phone.execute_script("return window.scrollY")
    finger = ActionBuilder(phone, mouse=PointerInput(interaction.POINTER_TOUCH, "finger"))
    finger.pointer_action.move_to(canvas, 100, 100).pointer_down()
    for step in range(1, 6):  # up and to the left: the map shows more of the south-east, the page stays
        finger.pointer_action.move_to(canvas, 100 - 16 * step, 100 - 16 * step)
    finger.pointer_action.pointer_up()
    finger.perform()
    moved = view(phone)
    (west, south, *_), (west0, south0, *_) = (map(float, v["bbox"].split(",")) for v in (moved, start))
    assert west > west0 and south < south0
    assert phone.execute_script("return window.scrollY") == scrolled
    wait_for(phone, lambda d: any(moved["bbox"] in name for name in requested(d)))
    kuta = wait_for(phone, lambda d: d.find_element(By.CSS_SELECTOR, f"{CLUSTER}[title^='3 ']:not([hidden])"))
    tap = ActionBuilder(phone, mouse=PointerInput(interaction.POINTER_TOUCH, "finger"))
    tap.pointer_action.move_to(kuta).pointer_down().pointer_up()
    tap.perform()
    wait_for(phone, lambda d: view(d)["z"] > moved["z"])


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


def test_the_staff_maps_are_drawn_by_the_same_script(
    driver, live_app, two_places, browser_login, head, national_admin, tree
):
    """The head's dashboard: the scope's pins, each a link to its admin page, all in view; the admin's
    report page: its one pin, named by the title. No map library on either."""
    from complaints import workflow

    for report in two_places["kuta"]:
        workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    browser_login(head, next_path="/dasbor/")
    staff_pins = ".staff-map-canvas .map-pin"
    wait_for(
        driver, lambda d: len([el for el in d.find_elements(By.CSS_SELECTOR, staff_pins) if el.is_displayed()]) >= 3
    )
    pins = driver.find_elements(By.CSS_SELECTOR, staff_pins)
    assert {el.accessible_name for el in pins} >= {r.title for r in two_places["kuta"]}
    assert not {el.accessible_name for el in pins} & {r.title for r in two_places["sleman"]}  # outside the scope
    kuta = two_places["kuta"][0]
    link = next(el for el in pins if el.accessible_name == kuta.title)
    assert link.get_attribute("href").endswith(f"/admin/complaints/report/{kuta.pk}/change/")
    entries = driver.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert any(name.endswith("/static/js/report_map.js") for name in entries)
    assert not any("leaflet" in name for name in entries)
    problems = axe_violations(driver)
    assert not problems, "\n".join(problems)

    driver.get(f"{live_app.url}/admin/complaints/report/{kuta.pk}/change/")
    pin = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, staff_pins))
    wait_for(driver, lambda d: pin.is_displayed())
    assert pin.get_attribute("role") == "img" and pin.accessible_name == kuta.title
    assert driver.find_element(By.CSS_SELECTOR, ".staff-map-canvas .lmap-attribution").is_displayed()
