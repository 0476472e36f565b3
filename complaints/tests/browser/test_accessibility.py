"""WCAG 2.1 AA: axe-core finds no critical or serious violation on the pages citizens and staff use."""

import pytest

from complaints import workflow

from .conftest import axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def public_report(make_report, national_admin, agency_admin, tree):
    report = make_report(title="Lampu jalan padam di Kuta")
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=agency_admin, to_agency=tree["dinkes"])
    return report


def check(driver, url) -> list[str]:
    driver.get(url)
    return [f"{url}: {line}" for line in axe_violations(driver)]


def test_public_pages_have_no_serious_violations(driver, live_app, public_report):
    problems = []
    for path in (
        "/",
        "/laporan/baru/",
        "/akun/daftar/",
        "/akun/masuk/",
        f"/laporan/{public_report.tracking_no}/",
        "/laporan/",
    ):
        problems += check(driver, live_app.url + path)
    assert not problems, "\n".join(problems)


def test_head_dashboard_and_admin_queue_have_no_serious_violations(
    driver, live_app, browser_login, head, public_report
):
    browser_login(head)
    problems = check(driver, live_app.url + "/dasbor/")
    problems += check(driver, live_app.url + "/admin/complaints/report/")
    assert not problems, "\n".join(problems)
