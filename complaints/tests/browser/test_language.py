"""A visitor switches the site to English and back to Indonesian with the header's language switch."""

from urllib.parse import urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from .conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def choose_language(driver, name):
    old = driver.find_element(By.TAG_NAME, "html")
    Select(driver.find_element(By.ID, "lang-select")).select_by_visible_text(name)  # sends the form (site.js)
    wait_for(driver, lambda d: old.id != d.find_element(By.TAG_NAME, "html").id)


def test_english_and_back_to_indonesian(driver, live_app):
    driver.get(live_app.url + "/laporan/baru/")
    switch = Select(driver.find_element(By.ID, "lang-select"))
    assert [o.text for o in switch.options] == ["Bahasa Indonesia", "English"]

    choose_language(driver, "English")
    assert urlsplit(driver.current_url).path == "/en/laporan/baru/"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    categories = [o.text for o in Select(driver.find_element(By.NAME, "category")).options]
    assert "Community health centre services" in categories
    assert [o.text for o in Select(driver.find_element(By.ID, "lang-select")).options] == [
        "Bahasa Indonesia",
        "English",
    ]

    choose_language(driver, "Bahasa Indonesia")
    assert urlsplit(driver.current_url).path == "/laporan/baru/"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "id"
    assert "Pelayanan Puskesmas" in [o.text for o in Select(driver.find_element(By.NAME, "category")).options]
