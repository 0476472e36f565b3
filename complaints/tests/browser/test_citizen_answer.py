"""Browser journey: a citizen whose report was answered replies, then accepts the second answer."""

import pytest
from django.urls import reverse
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from complaints import workflow
from complaints.models import Report, Status

from .conftest import click

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _submit(browser, form_id, expect):
    """Submit a form and wait for the next page to say `expect`."""
    old = browser.find_element(By.CSS_SELECTOR, "html")
    click(browser, browser.find_element(By.CSS_SELECTOR, f"#{form_id} button[type=submit]"))
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, "html") != old)
    WebDriverWait(browser, 10).until(lambda d: expect in d.page_source)


def test_citizen_replies_then_accepts_with_a_rating(
    phone, live_app, browser_login, make_report, citizen, national_admin, agency_admin, tree
):
    browser = phone
    report = make_report()
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    workflow.respond(report, by=agency_admin, note="Jalan akan ditambal minggu depan.")

    browser_login(citizen)
    page = live_app.url + reverse("complaints:detail", args=[report.tracking_no])
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

    click(browser, browser.find_element(By.CSS_SELECTOR, "label[for='id_accept-rating_3']"))  # 4 stars
    _submit(browser, "form-accept", "Terima kasih atas penilaian Anda.")
    report.refresh_from_db()
    assert (report.status, report.rating, report.rating_comment) == (Status.COMPLETED, 4, "Terima kasih, cepat.")
    assert "Selesai" in browser.find_element(By.CSS_SELECTOR, ".badge.status-completed").text
