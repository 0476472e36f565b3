"""Headless Chromium fixtures for browser journeys (reusable by every browser test).

    driver            a Chrome session (one per test session; cookies cleared per test)
    phone             the same session at a phone's window size for one test
    live_app          pytest-django's live_server, with the reference data restored after the flush
    browser_login     browser_login(user, password="lapor-test") logs in through the real login form,
                      passing the second factor for staff (a fresh recovery code on the code page)
    fill              fill(name, value): type into a field by its name

Selenium never downloads anything: the driver binary is given explicitly (CHROMEDRIVER_BIN, else
/usr/bin/chromedriver) and so is the browser (CHROMIUM_BIN, else /usr/bin/chromium).
"""

import os
import shutil

import pytest
from django.core.management import call_command

CHROMIUM = os.environ.get("CHROMIUM_BIN") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = os.environ.get("CHROMEDRIVER_BIN") or shutil.which("chromedriver") or "/usr/bin/chromedriver"


def _missing() -> str:
    problems = [
        f"{label} not found at {path}"
        for label, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER))
        if not (os.path.isfile(path) and os.access(path, os.X_OK))
    ]
    try:
        import selenium  # noqa: F401
    except ImportError:
        problems.append("selenium is not installed")
    return "; ".join(problems)


def pytest_collection_modifyitems(config, items):
    reason = _missing()
    for item in items:
        if "browser" in item.keywords and reason:
            item.add_marker(
                pytest.mark.skip(reason=f"browser test skipped: {reason} (set CHROMIUM_BIN/CHROMEDRIVER_BIN)")
            )


@pytest.fixture(scope="session")
def _chrome(django_db_setup, live_server):
    # Quits before the live server stops (no keep-alive socket outlives it), and the live server stops
    # (closing its thread's database connection) before the test database is dropped.
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--window-size=1280,1000",
        "--lang=id-ID",
    ):
        options.add_argument(arg)
    # The console, so that a test can see what the Content-Security-Policy refused (test_csp.py).
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


@pytest.fixture
def driver(_chrome, live_app):
    _chrome.get(live_app.url + "/static/css/lapor.css")  # any page of the origin, to clear its cookies
    _chrome.delete_all_cookies()
    yield _chrome
    _chrome.get("about:blank")  # no request in flight while the live server stops


@pytest.fixture
def live_app(transactional_db, live_server, settings):
    """The live server, with the reference data. Transactional tests run after the others (pytest-django
    orders them so) and each one ends with a flush of every table: load the reference data again (the
    90,000 districts and villages only for the tests that ask for them with the `areas` fixture)."""
    call_command("load_reference", "--without-areas", verbosity=0)
    settings.SITE_URL = live_server.url
    # Rate-limit counters and throttles in a private cache: repeated runs never trip a shared Redis.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "browser"}}
    # Emptied for each test: the reference data was reloaded with new ids, so cached form choices are stale.
    from django.core.cache import cache

    cache.clear()
    return live_server


@pytest.fixture
def phone(driver):
    """The browser at a phone's size (412×915) for one test."""
    driver.set_window_size(412, 915)
    yield driver
    driver.set_window_size(1280, 1000)


def wait_for(driver, condition, timeout=10):
    """`condition` polled until it gives something truthy. An element the page replaced while the condition
    read it (select2 redraws its results list as the search answers) is asked again, not a failure."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException]).until(condition)


def wait_for_path(driver, path, timeout=10):
    from urllib.parse import urlsplit

    return wait_for(driver, lambda d: urlsplit(d.current_url).path == path, timeout)


def click(driver, element):
    """Scroll the element to the middle of the window, then click it (as a person would)."""
    driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", element)
    element.click()


@pytest.fixture
def fill(driver):
    from selenium.webdriver.common.by import By

    def fill(name, value):
        element = driver.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)
        return element

    return fill


@pytest.fixture
def browser_login(driver, live_app, fill):
    """browser_login(user) signs in through the login form and waits until it is done. Staff (and
    citizens who turned it on) then pass the second factor on the code page with a fresh recovery code."""
    from selenium.webdriver.common.by import By

    from accounts import otp
    from accounts.testing import recovery_code

    def login(user, password="lapor-test", next_path="/"):
        code = recovery_code(user) if otp.needs_second_factor(user) else None
        driver.get(f"{live_app.url}/akun/masuk/?next={next_path}")
        fill("username", user.email)
        fill("password", password)
        click(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        if code is not None:
            wait_for_path(driver, "/akun/dua-langkah/kode/")
            fill("token", code)
            click(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
        wait_for_path(driver, next_path)

    return login


AXE_SOURCE = os.path.join(os.path.dirname(__file__), "vendor", "axe-core", "axe.min.js")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def axe_violations(driver, impacts=("critical", "serious")) -> list[str]:
    """Run axe-core (vendored, see static/vendor/README.md) on the current page and return the WCAG 2.1
    A/AA violations of these impacts, one line each. Injected through WebDriver, not a <script> tag,
    so the site's Content-Security-Policy stays as strict as it is."""
    if not driver.execute_script("return !!window.axe"):
        with open(AXE_SOURCE, encoding="utf-8") as source:
            driver.execute_script(source.read())
    driver.set_script_timeout(30)
    violations = driver.execute_async_script(
        """const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
          .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(
                  n => n.target.join(" ") + " " + (n.failureSummary || "").replace(/\\s+/g, " "))}))))
          .catch(e => done([{id: "axe-error", impact: "critical", help: String(e), nodes: []}]));""",
        AXE_TAGS,
    )
    return [f"{v['id']} ({v['impact']}): {v['help']} — {v['nodes']}" for v in violations if v["impact"] in impacts]
