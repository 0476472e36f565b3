"""{% report_url %} (complaints/templatetags/complaints.py): a report's own URLs, reversed once per worker,
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
