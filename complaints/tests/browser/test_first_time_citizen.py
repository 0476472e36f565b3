"""A first-time citizen in a real browser (issue 20): the report reaches the regency's queue with the
default agency, the verification mail leads back to the unsent draft, the Anonim report says who sees
what, and the number tracks the fresh report while logged out. Staff see what a form requires."""

import re

import pytest
from django.core import mail
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from agencies.models import Agency, Membership
from complaints import access
from complaints.models import Report

from .conftest import click, wait_for, wait_for_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_new_visitor_files_with_the_default_agency_and_follows_the_report(driver, live_app, fill):
    driver.get(live_app.url + "/laporan/baru/")
    click(driver, driver.find_element(By.ID, "id_classification_0"))
    fill("title", "Antrean puskesmas mengular")
    fill("body", "Setiap pagi antrean sampai ke jalan, petugas pendaftaran hanya satu.")
    driver.execute_script("arguments[0].value = '2026-01-05'", driver.find_element(By.NAME, "event_date"))
    Select(driver.find_element(By.NAME, "province")).select_by_visible_text("Bali")
    Select(driver.find_element(By.NAME, "regency")).select_by_value("51.71")  # Kota Denpasar: no pilot rules
    Select(driver.find_element(By.NAME, "category")).select_by_visible_text("Pelayanan Puskesmas")
    agency = Select(driver.find_element(By.NAME, "agency"))
    assert agency.first_selected_option.get_attribute("value") == ""  # "let LAPOR! choose"
    click(driver, driver.find_element(By.NAME, "is_anonymous"))
    click(driver, driver.find_element(By.ID, "send-report"))

    # A new visitor registers on the way.
    wait_for_path(driver, "/akun/masuk/")
    click(driver, driver.find_element(By.LINK_TEXT, "Daftar sekarang"))
    wait_for_path(driver, "/akun/daftar/")
    fill("full_name", "Ni Luh Baru")
    fill("email", "niluh@example.test")
    fill("phone", "081399990000")
    fill("password1", "sandi-kuat-sekali")
    fill("password2", "sandi-kuat-sekali")
    click(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    # Registration answers the same for every address (#21 item 14): check your e-mail.
    wait_for_path(driver, "/akun/daftar/terkirim/")
    assert "Periksa e-mail Anda" in driver.page_source

    # She opens the link of the verification mail: it signs her in and leads back to the draft.
    link = re.search(r"https?://\S+/akun/verifikasi/\S+/", mail.outbox[-1].body).group(0)
    driver.get(link)
    wait_for_path(driver, "/laporan/baru/")
    assert "Laporan Anda belum terkirim" in driver.page_source
    assert driver.find_element(By.NAME, "title").get_attribute("value") == "Antrean puskesmas mengular"
    assert driver.find_element(By.NAME, "is_anonymous").is_selected()
    click(driver, driver.find_element(By.ID, "send-report"))
    number = wait_for(driver, lambda d: d.find_elements(By.ID, "tracking-no"))[0].text

    # It landed in the verification queue of Kota Denpasar's government.
    report = Report.objects.get(tracking_no=number)
    denpasar = Agency.objects.get(kind="regency", region_id="51.71")
    assert (report.agency, report.status, report.reporter.email) == (denpasar, "submitted", "niluh@example.test")
    from accounts.models import User

    admin = User.objects.create_user("denpasar@example.test", "x", full_name="Admin Denpasar", is_staff=True)
    Membership.objects.create(user=admin, agency=denpasar, role=Membership.Role.AGENCY_ADMIN)
    assert report in access.staff_reports(admin).filter(status="submitted")

    # Her page: who holds it and why, and what Anonim means.
    driver.get(f"{live_app.url}/laporan/{number}/")
    holder = driver.find_element(By.ID, "holding-agency").text
    assert "Pemerintah Kota Denpasar" in holder and "kabupaten/kota tempat kejadian" in holder
    assert driver.find_element(By.ID, "anonymous-badge").text == "Anonim"
    assert "instansi yang menangani tidak dapat melihatnya" in driver.find_element(By.ID, "anonymous-note").text

    # Logged out, the number still finds the fresh report: its status and steps, not its text.
    driver.delete_all_cookies()
    driver.get(live_app.url + "/laporan/lacak/")
    box = driver.find_element(By.NAME, "no")
    box.send_keys(number.lower())
    box.submit()
    wait_for_path(driver, f"/laporan/{number}/")
    assert "Belum Terverifikasi" in driver.find_element(By.ID, "report-status").text
    assert "Pemerintah Kota Denpasar" in driver.find_element(By.ID, "holding-agency").text
    assert "Laporan diterima" in driver.find_element(By.ID, "status-steps").text
    assert "Antrean puskesmas mengular" not in driver.page_source and "Ni Luh" not in driver.page_source


def test_verify_form_asks_for_the_complaint_kind_before_sending(
    driver, live_app, browser_login, make_report, national_admin
):
    report = make_report()
    browser_login(national_admin, next_path="/admin/")
    driver.get(f"{live_app.url}/admin/complaints/report/{report.pk}/action/verify/")
    kind = driver.find_element(By.ID, "id_complaint_kind")
    assert kind.get_attribute("required") == "true"
    assert "required" in driver.find_element(By.CSS_SELECTOR, "label[for=id_complaint_kind]").get_attribute("class")
    click(driver, driver.find_element(By.CSS_SELECTOR, "#content-main input[type=submit]"))
    # The browser stops the form and points at the field; nothing was sent.
    assert driver.execute_script("return arguments[0].validity.valueMissing", kind)
    assert driver.execute_script("return document.activeElement.id") == "id_complaint_kind"
    report.refresh_from_db()
    assert report.status == "submitted"
    # An aspiration needs no kind: switching the classification lifts the requirement.
    Select(driver.find_element(By.ID, "id_classification")).select_by_value("aspiration")
    assert kind.get_attribute("required") is None
    Select(driver.find_element(By.ID, "id_classification")).select_by_value("complaint")
    Select(kind).select_by_value("normative")
    click(driver, driver.find_element(By.CSS_SELECTOR, "#content-main input[type=submit]"))
    wait_for_path(driver, f"/admin/complaints/report/{report.pk}/change/")
    report.refresh_from_db()
    assert (report.status, report.complaint_kind) == ("verified", "normative")
