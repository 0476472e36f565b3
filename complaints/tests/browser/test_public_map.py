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
    status = driver.find_element(By.CSS_SELECTOR, "[data-map-status]")
    wait_for(driver, lambda d: "Laporan di area peta ini: 3; tiap penanda adalah tautan ke laporannya." in status.text)
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
    # The marks drawn before "-" are marked, so that the wait below is for the last view's own answer:
    # an earlier view's marks also read {"3", "2"}, and its late redraw would take the focus away from
    # the cluster the Tab presses below have reached (stale elements, focus lost in CI).
    asked = sum(start["bbox"] in name for name in requested(driver))
    driver.execute_script("document.querySelectorAll(arguments[0]).forEach(b => { b.dataset.before = '1'; })", CLUSTER)
    canvas.send_keys("-")
    assert view(driver)["z"] == start["z"]
    wait_for(driver, lambda d: sum(start["bbox"] in name for name in requested(d)) > asked)
    wait_for(
        driver,
        lambda d: set(clusters(d)) == {"3", "2"} and not d.find_elements(By.CSS_SELECTOR, f"{CLUSTER}[data-before]"),
    )

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
    # The admin's column: 640 px and the borders (map.css, folded in from lapor_admin.css).
    assert driver.find_element(By.CSS_SELECTOR, ".staff-map-canvas").size["width"] <= 642
    problems = axe_violations(driver)
    assert not problems, "\n".join(problems)


@pytest.fixture
def fresh_answers(driver):
    """No peta.json from the browser's cache: each view the map asks for reaches the live server (the
    session's browser keeps answers for a minute, from earlier tests too)."""
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    yield driver
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
    driver.execute_cdp_cmd("Network.disable", {})


def status_text(driver) -> str:
    return driver.find_element(By.CSS_SELECTOR, "[data-map-status]").text


def lng_at(driver, x: float) -> float:
    """The longitude `x` CSS pixels from the map's left edge (linear in x in Web Mercator)."""
    west, _south, east, _north = map(float, view(driver)["bbox"].split(","))
    width = driver.execute_script("return document.getElementById('report-map-canvas').clientWidth")
    return west + (east - west) * x / width


def loads(driver, before: dict, zoom: int) -> dict:
    """Waits until the map is at `zoom`, has asked peta.json for its new box and says so in the status line
    (aria-live): the zoom level, then what the view holds. Returns the view."""
    wait_for(driver, lambda d: view(d)["z"] == zoom)
    now = view(driver)
    assert now["bbox"] != before["bbox"]
    wait_for(driver, lambda d: any(now["bbox"] in name for name in requested(d)))
    wait_for(driver, lambda d: status_text(d).startswith(f"Tingkat perbesaran {zoom}. "))
    assert driver.find_element(By.CSS_SELECTOR, "[data-map-status]").get_attribute("aria-live") == "polite"
    return now


def touch(driver, kind: str, *points: tuple[float, float]):
    """One touch event through the DevTools protocol (the browser makes the pointer events of it)."""
    touch_points = [{"x": x, "y": y, "id": n} for n, (x, y) in enumerate(points)]
    driver.execute_cdp_cmd("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})


def test_a_pinch_and_a_double_tap_zoom_the_map_on_a_phone(phone, live_app, two_places, fresh_answers):
    """Two fingers moving apart zoom in about their middle, moving together zoom out; a double tap zooms
    in one step about the tapped point. Each new view's box is asked for and the status line says so."""
    open_map(phone, live_app)
    wait_for(phone, lambda d: set(clusters(d)) == {"3", "2"})
    left, top, width, height = phone.execute_script(
        "const r = document.getElementById('report-map-canvas').getBoundingClientRect();"
        "return [r.left, r.top, r.width, r.height]"
    )
    # The middle of the fingers: right of and above the centre, away from the clusters and the controls.
    x, y = left + width / 2 + 60, top + height / 2 - 80
    start = view(phone)
    under = lng_at(phone, x - left)
    touch(phone, "touchStart", (x - 20, y), (x + 20, y))
    for step in range(1, 8):  # 40 px apart → 250 px apart
        touch(phone, "touchMove", (x - 20 - 15 * step, y), (x + 20 + 15 * step, y))
    touch(phone, "touchEnd")
    pinched = view(phone)
    assert pinched["z"] >= start["z"] + 2
    pinched = loads(phone, start, pinched["z"])
    assert abs(lng_at(phone, x - left) - under) < 0.05  # the place between the fingers stayed there
    assert status_text(phone) == f"Tingkat perbesaran {pinched['z']}. Tidak ada laporan di area peta ini."  # at sea

    touch(phone, "touchStart", (x - 120, y), (x + 120, y))
    for step in range(1, 8):  # and together again: 240 px → 30 px
        touch(phone, "touchMove", (x - 120 + 15 * step, y), (x + 120 - 15 * step, y))
    touch(phone, "touchEnd")
    closed = loads(phone, pinched, wait_for(phone, lambda d: view(d)["z"] < pinched["z"] and view(d)["z"]))

    under = lng_at(phone, x - left)
    for _ in range(2):
        touch(phone, "touchStart", (x, y))
        touch(phone, "touchEnd")
    loads(phone, closed, closed["z"] + 1)
    assert abs(lng_at(phone, x - left) - under) < 0.05  # zoomed about the tapped point


def test_a_double_click_zooms_in_about_the_point(driver, live_app, two_places, fresh_answers):
    """A double click on the map zooms in one step keeping the clicked place under the pointer, asks for
    the new box and says the level; on a cluster it is the cluster's own zoom, not the map's too."""
    open_map(driver, live_app)
    wait_for(driver, lambda d: set(clusters(d)) == {"3", "2"})
    canvas = driver.find_element(By.ID, "report-map-canvas")
    width = driver.execute_script("return arguments[0].clientWidth", canvas)
    start = view(driver)
    assert status_text(driver).startswith(f"Tingkat perbesaran {start['z']}. Angka di peta")
    under = lng_at(driver, width / 2 + 150)  # over Kalimantan: no cluster there
    ActionChains(driver).move_to_element_with_offset(canvas, 150, -100).double_click().perform()
    zoomed = loads(driver, start, start["z"] + 1)
    assert abs(lng_at(driver, width / 2 + 150) - under) < 0.05
    # Keys and buttons as before: one step each.
    canvas.send_keys("-")
    loads(driver, zoomed, start["z"])


@pytest.mark.parametrize(
    "failure, language",
    [("server error", "id"), ("no network", "en"), ("no answer in time", "id")],
)
def test_when_the_maps_reports_cannot_load_it_says_so_and_the_next_move_recovers(
    driver, live_app, two_places, fresh_answers, monkeypatch, failure, language
):
    """peta.json answers 500, cannot be reached, or takes longer than the map waits: the status line says
    the reports could not be loaded (in the page's language), the list below stays usable, and once the
    server answers again the next move of the map draws its reports."""
    import time

    answer = places.map_points
    broken = {"on": True}

    def failing(*args, **kwargs):
        if broken["on"]:
            if failure == "server error":
                raise RuntimeError("the database went away")
            time.sleep(2)
        return answer(*args, **kwargs)

    monkeypatch.setattr(places, "map_points", failing)
    if failure == "no network":
        driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": ["*peta.json*"]})
    prefix = "/en" if language == "en" else ""
    driver.get(f"{live_app.url}{prefix}/laporan/")
    driver.execute_script("LaporMap.timeout = 500")
    click(driver, driver.find_element(By.CSS_SELECTOR, "[data-open-map]"))
    failed = {
        "id": "Laporan untuk peta tidak dapat dimuat; geser atau perbesar peta untuk mencoba lagi, atau gunakan "
        "daftar di bawah.",
        "en": "The reports for the map could not be loaded; move or zoom the map to try again, or use the list below.",
    }[language]
    wait_for(driver, lambda d: status_text(d) == failed)
    assert not driver.find_elements(By.CSS_SELECTOR, CLUSTER)
    # The map itself still moves, and the list is there to use.
    canvas = driver.find_element(By.ID, "report-map-canvas")
    start = view(driver)
    canvas.send_keys("+")
    assert view(driver)["z"] == start["z"] + 1
    time.sleep(1)  # that view's request failed too (after the map's 150 ms pause, within 500 ms)
    assert status_text(driver) == failed
    # The server is back: the next move draws the view's reports and says so.
    broken["on"] = False
    driver.execute_cdp_cmd("Network.setBlockedURLs", {"urls": []})
    canvas.send_keys("-")
    zoom_text = "Zoom level" if language == "en" else "Tingkat perbesaran"
    wait_for(driver, lambda d: status_text(d).startswith(f"{zoom_text} {start['z']}. "))
    wait_for(driver, lambda d: set(clusters(d)) == {"3", "2"})
    report = two_places["kuta"][0]
    click(driver, driver.find_element(By.LINK_TEXT, report.title))
    wait_for(driver, lambda d: d.current_url.endswith(f"{prefix}/laporan/{report.tracking_no}/"))
