"""The operators' report list reads on a laptop: at 1280×800 and 1366×768 the tracking number, title,
agency, status and due date are on screen, and titles are not squeezed to a word per line."""

import pytest
from selenium.webdriver.common.by import By

from complaints import workflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Jalan berlubang di depan puskesmas membahayakan pengendara motor"
COLUMNS = ["tracking_no", "title", "handling_agency", "status_badge", "due"]


@pytest.fixture
def queue(make_report, national_admin, agency_admin, tree):
    for n in range(3):
        report = make_report(title=f"{TITLE} {n}")
        workflow.verify(report, by=national_admin)
        if n:
            workflow.dispatch(report, by=agency_admin, to_agency=tree["dinkes"])


def layout(driver) -> dict:
    """Where each column of the first row is, and how many lines its title takes."""
    return driver.execute_script(
        """const row = document.querySelector("#result_list tbody tr");
        const box = name => row.querySelector(".field-" + name).getBoundingClientRect();
        const link = row.querySelector(".field-title a");
        const lineHeight = parseFloat(getComputedStyle(link).lineHeight) || 16;
        return {
          viewport: document.documentElement.clientWidth,
          scrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth,
          columns: Object.fromEntries(
            arguments[0].map(n => [n, {left: box(n).left, right: box(n).right, width: box(n).width}])),
          titleLines: Math.round(link.getBoundingClientRect().height / lineHeight),
        };""",
        COLUMNS,
    )


@pytest.mark.parametrize("width,height", [(1280, 800), (1366, 768)])
def test_admin_queue_fits_a_laptop_screen(driver, live_app, browser_login, agency_admin, queue, width, height):
    browser_login(agency_admin)
    driver.set_window_size(width, height)
    try:
        driver.get(live_app.url + "/admin/complaints/report/")
        assert len(driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr")) == 3
        seen = layout(driver)
        assert not seen["scrolls"], seen
        for name, box in seen["columns"].items():
            assert box["left"] >= 0 and box["right"] <= seen["viewport"], (name, seen)
        assert seen["columns"]["title"]["width"] >= 250, seen
        assert seen["titleLines"] <= 2, seen  # 9 words: a word per line would be 9 lines
    finally:
        driver.set_window_size(1280, 1000)
