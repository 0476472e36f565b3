"""Under the strict Content-Security-Policy the pages still work in a real browser, and the browser
refuses nothing on them: the site's own scripts, the charts and the Django admin's widgets."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from complaints import workflow
from complaints.models import Report

from .conftest import wait_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _refusals(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]


def test_pages_and_admin_run_with_nothing_refused(driver, live_app, browser_login, national_admin, make_report):
    report = make_report()
    workflow.verify(report, by=national_admin)
    report = Report.objects.get(pk=report.pk)
    driver.get_log("browser")  # forget what earlier tests left
    browser_login(national_admin)
    pages = [
        "/",
        reverse("complaints:submit"),
        reverse("complaints:detail", args=[report.tracking_no]),
        reverse("dashboards:dashboard"),
        "/admin/",
        reverse("admin:complaints_report_changelist"),
        reverse("admin:complaints_report_change", args=[report.pk]),
        reverse("admin:complaints_report_action", args=[report.pk, "dispatch"]),
        reverse("admin:complaints_report_entry"),
    ]
    for path in pages:
        driver.get(live_app.url + path)
        wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete")
        assert not _refusals(driver), path
    # The admin's own scripts ran: the entry form's date widget has its calendar link.
    driver.get(live_app.url + reverse("admin:complaints_report_entry"))
    assert driver.find_elements(By.CSS_SELECTOR, ".datetimeshortcuts, .vDateField + span a, select")
    # The language switch submits itself from lapor.js (it had an inline onchange handler).
    driver.get(live_app.url + "/")
    Select(driver.find_element(By.ID, "lang-select")).select_by_value("en")
    wait_for(driver, lambda d: d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    assert not _refusals(driver)
