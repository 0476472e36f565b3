from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from agencies.roles import national_roles, training_seats

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
    return bool(national_roles(user))


@register.filter
def in_training(user):
    """Trainees of a training sandbox see their practice dashboard."""
    return bool(training_seats(user))


@register.filter
def countdown(due):
    """ "3 hari lagi" or "terlambat 2 hari" for a running clock's due time."""
    if not due:
        return ""
    now = timezone.now()
    if due < now:
        return _("terlambat %(t)s") % {"t": timesince(due, now, depth=1)}
    return _("%(t)s lagi") % {"t": timeuntil(due, now, depth=1)}


@register.inclusion_tag("includes/_pagination.html", takes_context=True)
def pagination(context, page, query=""):
    return {"page": page, "query": query, "request": context.get("request")}


@register.filter
def stars(value):
    try:
        return "★" * int(value)
    except (TypeError, ValueError):
        return ""


@register.filter
def places_json(points) -> str:
    """Map points as JSON for a data- attribute (autoescaped by the template as any attribute value)."""
    import json

    return json.dumps(list(points or []), ensure_ascii=False)
