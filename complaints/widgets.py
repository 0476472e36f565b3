"""A select widget rendered in Python: Django renders every <option> through a template include,
which costs tens of milliseconds for the 514 regencies on the busiest pages (home, feed, form)."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from lapor import refcache


class FastSelect(forms.Select):
    """`cache_key`: the options do not depend on the request (reference data in one language), so
    their HTML is built once per worker and reference-data generation (lapor/refcache) and the
    chosen value is marked in a copy."""

    cache_key = None

    def render(self, name, value, attrs=None, renderer=None):
        if self.cache_key:
            return self._render_cached(name, value, attrs)
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '<option value="{}"{}>{}</option>', option["value"], flatatt(option["attrs"]), option["label"]
                )
                for option in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))

    def _render_cached(self, name, value, attrs):
        options = refcache.get(f"select-options:{self.cache_key}", self._options_html)
        for chosen in self.format_value(value):
            if chosen:
                plain = format_html('<option value="{}">', chosen)
                options = options.replace(plain, plain[:-1] + " selected>", 1)
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        return mark_safe(format_html("<select{}>", flatatt(final_attrs)) + options + "</select>")

    def _options_html(self) -> str:
        def option(value, label):
            return format_html('<option value="{}">{}</option>', "" if value is None else value, label)

        parts = []
        for value, label in self.choices:
            if isinstance(label, list | tuple):
                parts.append(format_html('<optgroup label="{}">', value))
                parts.extend(option(v, text) for v, text in label)
                parts.append("</optgroup>")
            else:
                parts.append(option(value, label))
        return conditional_escape(mark_safe("".join(parts)))


def use_fast_selects(form, cached=None) -> None:
    """Swap the plain Select widgets of a bound or unbound form for FastSelect, keeping choices;
    `cached` maps field names to the cache key of their options (FastSelect.cache_key)."""
    for name, field in form.fields.items():
        if type(field.widget) is forms.Select:
            fast = FastSelect(attrs=field.widget.attrs)
            fast.choices = field.widget.choices
            fast.is_required = field.widget.is_required
            fast.cache_key = (cached or {}).get(name)
            field.widget = fast
