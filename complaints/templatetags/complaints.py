from django import template
from django.utils import timezone

from ..access import reporter_public_name
from ..models import Status

register = template.Library()


@register.inclusion_tag("includes/_status_badge.html")
def status_badge(status):
    return {"status": status, "label": Status(status).label}


@register.filter
def public_reporter(report):
    return reporter_public_name(report)


@register.filter
def is_past(value):
    return bool(value and value < timezone.now())


@register.filter
def sees_overdue(user):
    """National admins and supervisors see the overdue page."""
    from ..access import national_roles

    return bool(national_roles(user))
