import re

from django import forms

from complaints.widgets import FastSelect

CHOICES = [("", "—"), ("Bali", [("51.03", "Kabupaten Badung"), ("51.71", "Kota Denpasar")]), ("x", 'A & "B" <c>')]


def _options(html):
    return re.findall(r'<option value="([^"]*)"( selected)?>([^<]*)</option>', html)


def test_fast_select_renders_what_django_select_renders():
    attrs = {"class": "form-select", "aria-describedby": "id_regency_error"}
    slow = forms.Select(attrs=attrs, choices=CHOICES).render("regency", "51.71")
    fast = FastSelect(attrs=attrs, choices=CHOICES).render("regency", "51.71")
    assert _options(fast) == _options(slow)
    assert "selected" in {v: s for v, s, _l in _options(fast)}["51.71"]
    assert '<optgroup label="Bali">' in fast and 'aria-describedby="id_regency_error"' in fast
    assert "A &amp; &quot;B&quot; &lt;c&gt;" in fast  # labels are escaped
