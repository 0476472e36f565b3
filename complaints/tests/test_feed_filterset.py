"""The feed's filter set built without django-filter's per-request deep copies (issue #15): its form
follows the visitor's language, and nothing one request binds or offers reaches the next."""

from django.urls import reverse
from django.utils import translation

from complaints import fragments
from complaints.filters import ReportFilter
from complaints.models import Report, Status
from complaints.tests.portal import published


def _filter(data=None):
    return ReportFilter(data, queryset=Report.objects.public())


def _options(form, name):
    return [(str(value), str(label)) for value, label in form.fields[name].widget.choices]


def test_the_filter_forms_labels_and_choices_follow_the_language(db):
    with translation.override("en"):
        form = _filter().form
        assert str(form.fields["klasifikasi"].label) == "Classification"
        assert ("", "All") in _options(form, "status")
        assert (Status.COMPLETED.value, "Completed") in _options(form, "status")
        assert ("aspiration", "Aspiration") in _options(form, "klasifikasi")
        assert "Aspiration" in form["klasifikasi"].as_widget()
    with translation.override("id"):
        form = _filter().form
        assert str(form.fields["klasifikasi"].label) == "Klasifikasi"
        assert ("", "Semua") in _options(form, "status")
        assert (Status.COMPLETED.value, "Selesai") in _options(form, "status")
        assert "Aspirasi" in form["klasifikasi"].as_widget()
    with translation.override("en"):  # and back: nothing was fixed in the first language asked
        assert (Status.COMPLETED.value, "Completed") in _options(_filter().form, "status")


def test_a_bound_filter_never_leaks_into_the_next_one(db):
    bound = _filter({"provinsi": "51", "dari": "kemarin", "status": "tidak-ada"})
    assert set(bound.form.errors) == {"dari", "status"}
    assert "51.03" in dict(_options(bound.form, "kabupaten"))
    assert "data-autosubmit" in bound.form.fields["provinsi"].widget.attrs

    fresh = _filter()
    assert not fresh.form.is_bound and not fresh.form.errors and not fresh.form.data
    assert "51.03" not in dict(_options(fresh.form, "kabupaten"))
    assert len(_options(fresh.form, "kabupaten")) == 1  # "choose a province first"
    for name, field in fresh.form.fields.items():
        assert field is not bound.form.fields[name] and field.widget is not bound.form.fields[name].widget
    # Each filter belongs to its own filter set, its method resolved on it.
    for name, bound_filter in fresh.filters.items():
        assert bound_filter.parent is fresh and bound_filter is not bound.filters[name]
        if bound_filter.method is not None:
            assert bound_filter.filter.f is bound_filter
    # The declarations every filter set starts from are untouched.
    declared = ReportFilter._form_class().base_fields
    assert "data-autosubmit" not in declared["provinsi"].widget.attrs
    assert not any(getattr(f, "parent", None) for f in ReportFilter.base_filters.values())


def test_each_filter_set_filters_on_its_own_values(make_report, national_admin):
    published(make_report, national_admin, title="Sampah menumpuk")
    published(make_report, national_admin, title="Jalan rusak", classification="aspiration")
    first, second = _filter({"q": "sampah"}), _filter({"klasifikasi": "aspiration"})
    assert [r.title for r in first.qs] == ["Sampah menumpuk"]  # a method filter, resolved on `first`
    assert [r.title for r in second.qs] == ["Jalan rusak"]
    assert [r.title for r in _filter({"q": "jalan"}).qs] == ["Jalan rusak"]


def test_the_feed_after_a_filtered_feed_shows_the_unfiltered_form(client, db):
    fragments.clear_local()  # the rendered form is kept by its values: draw it from the form each time
    filtered = client.get(reverse("complaints:list"), {"provinsi": "51", "dari": "kemarin"}).content.decode()
    assert 'value="51.03"' in filtered and "invalid-feedback" in filtered
    fragments.clear_local()
    plain = client.get(reverse("complaints:list")).content.decode()
    assert 'value="51.03"' not in plain and "invalid-feedback" not in plain
    assert 'value="kemarin"' not in plain


def test_the_unfiltered_feed_builds_no_filter_set_while_its_form_is_kept(
    client, make_report, national_admin, monkeypatch, settings
):
    settings.LAPOR_PAGE_CACHE_SECONDS = 0  # every page rendered
    published(make_report, national_admin, title="Sampah menumpuk")
    built = []
    real = ReportFilter.__init__
    monkeypatch.setattr(ReportFilter, "__init__", lambda self, *a, **kw: built.append(a[:1]) or real(self, *a, **kw))
    fragments.clear_local()
    first = client.get(reverse("complaints:list")).content.decode()
    assert len(built) == 1  # the form drawn once, then kept
    again = client.get(reverse("complaints:list")).content.decode()
    second_page = client.get(reverse("complaints:list"), {"page": "2"}).content.decode()
    assert len(built) == 1 and again == first.replace(_token(first), _token(again))
    assert "Sampah menumpuk" in again and 'name="q"' in second_page and 'name="provinsi"' in second_page
    assert "Sampah menumpuk" in client.get(reverse("complaints:list"), {"klasifikasi": "complaint"}).content.decode()
    assert len(built) == 2  # a filtered feed filters through it


def _token(html):
    import re

    found = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    return found[0] if found else "\x00"


def test_a_form_offered_its_options_after_filtering_is_the_display_filter_sets_form(db, rf):
    from django.http import QueryDict
    from django.template.loader import get_template

    template = get_template(fragments.FILTERS_TEMPLATE)
    queries = [
        "klasifikasi=complaint&provinsi=51",
        "kabupaten=51.03&kecamatan=51.03.01&status=verified",
        "provinsi=51&dari=2026-13-01&instansi=tidak-ada",  # errors shown
        "kategori=infrastruktur&sampai=2026-11-30",
    ]
    for language in ("id", "en"):
        with translation.override(language):
            for query in queries:
                data = QueryDict(query)
                request = rf.get(f"/laporan/?{query}")
                shown = ReportFilter(data, queryset=Report.objects.public())
                list(shown.qs)
                filtered = ReportFilter(data, queryset=Report.objects.public(), display=False)
                list(filtered.qs)  # filtered first, as the feed does, then offered its options
                context = {"request": request, "filtered": True}
                drawn = template.render({**context, "filter": filtered.offering_choices()})
                assert drawn == template.render({**context, "filter": shown}), (language, query)
                assert filtered.offering_choices() is filtered
