"""Bimtek in a real browser (#19 item 6): an admin opens a training sandbox for Badung with the
management command; a trainee signs in (password and second factor), finds the practice reports on
the practice dashboard, verifies, dispatches and answers one in the real admin, beside the agency's
SOP target, and sees the dashboard count it; the sandbox is closed and the report is gone. axe-core
checks every page the trainee visits."""

import pytest
from django.core.management import call_command
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from accounts.models import User
from agencies.models import Sandbox
from complaints import sop
from complaints.models import Report

from .conftest import axe_violations, click, wait_for, wait_for_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _accessible(driver) -> None:
    wait_for(driver, lambda d: d.execute_script("return document.readyState") == "complete")
    # The agency search boxes are named once the admin has built them (static/js/select2_labels.js).
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".select2-selection:not([aria-label])"))
    problems = axe_violations(driver)
    assert not problems, f"{driver.current_url}:\n" + "\n".join(problems)


def _act(driver, live_app, report, action) -> None:
    """Open the report's page, check it, and follow its action button to the action's form."""
    driver.get(f"{live_app.url}/admin/complaints/report/{report.pk}/change/")
    _accessible(driver)
    click(driver, driver.find_element(By.CSS_SELECTOR, f".lapor-actions a[href*='/action/{action}/']"))
    wait_for_path(driver, f"/admin/complaints/report/{report.pk}/action/{action}/")
    _accessible(driver)


def _send(driver, report) -> None:
    click(driver, driver.find_element(By.CSS_SELECTOR, "#content-main input[type=submit]"))
    wait_for_path(driver, f"/admin/complaints/report/{report.pk}/change/")


def test_a_trainee_works_one_practice_report_and_the_closed_sandbox_takes_it_away(
    driver, live_app, browser_login, agency_admin, tree
):
    trainee = User.objects.create_user("peserta@example.test", "lapor-test", full_name="Peserta Bimtek")
    call_command("open_sandbox", "pemkab-badung", "--trainee", "peserta@example.test:agency_admin", verbosity=0)
    box = Sandbox.objects.get(agency=tree["badung"])
    report = box.reports.filter(classification="complaint").order_by("pk").first()
    sop.set_target(agency_admin, tree["badung"], "complaint", 4)  # Badung's own target, shorter than the law's

    browser_login(User.objects.get(pk=trainee.pk), next_path="/kerja/latihan/")
    _accessible(driver)
    total = int(driver.find_element(By.CSS_SELECTOR, "[data-practice-total]").text)
    assert total == box.reports.count() > 1
    assert report.tracking_no in driver.find_element(By.TAG_NAME, "main").text

    # Verify: a complaint, marked normative.
    _act(driver, live_app, report, "verify")
    Select(driver.find_element(By.ID, "id_complaint_kind")).select_by_value("normative")
    _send(driver, report)
    # Dispatch to the sandbox's own agency, found through the admin's agency search.
    _act(driver, live_app, report, "dispatch")
    click(driver, driver.find_element(By.CSS_SELECTOR, "#id_to_agency + .select2 .select2-selection"))
    search = wait_for(driver, lambda d: d.find_element(By.CSS_SELECTOR, ".select2-search__field"))
    search.send_keys("Kabupaten Badung")
    option = wait_for(
        driver,
        lambda d: next(
            (o for o in d.find_elements(By.CSS_SELECTOR, ".select2-results__option") if o.text == tree["badung"].name),
            None,
        ),
    )
    option.click()  # in the open dropdown, without scrolling the page under it
    wait_for(driver, lambda d: d.find_element(By.ID, "id_to_agency").get_attribute("value") == str(tree["badung"].pk))
    for open_box in driver.find_elements(By.CSS_SELECTOR, ".select2-container--open .select2-search__field"):
        open_box.send_keys(Keys.ESCAPE)  # no copies: close whatever search the selection left open
    wait_for(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, ".select2-container--open"))
    _send(driver, report)
    # Beside the legal deadline on its page: Badung's own target, in Bali's time zone.
    page = driver.find_element(By.CSS_SELECTOR, ".lapor-internal-target").text
    assert "Target internal SOP instansi: 4 hari kerja" in page and "WITA" in page
    # Answer.
    _act(driver, live_app, report, "respond")
    driver.find_element(By.NAME, "note").send_keys("Antrean kini memakai nomor dan jadwal diumumkan. (latihan)")
    driver.find_element(By.NAME, "note").send_keys(Keys.TAB)
    _send(driver, report)
    assert Report.objects.get(pk=report.pk).status == "responded"

    # The practice dashboard counts it, and its queue shows the target beside the legal deadline.
    driver.get(live_app.url + "/kerja/latihan/")
    _accessible(driver)
    main = driver.find_element(By.TAG_NAME, "main").text
    assert "Ditanggapi" in main and "Peserta Bimtek" in main

    # The training ends: the sandbox goes whole, and with it the practice report and the dashboard.
    call_command("close_sandbox", "pemkab-badung", verbosity=0)
    assert not Report.objects.filter(pk=report.pk).exists() and not Sandbox.objects.exists()
    driver.get(f"{live_app.url}/admin/complaints/report/{report.pk}/change/")
    assert report.tracking_no not in driver.page_source
    driver.get(live_app.url + "/kerja/latihan/")
    assert "data-practice-total" not in driver.page_source
