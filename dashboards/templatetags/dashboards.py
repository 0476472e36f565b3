from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils.formats import number_format
from django.utils.html import format_html

register = template.Library()
DASH = "–"


@register.simple_tag
def figure(value, link=None):
    """A count, linked to the reports behind it when there is a link."""
    if value is None:
        return DASH
    text = intcomma(value)
    return format_html('<a href="{}">{}</a>', link, text) if link else text


@register.filter
def pct(value):
    return DASH if value is None else f"{number_format(value, 1)}%"


@register.filter
def dec(value):
    return DASH if value is None else number_format(value, 2)


@register.filter
def days(value):
    if value is None:
        return DASH
    return "> 60" if value > 60 else str(value)


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)
