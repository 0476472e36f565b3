"""A report's own URLs — its page, its forms, where a submission lands — reversed once per worker, URL name,
language and prefix with a stand-in number, then the report's number put in its place: reverse() walks the
resolver, ~25 us a URL, on every rendered report page and twice a submission (its redirect, its
notification's link; issue #15). Only for numbers of letters and digits, which reverse() would leave as
they are; anything else is reversed in full. `{% report_url %}` in templates (templatetags/complaints.py)."""

import re

from django.urls import get_script_prefix, reverse
from django.utils.translation import get_language

_NUMBER_STAND_IN = "LAPORNOMOR0STANDIN"
_PLAIN_NUMBER = re.compile(r"[A-Za-z0-9]+")
_report_urls: dict[tuple, str] = {}


def report_url(name: str, tracking_no) -> str:
    """`reverse(name, args=[tracking_no])` for a URL whose one argument is a report's tracking number (or id)."""
    number = str(tracking_no)
    if not _PLAIN_NUMBER.fullmatch(number):
        return reverse(name, args=[number])
    key = (name, get_language(), get_script_prefix())
    pattern = _report_urls.get(key)
    if pattern is None:
        pattern = reverse(name, args=[_NUMBER_STAND_IN])
        if pattern.count(_NUMBER_STAND_IN) != 1:
            return reverse(name, args=[number])
        if len(_report_urls) < 256:
            _report_urls[key] = pattern
    return pattern.replace(_NUMBER_STAND_IN, number)
