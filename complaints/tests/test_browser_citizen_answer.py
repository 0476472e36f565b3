"""Browser journey: a citizen whose report was answered replies, then accepts the second answer."""

import os
import shutil

import pytest
from django.core.management import call_command
from django.urls import reverse

from agencies.models import Agency
from complaints import workflow
from complaints.models import Report, Status

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)) and not shutil.which("chromium"),
        reason="chromium/chromedriver are not installed",
    ),
]


@pytest.fixture
def reference_data(transactional_db):
    # A live-server test runs in a flushed database: load the reference data the cast needs.
    if not Agency.objects.filter(code="pemkab-badung").exists():
        call_command("load_reference", verbosity=0)


@pytest.fixture
def browser(reference_data):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in [
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--window-size=412,915",  # a phone
    ]:
        options.add_argument(arg)
    try:
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    except Exception as exc:  # no usable browser in this environment
        pytest.skip(f"cannot start headless Chromium: {exc}")
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def _click(browser, selector):
    element = browser.find_element("css selector", selector)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    element.click()


def _submit(browser, form_id, expect):
    """Submit a form and wait for the next page to say `expect`."""
    from selenium.webdriver.support.ui import WebDriverWait

    old = browser.find_element("css selector", "html")
    _click(browser, f"#{form_id} button[type=submit]")
    WebDriverWait(browser, 10).until(lambda d: d.find_element("css selector", "html") != old)
    WebDriverWait(browser, 10).until(lambda d: expect in d.page_source)


def test_citizen_replies_then_accepts_with_a_rating(
    browser, live_server, make_report, citizen, national_admin, agency_admin, tree
):
    from selenium.webdriver.common.by import By

    report = make_report()
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    workflow.respond(report, by=agency_admin, note="Jalan akan ditambal minggu depan.")

    browser.get(live_server.url + reverse("accounts:login"))
    browser.find_element(By.NAME, "username").send_keys(citizen.email)
    browser.find_element(By.NAME, "password").send_keys("lapor-test")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    browser.find_element(By.CSS_SELECTOR, "a[href$='/laporan/notifikasi/']")  # logged in

    page = live_server.url + reverse("complaints:detail", args=[report.tracking_no])
    browser.get(page)
    assert "Jalan akan ditambal minggu depan." in browser.page_source
    browser.find_element(By.ID, "id_reply-note").send_keys("Sudah seminggu, belum ditambal.")
    _submit(browser, "form-reply", "Tanggapan Anda terkirim.")
    assert Report.objects.get(pk=report.pk).status == Status.IN_PROGRESS
    assert not browser.find_elements(By.ID, "form-accept")

    workflow.respond(report, by=agency_admin, note="Sudah ditambal pada hari Senin.")
    browser.get(page)
    # Accepting without stars is refused next to the stars; the comment stays.
    browser.find_element(By.ID, "id_accept-comment").send_keys("Terima kasih, cepat.")
    _submit(browser, "form-accept", "accept-rating-error")
    assert "Beri penilaian 1 sampai 5 bintang." in browser.find_element(By.ID, "accept-rating-error").text
    assert browser.find_element(By.ID, "id_accept-comment").get_attribute("value") == "Terima kasih, cepat."

    _click(browser, "label[for='id_accept-rating_3']")  # 4 stars
    _submit(browser, "form-accept", "Terima kasih atas penilaian Anda.")
    report.refresh_from_db()
    assert (report.status, report.rating, report.rating_comment) == (Status.COMPLETED, 4, "Terima kasih, cepat.")
    assert "Selesai" in browser.find_element(By.CSS_SELECTOR, ".badge.status-completed").text
