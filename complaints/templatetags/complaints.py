import datetime as dt

from django import template
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from agencies.roles import national_roles, training_seats

from .. import fragments, report_parts, sop
from ..access import reporter_public_name
from ..models import Status
from ..report_urls import _report_urls, report_url  # noqa: F401 (_report_urls: the tests clear it)

register = template.Library()


# {% report_url %}: a report's own URLs reversed once per worker (complaints/report_urls.py).
register.simple_tag(report_url)


@register.simple_tag
def crispy_form(form):
    """`{{ form|crispy }}` for the report page's small forms: a blank one kept (complaints/fragments.py)."""
    return mark_safe(fragments.crispy_form(form))


@register.simple_tag(takes_context=True)
def report_form(context):
    """The report form (`report_form` in the context), the blank one from its kept copy (complaints/fragments.py)."""
    return fragments.report_form(context)


@register.simple_tag(takes_context=True)
def my_report_rows(context, reports):
    """The rows of "my reports", each kept per worker for what it shows (complaints/fragments.py)."""
    return fragments.my_report_rows(context, reports)


@register.simple_tag(takes_context=True)
def navigation(context):
    """The site's navigation, kept per worker, language and kind of visitor (complaints/fragments.py)."""
    return fragments.navigation(context)


@register.simple_tag(takes_context=True)
def latest_rows(context, reports):
    """The home page's latest public reports, each row kept per worker for what it shows (complaints/fragments.py)."""
    return fragments.latest_rows(context, reports)


@register.simple_tag(takes_context=True)
def feed_filters(context):
    """The feed's search and filter form, kept per worker for the same values (complaints/fragments.py)."""
    return fragments.feed_filters(context)


@register.simple_tag(takes_context=True)
def feed_map(context):
    """The feed's map section, kept per worker for its filters and language (complaints/fragments.py)."""
    return fragments.feed_map(context)


@register.simple_tag(takes_context=True)
def report_cards(context, reports):
    """The public cards of `reports`, each kept per worker for what it shows (complaints/fragments.py)."""
    return fragments.report_cards(context, reports)


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
def coordinates(user):
    """National admins and provincial governments' admins see the agencies' readiness list."""
    from ..readiness import is_coordinator

    return is_coordinator(user)


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


@register.simple_tag(takes_context=True)
def pagination(context, page, query=""):
    """includes/_pagination.html for `page`; a PeekPage's from the copy kept per worker (complaints/fragments.py)."""
    return fragments.pagination(context, page, query)


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


# The months' short names ("M") per language, from date_format itself (agency_time).
_SHORT_MONTHS: dict[str, list[str]] = {}


def _short_month(month: int) -> str:
    language = get_language()
    names = _SHORT_MONTHS.get(language)
    if names is None:
        names = _SHORT_MONTHS[language] = [date_format(dt.datetime(2000, m, 1), "M") for m in range(1, 13)]
    return names[month - 1]


@register.filter
def agency_time(moment, agency):
    """A deadline as the agency's clocks count it: "12 Mar 2026, 23:59 WITA" (complaints/sop.py) —
    date_format(…, "j M Y, H:i") and the zone, written out here: a queue page shows 50 (date_format
    parses the format and looks up its translations for each)."""
    if not moment:
        return "–"
    local, zone = sop.agency_clock_time(moment, agency)
    return f"{local.day} {_short_month(local.month)} {local.year:04d}, {local.hour:02d}:{local.minute:02d} {zone}"


@register.simple_tag
def internal_target_note(report):
    """The agency's own SOP target beside the legal deadline (sop.attach_targets put it on the report)."""
    target = getattr(report, "sop_target", None)
    if not target:
        return ""
    days, due = target
    late = due < timezone.now()
    return format_html(
        '<small class="lapor-internal-target{}">{}</small>',
        " late" if late else "",
        (
            _("Target SOP: %(due)s (%(days)s hari kerja), terlewati")
            if late
            else _("Target SOP: %(due)s (%(days)s hari kerja)")
        )
        % {"due": agency_time(due, report.agency), "days": days},
    )


@register.simple_tag(takes_context=True)
def kept_part(context, name):
    """A part of the report page, kept per worker for what it shows (complaints/report_parts.py)."""
    return report_parts.kept_part(context, name)


def _constant(expression) -> bool:
    """A filter expression that is a quoted string with no filter: the same for every request."""
    var = expression.var
    if expression.filters:
        return False
    return isinstance(var, str) or (isinstance(var, template.Variable) and var.literal is not None and not var.lookups)


def _unchanging(node) -> bool:
    """A node that draws the same for every request in one language and URL prefix: text, a comment, a
    constant translation, a static file's URL, a URL without arguments — nothing read from the context."""
    from django.template.base import TextNode
    from django.template.defaulttags import CommentNode, LoadNode, URLNode
    from django.templatetags.i18n import TranslateNode
    from django.templatetags.static import StaticNode

    if isinstance(node, TextNode | CommentNode | LoadNode):
        return True
    if isinstance(node, TranslateNode):
        return node.asvar is None and _constant(node.filter_expression) and node.message_context is None
    if isinstance(node, StaticNode):
        return node.varname is None and _constant(node.path)
    if isinstance(node, URLNode):
        return node.asvar is None and not node.args and not node.kwargs and _constant(node.view_name)
    return False


class KeptNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        key = (self, get_language(), get_script_prefix())
        return fragments.kept_words(key, lambda: self.nodelist.render(context))


@register.tag
def kept(parser, token):
    """`{% kept %}…{% endkept %}`: a part of a page drawn once per worker, language and URL prefix — words,
    translations, static files' and argument-less URLs only (anything read from the context is refused
    when the template is compiled, so nothing of a visitor can be kept)."""
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    if len(token.split_contents()) != 1:
        raise template.TemplateSyntaxError("{% kept %} takes no arguments")
    refused = [node for node in nodelist if not _unchanging(node)]
    if refused:
        raise template.TemplateSyntaxError(
            f"{{% kept %}} holds only words, translations and fixed URLs: {refused[0]!r}"
        )
    return KeptNode(nodelist)
