"""The report queue's list page drawn cheaply (#15): the same HTML as Django admin's result list and
filter sidebar, built in Python instead of a template and a form widget per cell.

Django's changelist spent most of a queue page's CPU drawing it, not querying: for each row a
checkbox rendered through the form-widget templates, a change link reversed and then *resolved again*
to add the preserved filters, and for each of the sidebar's choices (a national admin's agency filter
offers a thousand) the whole query string sorted and encoded again and a template loop. Here the link
prefix and the filters' query strings are computed once per page and per filter, and each row and
choice is a few string joins. The output is Django's markup, the one the admin's JavaScript (select
all, actions) and stylesheets expect: complaints/tests/test_queue_render.py compares the two.
"""

from __future__ import annotations

import datetime
import html as stdlib_html

from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_list import _coerce_field_name, result_headers
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.encoding import iri_to_uri
from django.utils.functional import Promise
from django.utils.html import conditional_escape, escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from .models import attach_reference

# Stands for the object id while a change link is built once for the whole page. It cannot occur in
# an admin address's path: the link's path comes before its query string, so the first occurrence
# replaced is the path's.
PK_MARK = "LAPOR-PK"


class QueueChangeList(ChangeList):
    """Django's ChangeList with a faster get_query_string (the same strings): the sidebar asks it
    once per choice, and each time Django copied, sorted and encoded every parameter of the page. The
    parameters other than the one a choice sets are encoded once per (parameter, removed ones)."""

    def __init__(self, *args, **kwargs):
        self._query_parts: dict = {}
        super().__init__(*args, **kwargs)

    def get_results(self, request):
        """Django's page of results; where the model admin reads a page of its queue more cheaply
        (ModelAdmin.queue_page, the same rows in the same order), that reading instead."""
        super().get_results(request)
        queue_page = getattr(self.model_admin, "queue_page", None)
        if queue_page is not None:
            page = queue_page(request, self)
            if page is not None:
                self.result_list = page

    def get_query_string(self, new_params=None, remove=None):
        if not new_params or len(new_params) != 1:
            return super().get_query_string(new_params, remove)
        ((key, value),) = new_params.items()
        if value is None:
            return super().get_query_string(new_params, remove)
        cache_key = (key, tuple(remove or ()))
        parts = self._query_parts.get(cache_key)
        if parts is None:
            params = self.filter_params.copy()
            for prefix in remove or ():
                for name in list(params):
                    if name.startswith(prefix):
                        del params[name]
            params.pop(key, None)
            ordered = sorted(params.items())
            parts = (
                urlencode([item for item in ordered if item[0] < key], doseq=True),
                urlencode([item for item in ordered if item[0] > key], doseq=True),
            )
            self._query_parts[cache_key] = parts
        return "?" + "&".join(s for s in (parts[0], urlencode([(key, value)], doseq=True), parts[1]) if s)


def load_rows(cl) -> list:
    """The page's reports, then their handling agencies in one query for the page: joined to the
    reports, PostgreSQL joined every report of the queue (hundreds) before sorting out the 50
    shown. Categories come from the reference data in memory (ReportQuerySet.for_list)."""
    rows = list(cl.result_list)
    attach_reference(rows)
    prefetch_related_objects(rows, "agency")
    cl.result_list = rows
    return rows


def _change_link(cl) -> str:
    """The change page's address with the list's filters preserved, with PK_MARK for the object id."""
    url = reverse(
        f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
        args=(PK_MARK,),
        current_app=cl.model_admin.admin_site.name,
    )
    return add_preserved_filters({"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url)


def escape_once(value) -> str:
    """conditional_escape(value) — the same string (Django's escape is the standard library's
    html.escape; what has __html__ is already safe) — without its lazy-string wrappers, which cost
    more than the escaping on a page of 50 rows of seven cells."""
    if type(value) is str:
        return stdlib_html.escape(value)
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return stdlib_html.escape(str(value))


def html_format(template: str, *args) -> SafeString:
    """format_html(template, *args) (positional arguments): the same safe string, drawn faster."""
    return SafeString(template.format(*map(escape_once, args)))


def _checkbox_cell(obj, label_format: str) -> str:
    """ModelAdmin.action_checkbox as Django renders it (forms.CheckboxInput), without the widget templates."""
    return html_format(
        '<td class="action-checkbox"><input type="checkbox" name="{}" value="{}" class="action-select"'
        ' aria-label="{}"></td>',
        helpers.ACTION_CHECKBOX_NAME,
        str(obj.pk),
        html_format(label_format, str(obj)),
    )


def _column_reader(name, admin):
    """A function obj -> (field, attr, value), as Django's lookup_field answers for the column `name`,
    with the question of what the name is (a field, the admin's callable) settled once per page."""
    try:
        field = _get_non_gfk_field(admin.model._meta, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        if callable(name):
            return lambda obj: (None, name, name(obj))
        if hasattr(admin, name) and name != "__str__":
            attr = getattr(admin, name)
            return lambda obj: (None, attr, attr(obj))
        return lambda obj: lookup_field(name, obj, admin)
    return lambda obj: (field, None, getattr(obj, name))


def result_rows(cl) -> list[str]:
    """Each row's cells as Django's items_for_result draws them (no list_editable form: the queues
    have none), joined into one safe string per row."""
    if cl.formset is not None or cl.is_popup or cl.to_field:
        raise ValueError("result_rows draws plain lists only")  # the report queue is one
    admin = cl.model_admin
    empty = admin.get_empty_value_display()
    link = _change_link(cl)
    label_format = gettext("Select this object for an action - {}")
    links = cl.list_display_links
    columns = []
    for index, name in enumerate(cl.list_display):
        linked = links is not None and (name in links or (not links and not columns))
        reader = None if name == "action_checkbox" else _column_reader(name, admin)
        columns.append((reader, f"field-{_coerce_field_name(name, index)}", linked))
    row_key = getattr(admin, "row_key", None)
    page = (link, label_format, empty, get_language(), tuple(map(str, cl.list_display)))
    rows = []
    for obj in cl.result_list:
        if row_key is None:
            rows.append(_draw_row(obj, columns, link, label_format, empty))
            continue
        key = (page, row_key(obj))
        html = _rows.get(key)
        if html is None:
            html = _draw_row(obj, columns, link, label_format, empty)
            _rows.put(key, html)
        rows.append(html)
    return rows


class _Kept(dict):
    """Drawn rows by key, at most `size` (then emptied: a queue page asks for 50 at a time)."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key, value) -> None:
        if len(self) >= self.size:
            self.clear()
        self[key] = value


# Drawn rows kept in this worker's memory, under everything a row shows (ModelAdmin.row_key) and the
# page's link, language and columns: a report that changes gets a new key, so nothing is shown stale.
ROWS_KEPT = 4000
_rows = _Kept(ROWS_KEPT)


def _draw_row(obj, columns, link: str, label_format: str, empty: str) -> str:
    """One row's cells as Django's items_for_result draws them, joined into one safe string."""
    cells, first = [], True
    for reader, classes, linked in columns:
        if reader is None:
            cells.append(_checkbox_cell(obj, label_format))
            continue
        try:
            field, attr, value = reader(obj)
        except ObjectDoesNotExist:
            shown = empty
        else:
            cell_empty = getattr(attr, "empty_value_display", empty)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            if field is None or field.auto_created:
                boolean = getattr(attr, "boolean", False)
                if isinstance(attr, property) and hasattr(attr, "fget"):
                    boolean = getattr(attr.fget, "boolean", False)
                shown = display_for_value(value, cell_empty, boolean)
                if isinstance(value, (datetime.date, datetime.time)):
                    classes += " nowrap"
            else:
                if isinstance(field.remote_field, models.ManyToOneRel):
                    related = getattr(obj, field.name)
                    shown = cell_empty if related is None else related
                else:
                    shown = display_for_field(value, field, cell_empty, avoid_link=linked)
                if isinstance(field, (models.DateField, models.TimeField, models.ForeignKey)):
                    classes += " nowrap"
        if linked:
            tag = "th" if first else "td"
            first = False
            href = link.replace(PK_MARK, str(obj.pk), 1)
            cells.append(html_format('<{} class="{}"><a href="{}">{}</a></{}>', tag, classes, href, shown, tag))
        else:
            cells.append(html_format('<td class="{}">{}</td>', classes, shown))
    return SafeString("".join(cells))


def result_list(cl) -> dict:
    """The context of change_list_results.html (Django's result_list tag) with the rows above."""
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "rows": result_rows(cl),
    }


# Drawn filters kept in this worker's memory, by everything a filter's markup depends on (below).
_drawn_filters: dict = {}
DRAWN_FILTERS_KEPT = 1000


def _filter_key(cl, spec):
    """What one filter's markup is made of: its kind and parameters, its choices (reference data, the
    staff member's agencies, the queue counts), every parameter of the list's address (the choices'
    links keep them; the selected choice comes from them) and the language."""
    choices = getattr(spec, "lookup_choices", None)
    return (
        type(spec),
        str(spec.title),
        get_language(),
        cl.add_facets,
        tuple(spec.expected_parameters()),
        None if choices is None else tuple((str(key), str(label)) for key, label in choices),
        tuple((name, tuple(values)) for name, values in sorted(cl.filter_params.items())),
    )


def filter_html(cl, spec) -> str:
    """Django's admin/filter.html for one filter of the sidebar, drawn in Python; the same filter with
    the same choices on the same address is drawn once per worker."""
    key = _filter_key(cl, spec)
    html = _drawn_filters.get(key)
    if html is None:
        if len(_drawn_filters) >= DRAWN_FILTERS_KEPT:
            _drawn_filters.clear()
        html = _drawn_filters[key] = draw_filter(cl, spec)
    return html


def draw_filter(cl, spec) -> str:
    """Django's admin/filter.html for one filter of the sidebar, drawn in Python."""
    title = escape(spec.title)
    items = "".join(
        ('<li class="selected">' if choice["selected"] else "<li>")
        + f'<a href="{conditional_escape(iri_to_uri(choice["query_string"]))}">'
        + f"{conditional_escape(choice['display'])}</a></li>"
        for choice in spec.choices(cl)
    )
    summary = gettext(" By %(filter_title)s ") % {"filter_title": title}
    return mark_safe(
        f'<details data-filter-title="{title}" open><summary>{summary}</summary><ul>{items}</ul></details>'
    )


def forget_rows() -> None:
    """Forget this worker's drawn rows (bench/queue_cpu.py --draw-rows)."""
    _rows.clear()


def clear_local() -> None:
    """Forget this worker's drawn rows and filters (tests)."""
    _rows.clear()
    _drawn_filters.clear()
