"""Issue #15 goal 4: the report queue's page is drawn in Python (complaints/admin_list.py), not by the
admin's templates and form widgets per cell: the same markup as Django's, which the admin's JavaScript
(select all, actions) and stylesheets expect, for a fraction of the CPU."""

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.admin import site
from django.contrib.admin.templatetags.admin_list import admin_list_filter, items_for_result
from django.contrib.admin.views.main import ChangeList
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, gettext_lazy

from agencies.models import Agency
from complaints import admin_list, sop, workflow
from complaints.admin import ReportAdmin
from complaints.models import Category, Report
from complaints.pagination import CappedCountPaginator
from complaints.templatetags.complaints import agency_time, internal_target_note
from complaints.tests.portal import set_due_at

CHANGELIST = "admin:complaints_report_changelist"


def _flat(html) -> str:
    """Markup without the templates' indentation."""
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", str(html))).strip()


@pytest.fixture
def queue(make_report, national_admin, agency_admin, tree):
    """Reports in several states: overdue, with an Anonim reporter, a title to escape, dispatched."""
    late = make_report(title="Sudah lewat <tenggat> & rusak")
    set_due_at(Report.objects.filter(pk=late.pk), timezone.now() - dt.timedelta(days=2))
    make_report(title="Anonim", is_anonymous=True)
    sent = make_report(title="Didisposisikan")
    workflow.verify(sent, by=national_admin)
    workflow.dispatch(sent, by=agency_admin, to_agency=tree["dinkes"])
    return tree


@pytest.mark.parametrize(
    "role,params",
    [
        ("agency_admin", {}),
        ("agency_admin", {"antrean": "submitted", "q": "tenggat", "o": "-2.1"}),
        ("national_admin", {"provinsi": "51", "status__exact": "submitted", "kategori": ""}),
        ("national_admin", {"terlambat": "1", "tenggat": "first_follow_up:missed", "instansi": "BADUNG"}),
    ],
)
def test_the_queue_is_drawn_as_django_draws_it(request, client, queue, role, params):
    if params.get("instansi") == "BADUNG":
        params = {**params, "instansi": str(queue["badung"].pk)}
    client.force_login(request.getfixturevalue(role))
    response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    cl = response.context["cl"]

    # Every row: Django's cells (checkbox, links keeping the filters, escaped title, badges, deadline).
    ours = admin_list.result_rows(cl)
    assert len(ours) == len(cl.result_list)
    for row, report in zip(ours, cl.result_list, strict=True):
        assert row == "".join(items_for_result(cl, report, None))
    if params.get("q") is None and role == "agency_admin":
        assert len(ours) == 3 and "&lt;tenggat&gt; &amp; rusak" in response.content.decode()

    # Every filter of the sidebar, and the query strings its choices link to.
    for spec in cl.filter_specs:
        assert _flat(admin_list.filter_html(cl, spec)) == _flat(admin_list_filter(cl, spec)), spec.title
    for new, remove in [
        ({"antrean": "overdue"}, None),
        ({"status__exact": "in_progress"}, ["status__isnull"]),
        ({"kabupaten": "51.03"}, ["kecamatan"]),
        ({"a": "1"}, None),
        ({"zzz": ["1", "2"]}, ["p"]),
        ({"o": None}, None),
        ({"o": "1", "p": "2"}, None),
        ({}, ["status"]),
    ]:
        assert cl.get_query_string(new, remove) == ChangeList.get_query_string(cl, new, remove), (new, remove)
    if ours:
        assert all(row in response.content.decode() for row in ours)


def test_a_drawn_filter_follows_its_counts_and_the_reference_data(client, make_report, agency_admin):
    """The sidebar is kept drawn per worker, but by what it shows: a new report changes the queue
    tab's count, a renamed category its name (reference data: the rename bumps the generation)."""
    make_report()
    client.force_login(agency_admin)
    assert "Belum Terverifikasi (1)" in client.get(reverse(CHANGELIST)).content.decode()
    make_report(title="Kedua")
    content = client.get(reverse(CHANGELIST)).content.decode()
    assert "Belum Terverifikasi (2)" in content and "Belum Terverifikasi (1)" not in content
    category = Category.objects.filter(parent__isnull=True).order_by("pk").first()
    category.name = "Kategori Bernama Baru"
    category.save()
    assert "Kategori Bernama Baru" in client.get(reverse(CHANGELIST)).content.decode()


def _report_counts(queries) -> list[str]:
    """The paginator's counts of the list (capped at CappedCountPaginator.CAP rows)."""
    cap = f"LIMIT {CappedCountPaginator.CAP})"
    return [q["sql"] for q in queries if q["sql"].startswith("SELECT COUNT(*)") and cap in q["sql"]]


@pytest.mark.parametrize(
    "role,params,expected",
    [
        ("agency_admin", {"status__exact": "submitted"}, 2),
        ("agency_admin", {"antrean": "on_hold"}, 1),
        ("agency_admin", {"antrean": "overdue", "o": "2"}, 1),
        ("national_admin", {"status__exact": "submitted", "p": "1"}, 2),
        ("national_admin", {"antrean": "on_hold"}, 1),
        ("national_admin", {"status__exact": "completed"}, 0),
    ],
)
def test_a_queue_of_one_status_is_not_counted_twice(request, client, make_report, agency_admin, role, params, expected):
    """The page's length of a queue the tabs count comes from the tabs' counts (an agency's one grouped
    count) or the national status counters, not from a second count of the list."""
    make_report()
    held = make_report(title="Tertunda")
    workflow.hold(held, by=agency_admin, note="Lengkapi foto.")
    late = make_report(title="Terlambat")
    set_due_at(Report.objects.filter(pk=late.pk), timezone.now() - dt.timedelta(days=1))
    client.force_login(request.getfixturevalue(role))
    with CaptureQueriesContext(connection) as seen:
        response = client.get(reverse(CHANGELIST), params)
    assert response.status_code == 200
    assert response.context["cl"].result_count == len(response.context["cl"].result_list) == expected
    assert _report_counts(seen.captured_queries) == []
    # Anything else on the address: the list is counted (capped) as before.
    with CaptureQueriesContext(connection) as seen:
        response = client.get(reverse(CHANGELIST), {**params, "q": "Terlambat"})
    assert len(_report_counts(seen.captured_queries)) == 1


def test_the_queue_page_reads_no_reference_data_and_no_permissions(client, make_report, agency_admin, tree):
    """Filter choices (provinces, districts, agencies, categories) come from the reference data in
    memory; the app list of the admin's navigation (permission queries), which the queue does not
    show, is not built; the page's agencies are read for its rows only."""
    make_report()
    client.force_login(agency_admin)
    client.get(reverse(CHANGELIST))
    with CaptureQueriesContext(connection) as seen:
        content = client.get(reverse(CHANGELIST)).content.decode()
    tables = " ".join(q["sql"] for q in seen.captured_queries)
    for table in ("agencies_region", "agencies_district", "complaints_category", "auth_permission"):
        assert f'FROM "{table}"' not in tables, table
    assert tree["dinkes"].name in content  # the agency filter's choices
    assert "Kuta" in content  # Badung's districts
    # The admin's home still lists the apps.
    assert "Laporan" in client.get(reverse("admin:index")).content.decode()


def test_a_kept_row_shows_every_change_at_once(client, make_report, national_admin, agency_admin, tree):
    """The queue's rows are kept per worker under what they show (ReportAdmin.row_key): each change of
    what a row shows — its title, a due time passing with nothing else changed, its status, its
    agency's name, the language — is on the next page, drawn as Django draws it."""
    report = make_report(title="Jalan rusak")
    other = make_report(title="Lampu mati")
    client.force_login(agency_admin)

    def page(**params):
        response = client.get(reverse(CHANGELIST), params)
        assert response.status_code == 200
        cl, html = response.context["cl"], response.content.decode()
        assert {r.pk for r in cl.result_list} == {report.pk, other.pk}
        for shown in cl.result_list:
            assert "".join(items_for_result(cl, shown, None)) in html, shown.title
        return html

    assert "Jalan rusak" in page()
    Report.objects.filter(pk=report.pk).update(title="Jalan berlubang")
    assert "Jalan berlubang" in page() and "Jalan rusak" not in page()
    soon = timezone.now() + dt.timedelta(minutes=5)
    set_due_at(Report.objects.filter(pk=report.pk), soon)
    assert "lapor-badge overdue" not in page()
    with time_machine.travel(soon + dt.timedelta(minutes=5)):
        assert "lapor-badge overdue" in page()  # only the time moved
    workflow.verify(report, by=national_admin)
    page()
    tree["badung"].name = "Pemerintah Kabupaten Badung Baru"
    tree["badung"].save()
    assert "Badung Baru" in page()
    english = client.get("/en" + reverse(CHANGELIST))
    assert english.status_code == 200
    cl = english.context["cl"]
    for shown in cl.result_list:
        assert "".join(items_for_result(cl, shown, None)) in english.content.decode()


class _Html:
    def __html__(self):
        return "<b>aman</b>"


@pytest.mark.parametrize(
    "args",
    [
        ("Jalan <rusak> & \"berlubang\" 'lagi'",),
        (mark_safe("<i>aman</i>"), "<i>tidak</i>"),
        (gettext_lazy("Terlambat"), 7, None),
        (_Html(), 3.5, ""),
    ],
)
def test_a_row_is_escaped_as_format_html_escapes_it(args):
    """admin_list.html_format, which draws the queue's cells, is format_html: text escaped, safe
    strings and what has __html__ kept, lazy strings and other values as their text."""
    template = "<td>" + "|".join("{}" for _ in args) + "</td>"
    drawn = admin_list.html_format(template, *args)
    assert drawn == format_html(template, *args) and isinstance(drawn, SafeString)


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_deadline_is_written_as_date_format_writes_it(language, tree):
    """agency_time writes "j M Y, H:i" and the zone itself: every month, short and long days, the hours
    around midnight, in each agency time zone and the national one, in both languages."""
    agencies = [None, *Agency.objects.filter(timezone__in=["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"])]
    agencies += [Agency(name="WIT", timezone="Asia/Jayapura"), Agency(name="WITA", timezone="Asia/Makassar")]
    with translation.override(language):
        for month in range(1, 13):
            for day, hour, minute in [(1, 0, 0), (9, 7, 5), (10, 16, 59), (28, 23, 30)]:
                moment = dt.datetime(2026, month, day, hour, minute, tzinfo=dt.UTC)
                for agency in agencies:
                    local, zone = sop.agency_clock_time(moment, agency)
                    assert agency_time(moment, agency) == f"{date_format(local, 'j M Y, H:i')} {zone}"
        assert agency_time(None, None) == "–"


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_rows_deadline_and_status_are_drawn_as_before(language, make_report, national_admin, tree):
    """The queue's status badge and deadline cell (labels and badges kept per worker and language)
    are what format_html, date_format and gettext drew: overdue or not, with an SOP target or none,
    without a due time, in each status."""
    late = make_report(title="Lewat")
    set_due_at(Report.objects.filter(pk=late.pk), timezone.now() - dt.timedelta(days=2))
    verified = make_report(title="Terverifikasi")
    workflow.verify(verified, by=national_admin)
    closed = make_report(title="Ditutup")
    workflow.archive(closed, by=national_admin, reason="withdrawn")
    set_due_at(Report.objects.filter(pk=closed.pk), None)
    reports = list(Report.objects.for_list().order_by("pk"))
    sop.attach_targets(reports)
    reports[1].sop_target = (3, timezone.now() + dt.timedelta(days=1))
    reports[0].sop_target = (2, timezone.now() - dt.timedelta(days=1))
    ours = ReportAdmin(Report, site)

    def due_before(obj):
        if obj.due_at is None:
            return "–"
        local, zone = sop.agency_clock_time(obj.due_at, obj.agency if obj.agency_id else None)
        late = ""
        if obj.is_overdue():
            late = format_html('<br><span class="lapor-badge overdue">{}</span>', gettext("Terlambat"))
        target = internal_target_note(obj)
        when = f"{date_format(local, 'j M Y, H:i')} {zone}"
        return format_html("{}{}{}", when, late, format_html("<br>{}", target) if target else "")

    for switch in ("id", language):  # labels kept in one language are not shown in another
        with translation.override(switch):
            for report in reports:
                assert ours.due(report) == due_before(report), report.title
                badge = format_html(
                    '<span class="lapor-badge status-{}">{}</span>', report.status, report.get_status_display()
                )
                assert ours.status_badge(report) == badge
    assert any(r.is_overdue() for r in reports) and {r.status for r in reports} >= {"submitted", "verified"}
    with translation.override(language):
        assert ("Overdue" if language == "en" else "Terlambat") in ours.due(reports[0])
