"""{% report_url %} (complaints/report_urls.py): a report's own URLs, reversed once per worker,
name, language and URL prefix, are exactly what `{% url %}` gives for every number, language and prefix."""

import pytest
from django.template import engines
from django.urls import NoReverseMatch, reverse, set_script_prefix
from django.utils import translation

from complaints.templatetags import complaints as tags

NAMES = ["complaints:support", "complaints:comment", "complaints:case_file", "complaints:detail"]


def _both(name, number):
    template = engines["django"].from_string("{% load complaints %}{% report_url name number %}|{% url name number %}")
    return template.render({"name": name, "number": number}).split("|")


@pytest.fixture(autouse=True)
def _fresh():
    tags._report_urls.clear()
    yield
    tags._report_urls.clear()
    set_script_prefix("/")


@pytest.mark.parametrize("name", NAMES)
def test_report_urls_are_the_reversed_urls_in_each_language_and_prefix(name):
    for prefix in ("/", "/portal/"):
        set_script_prefix(prefix)
        for language in ("id", "en", "id"):
            with translation.override(language):
                for number in ("AB12CD34", "ZZ99YY88"):
                    kept, full = _both(name, number)
                    assert kept == full == reverse(name, args=[number])
    assert reverse(name, args=["AB12CD34"]).startswith("/portal/")  # the prefix was in force above


def test_a_number_of_other_characters_is_reversed_in_full():
    with translation.override("en"):
        kept, full = _both("complaints:support", "a b&c")
        assert kept == full and "a%20b&amp;c" in kept
        with pytest.raises(NoReverseMatch):
            tags.report_url("complaints:support", "a/b")


def test_a_submissions_redirect_and_notification_links_are_the_reversed_urls(client, citizen, db, settings):
    # The submission's redirect and its notification's link come from report_urls (issue #15): the URLs
    # reverse() gives, in each language (the English site under /en/).
    from complaints.forms import ReportForm
    from complaints.models import Category, Notification, Report
    from complaints.notifications import _render

    category = Category.objects.filter(parent__isnull=False, is_active=True).order_by("pk").first()
    data = {
        "classification": "complaint",
        "title": "Jalan berlubang",
        "body": "Jalan berlubang di depan pasar sejak sebulan lalu.",
        "event_date": "2026-01-05",
        "province": "51",
        "regency": "51.03",
        "category": category.pk,
    }
    assert ReportForm({**data, "submission_key": "x" * 20}).is_valid()
    settings.LAPOR_SUBMIT_RATE_USER = settings.LAPOR_SUBMIT_RATE_IP = (10**6, 60)  # a shared Redis's counters aside
    client.force_login(citizen)
    for language, prefix in (("id", ""), ("en", "/en"), ("id", "")):
        title = f"Jalan berlubang {language}{prefix}"
        response = client.post(f"{prefix}/laporan/baru/", {**data, "title": title, "submission_key": f"url-{title}"})
        assert response.status_code == 302
        report = Report.objects.filter(reporter=citizen, title=title).latest("pk")
        with translation.override(language):
            assert response["Location"] == reverse("complaints:submitted", kwargs={"tracking_no": report.tracking_no})
            event = report.events.get()
            assert _render(citizen, "reporter", event).url == reverse("complaints:detail", args=[report.tracking_no])
            assert _render(citizen, "agency", event).url == reverse("admin:complaints_report_change", args=[report.pk])
        assert Notification.objects.filter(report=report, user=citizen).get().url == reverse(
            "complaints:detail", args=[report.tracking_no]
        )
