"""Browser journey (#16): while writing a report, the citizen sees the same problem already reported
nearby and supports it instead of filing it again; they follow it and no new report is filed."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from complaints.models import Follow, Report, Support
from complaints.tests.portal import published

from .conftest import axe_violations, click, wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_citizen_supports_the_existing_report_instead_of_filing(
    driver, live_app, browser_login, make_report, national_admin, other_citizen
):
    existing = published(
        make_report,
        national_admin,
        title="Jalan berlubang dekat pasar Mengwi",
        body="Lubang besar di jalan raya Mengwi membahayakan pengendara.",
    )
    before = Report.objects.count()
    browser_login(other_citizen, next_path=reverse("complaints:submit"))
    Select(driver.find_element(By.NAME, "province")).select_by_value("51")
    Select(driver.find_element(By.NAME, "regency")).select_by_value("51.03")
    driver.find_element(By.NAME, "title").send_keys("Lubang di jalan raya Mengwi")
    suggestion = wait_for(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "#duplicates .duplicate-suggestion"))
    assert existing.title in suggestion[0].text and "0 dukungan" in suggestion[0].text
    assert axe_violations(driver) == []
    click(driver, suggestion[0].find_element(By.CSS_SELECTOR, "button.support-instead"))
    wait_for(driver, lambda d: "kabar perkembangan laporan ini" in d.page_source)
    assert existing.tracking_no in driver.current_url
    assert Support.objects.filter(report=existing, user=other_citizen).exists()
    assert Follow.objects.filter(report=existing, user=other_citizen, via=Follow.Via.SUPPORT).exists()
    assert Report.objects.count() == before  # nothing filed twice
