"""WCAG 2.1 AA: axe-core finds no critical or serious violation on the pages citizens and staff use."""

import re

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
    # The trend chart counts whole reports and dates its weeks in Indonesian ("23 Nov 2026"), not ISO.
    axes = driver.execute_script(
        """const chart = Chart.getChart("chart-trend");
        return {x: chart.scales.x.ticks.map(t => chart.scales.x.getLabelForValue(t.value)),
                y: chart.scales.y.ticks.map(t => t.value)};"""
    )
    assert axes["y"] and all(value == int(value) for value in axes["y"]), axes
    assert all(
        re.fullmatch(r"\d{1,2} (Jan|Feb|Mar|Apr|Mei|Jun|Jul|Agu|Sep|Okt|Nov|Des) \d{4}", x) for x in axes["x"]
    ), axes
    problems += check(driver, live_app.url + "/admin/complaints/report/")
    assert not problems, "\n".join(problems)
