"""A visitor reports a problem in a real browser, through the registration detour, and tracks it."""

import io
import re

import pytest
from django.core import mail
from PIL import Image
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from complaints import workflow
from complaints.models import Report

from .conftest import click, wait_for, wait_for_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "jalan-rusak.png"
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "gray").save(out, format="PNG")
    path.write_bytes(out.getvalue())
    return str(path)


def test_new_visitor_reports_through_registration_and_sees_the_tracking_number(driver, live_app, fill, photo):
    driver.get(live_app.url + "/laporan/baru/")
    click(driver, driver.find_element(By.ID, "id_classification_0"))
    fill("title", "Jalan rusak di depan SD")
    fill("body", "Lubang besar di Jl. Raya Kuta membahayakan anak sekolah.")
    driver.execute_script("arguments[0].value = '2026-01-05'", driver.find_element(By.NAME, "event_date"))
    Select(driver.find_element(By.NAME, "province")).select_by_visible_text("Bali")
    regency = Select(driver.find_element(By.NAME, "regency"))
    # With JavaScript the regency list shows only Bali's regencies.
    visible = driver.execute_script(
        "return Array.from(arguments[0].querySelectorAll('optgroup')).filter(g => !g.hidden).map(g => g.label)",
        driver.find_element(By.NAME, "regency"),
    )
    assert visible == ["Bali"]
    regency.select_by_value("51.03")
    Select(driver.find_element(By.NAME, "category")).select_by_visible_text("Pelayanan Puskesmas")
    # The agency search narrows the select as the visitor types (JSON endpoint, at most 20 results).
    fill("agency_q", "kesehatan badung")
    agency = driver.find_element(By.NAME, "agency")
    wait_for(driver, lambda d: len(Select(agency).options) > 1)
    Select(agency).select_by_visible_text("Dinas Kesehatan Kabupaten Badung")
    driver.find_element(By.NAME, "attachments").send_keys(photo)
    click(driver, driver.find_element(By.ID, "send-report"))

    # Sent to log in; the visitor has no account yet and registers.
    wait_for_path(driver, "/akun/masuk/")
    assert "Isian laporan Anda sudah kami simpan" in driver.page_source
    click(driver, driver.find_element(By.LINK_TEXT, "Daftar sekarang"))
    wait_for_path(driver, "/akun/daftar/")
    fill("full_name", "Kadek Pengunjung")
    fill("email", "kadek@example.test")
    fill("phone", "081311112222")
    fill("password1", "sandi-kuat-sekali")
    fill("password2", "sandi-kuat-sekali")
    click(driver, driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]"))
    # Check your e-mail (the same answer for every address); the link leads back, signed in.
    wait_for_path(driver, "/akun/daftar/terkirim/")
    driver.get(re.search(r"https?://\S+/akun/verifikasi/\S+/", mail.outbox[-1].body).group(0))

    # Back at the form, pre-filled; only the file must be chosen again.
    wait_for_path(driver, "/laporan/baru/")
    assert driver.find_element(By.NAME, "title").get_attribute("value") == "Jalan rusak di depan SD"
    assert "Lubang besar" in driver.find_element(By.NAME, "body").get_attribute("value")
    assert Select(driver.find_element(By.NAME, "regency")).first_selected_option.get_attribute("value") == "51.03"
    assert "jalan-rusak.png" in driver.find_element(By.ID, "reattach-notice").text
    assert (
        Select(driver.find_element(By.NAME, "agency")).first_selected_option.text == "Dinas Kesehatan Kabupaten Badung"
    )
    driver.find_element(By.NAME, "attachments").send_keys(photo)
    click(driver, driver.find_element(By.ID, "send-report"))

    number = wait_for(driver, lambda d: d.find_elements(By.ID, "tracking-no"))[0].text
    report = Report.objects.get(tracking_no=number)
    assert report.reporter.email == "kadek@example.test"
    assert report.title == "Jalan rusak di depan SD"
    assert list(report.attachments.values_list("original_name", flat=True)) == ["jalan-rusak.png"]
    assert report.suggested_agency.code == "dinkes-badung"


def test_report_is_tracked_by_its_number(driver, live_app, browser_login, make_report, citizen, national_admin):
    mine = make_report()
    public = make_report(title="Lampu jalan padam di Kuta")
    workflow.verify(public, by=national_admin)

    # A visitor finds a verified public report by its number; an unverified one shows its status only.
    driver.get(live_app.url + "/laporan/lacak/")
    box = driver.find_element(By.NAME, "no")
    box.send_keys(public.tracking_no.lower())
    box.submit()
    wait_for_path(driver, f"/laporan/{public.tracking_no}/")
    assert "Lampu jalan padam di Kuta" in driver.find_element(By.TAG_NAME, "h1").text

    driver.get(live_app.url + "/laporan/lacak/")
    box = driver.find_element(By.NAME, "no")
    box.send_keys(mine.tracking_no)
    box.submit()
    wait_for_path(driver, f"/laporan/{mine.tracking_no}/")
    assert "Belum Terverifikasi" in driver.find_element(By.ID, "report-status").text
    assert mine.title not in driver.page_source

    # Its reporter reads it all.
    browser_login(citizen)
    driver.get(live_app.url + "/laporan/lacak/")
    box = driver.find_element(By.NAME, "no")
    box.send_keys(mine.tracking_no)
    box.submit()
    wait_for_path(driver, f"/laporan/{mine.tracking_no}/")
    assert mine.title in driver.find_element(By.TAG_NAME, "h1").text
