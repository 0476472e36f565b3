"""The head's dashboard: who may open it, what each viewer's figures contain, links, query counts."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from agencies.models import Membership
from complaints import routing, workflow
from complaints.models import ClockStep

from .conftest import at

PERIOD = {"start": "2026-03-01", "end": "2026-03-31"}
URL = reverse("dashboards:dashboard")


def _get(client, user, **params):
    client.force_login(user)
    return client.get(URL, {**PERIOD, **params})


@pytest.fixture
def histories(life, rebuild, tree):
    """Badung: one public and one confidential completed report; Sleman (a sibling): two reports."""
    badung = life(at(dt.date(2026, 3, 2)), "accepted", rating=4)
    secret = life(at(dt.date(2026, 3, 3)), "accepted", rating=2, is_confidential=True)
    sleman = [
        life(at(dt.date(2026, 3, 4)), "submitted", suggested_agency=tree["sleman"]),
        life(at(dt.date(2026, 3, 5)), "submitted", suggested_agency=tree["sleman"]),
    ]
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    return {"badung": badung, "secret": secret, "sleman": sleman}


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("who", ["citizen", "unit_admin", "liaison"])
def test_citizens_and_unit_staff_get_404(client, who, request, tree):
    user = request.getfixturevalue(who)
    assert _get(client, user).status_code == 404
    assert client.get(reverse("dashboards:export_csv")).status_code == 404


def test_head_sees_their_subtree_including_confidential_reports(client, head, histories, tree):
    figures = _get(client, head).context["figures"]
    assert figures["totals"]["received"] == 2
    assert figures["totals"]["completed"] == 2
    assert figures["totals"]["rating_sum"] == 6  # the confidential report's rating is theirs to see
    assert tree["dinkes"].name in {r["label"] for r in figures["by_child"]}


def test_sibling_agency_figures_are_absent_and_its_scope_is_404(client, head, sibling_admin, histories, tree):
    assert _get(client, head, agency=tree["sleman"].pk).status_code == 404
    figures = _get(client, sibling_admin).context["figures"]
    assert figures["totals"]["received"] == 2
    assert figures["totals"]["completed"] == 0
    assert sum(r["count"] for r in figures["funnel"]) == 2


def test_parent_agency_admin_sees_children_ranked(client, parent_admin, histories, tree):
    figures = _get(client, parent_admin).context["figures"]
    assert figures["totals"]["received"] == 2
    ranked = [r for r in figures["by_child"] if r["rank"]]
    assert ranked and ranked[0]["key"] == tree["badung"].pk


def test_head_may_drill_down_to_a_unit_of_their_subtree(client, head, histories, tree):
    response = _get(client, head, agency=tree["dinkes"].pk)
    assert response.status_code == 200
    figures = response.context["figures"]
    assert figures["totals"]["dispatched"] == 2 and figures["totals"]["received"] == 0
    assert f"instansi={tree['dinkes'].pk}" in figures["links"]["completed"]
    assert f"tenggat_instansi={tree['dinkes'].pk}" in figures["links"]["ffu_due"]


@pytest.mark.parametrize("who", ["national_admin", "supervisor"])
def test_national_roles_see_the_whole_country(client, who, request, histories):
    figures = _get(client, request.getfixturevalue(who)).context["figures"]
    assert figures["totals"]["received"] == 4
    assert sum(r["count"] for r in figures["funnel"]) == 4


def test_every_count_links_to_the_admin_list_behind_it(client, head, histories, tree):
    response = _get(client, head)
    figures = response.context["figures"]
    changelist = reverse("admin:complaints_report_changelist")
    assert figures["links"]["received"].startswith(changelist + "?created_at__gte=2026-02-28T17")
    assert "status=completed" in figures["links"]["completed"]
    completed_row = next(r for r in figures["funnel"] if r["status"] == "completed")
    assert "status=completed" in completed_row["link"]
    complaint = next(r for r in figures["by_classification"] if r["key"] == "complaint")
    assert "classification=complaint" in complaint["links"]["received"]
    html = response.content.decode()
    assert f'href="{figures["links"]["received"].replace("&", "&amp;")}"' in html
    # The linked list really is the set of reports behind the number.
    client.force_login(head)
    listing = client.get(figures["links"]["completed"])
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == figures["totals"]["completed"]


def test_period_errors_are_shown_next_to_the_field_and_the_default_period_is_used(client, head, histories):
    response = _get(client, head, start="2026-03-31", end="2026-03-01")
    assert response.status_code == 200
    assert "Tanggal akhir tidak boleh sebelum tanggal awal." in response.content.decode()
    assert 'value="2026-03-31"' in response.content.decode()  # nothing typed is lost


def test_presets_choose_the_period(client, head, histories):
    figures = _get(client, head, preset="year").context["figures"]
    assert figures["first"].month == 1 and figures["first"].day == 1


def test_charts_use_vendored_chartjs_and_json_script(client, head, histories):
    html = _get(client, head).content.decode()
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert 'id="dashboard-data" type="application/json"' in html
    # No asset from a CDN (checked on addresses: a random CSRF token may contain the letters "cdn").
    assert not re.search(r'(?:src|href)="[^"]*cdn', html, re.IGNORECASE)
    for table in ("table-trend", "table-funnel", "table-classification", "table-channel"):
        assert f'id="{table}"' in html


def test_dashboard_query_count_does_not_grow_with_reports(
    client, head, life, rebuild, django_assert_max_num_queries, tree
):
    # session, user, memberships, 13 figure queries (totals, 5 breakdowns + 2 name lookups, trend,
    # durations, funnel, backlog), savepoints of the test client: the same at N and 3N reports.
    def grow(n, day):
        for i in range(n):
            life(at(dt.date(2026, 3, day + i % 5)), ["accepted", "transferred", "reopened"][i % 3])
        rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))

    grow(2, 2)
    client.force_login(head)
    # 18 + the second-factor device (accounts/otp.py) + the map of open reports (its districts, its points)
    # + the largest duplicate clusters (one query) + the top districts by open reports (one grouped query)
    with django_assert_max_num_queries(23) as first:
        assert client.get(URL, PERIOD).status_code == 200
    grow(6, 9)
    with django_assert_max_num_queries(len(first.captured_queries)):
        response = client.get(URL, PERIOD)
    assert response.context["figures"]["totals"]["received"] == 8


def test_cached_page_costs_no_figure_queries(client, head, histories, django_assert_max_num_queries):
    _get(client, head)
    # session, user, the second-factor device, memberships, the unread-notifications badge, the scope's
    # agencies (the version of the reports they hold: are the live figures and the map current?), the
    # district list, the largest duplicate clusters (live, one query)
    with django_assert_max_num_queries(8):
        client.get(URL, PERIOD)


def test_membership_roles_checked_are_head_and_agency_admin_only(client, tree, django_user_model):
    user = django_user_model.objects.create_user("dev@example.test", "x", full_name="Dev")
    Membership.objects.create(user=user, agency=tree["badung"], role=Membership.Role.DEVELOPER)
    assert _get(client, user).status_code == 404


def test_period_edges_follow_wib_days(client, head, life, rebuild):
    life(dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC), "submitted")  # 23:30 WIB, 31 March: inside
    life(dt.datetime(2026, 3, 31, 17, 30, tzinfo=dt.UTC), "submitted")  # 00:30 WIB, 1 April: outside
    rebuild(dt.date(2026, 3, 30), dt.date(2026, 4, 2))
    figures = _get(client, head).context["figures"]
    assert figures["totals"]["received"] == 1
    assert sum(r["count"] for r in figures["funnel"]) == 1


def test_drilled_down_head_can_go_back_up_but_not_above_their_root(client, head, histories, tree):
    html = _get(client, head, agency=tree["dinkes"].pk).content.decode()
    assert f"?agency={tree['badung'].pk}&amp;" in html
    html = _get(client, head).content.decode()
    assert f"?agency={tree['bali'].pk}&amp;" not in html


def test_every_generated_link_is_a_valid_admin_filter(client, national_admin, histories):
    figures = _get(client, national_admin).context["figures"]
    links = list(figures["links"].values())
    links += [r["link"] for r in figures["funnel"] + figures["backlog"]]
    for key in ("by_classification", "by_channel", "by_category", "by_province", "by_child"):
        links += [link for r in figures[key] for link in r.get("links", {}).values()]
    assert len(links) > 40
    for link in links:
        assert client.get(link).status_code == 200, link  # an invalid lookup would redirect to ?e=1


def _listed(client, link) -> int:
    response = client.get(link)
    assert response.status_code == 200, link
    assert "?e=1" not in response.get("Location", ""), link
    return response.context["cl"].result_count


def test_deadline_rating_duration_and_trend_numbers_link_to_exactly_their_reports(
    client, head, life, rebuild, unit_admin, tree
):
    """One judged clock of each kind per report, so that every count equals the reports listed."""
    on_time = life(at(dt.date(2026, 3, 2)), "accepted", rating=5)
    grumpy = life(at(dt.date(2026, 3, 3)), "accepted", rating=2)
    late = life(at(dt.date(2026, 3, 2)), "dispatched")  # dispatched 4 March: first follow-up due 11 March
    with time_machine.travel(at(dt.date(2026, 3, 13)), tick=False):
        ClockStep.objects.create(
            clock=late.clocks.get(kind="first_follow_up", stopped_at__isnull=True), report=late, step="escalate_agency"
        )
    with time_machine.travel(at(dt.date(2026, 3, 16)), tick=False):
        workflow.follow_up(late, by=unit_admin, note="Terlambat, maaf.")
    life(at(dt.date(2026, 3, 4)), "submitted", suggested_agency=tree["sleman"])  # a sibling's: never listed
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))

    figures = _get(client, head).context["figures"]
    totals, links = figures["totals"], figures["links"]
    expected = {
        "ver_met": 3, "ver_due": 3, "ffu_met": 2, "ffu_due": 3, "res_met": 2, "res_due": 2,
        "escalated": 1, "rating_count": 2, "rating_ge4": 1,
    }  # fmt: skip
    assert {name: totals[name] for name in expected} == expected
    for name, count in expected.items():
        assert _listed(client, links[name]) == count, name
    client.force_login(head)
    missed = client.get(links["ffu_due"].replace("%3Ajudged", "%3Amissed")).context["cl"].result_list
    assert [r.pk for r in missed] == [late.pk]
    assert {r.pk for r in client.get(links["rating_ge4"]).context["cl"].result_list} == {on_time.pk}
    assert grumpy.pk in {r.pk for r in client.get(links["rating_count"]).context["cl"].result_list}
    for row in figures["durations"]:
        assert _listed(client, row["link"]) == row["count"], row["measure"]
    for row in figures["trend"]["rows"]:
        for name in ("received", "followed_up", "completed"):
            assert _listed(client, row["links"][name]) == row[name], (row["bucket"], name)
    html = _get(client, head).content.decode()
    assert f'href="{links["ffu_due"].replace("&", "&amp;")}"' in html


def test_breakdown_links_take_sub_categories_and_child_agency_subtrees(client, national_admin, life, rebuild, tree):
    child = life(at(dt.date(2026, 3, 2)), "accepted").category  # a sub-category
    assert child.parent_id is not None
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    figures = _get(client, national_admin).context["figures"]
    parent_row = next(r for r in figures["by_category"] if r["key"] == child.parent_id)
    assert f"kategori={child.parent_id}" in parent_row["links"]["received"]
    assert _listed(client, parent_row["links"]["received"]) == parent_row["received"] == 1
    bali = next(r for r in figures["by_child"] if r["key"] == tree["bali"].pk)
    # Counted for Dinas Kesehatan Badung, two levels below the province: listed under the province.
    assert _listed(client, bali["links"]["completed"]) == bali["completed"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "tenggat=resolution:sometimes",
        "tenggat=escalated&tenggat_dari=kemarin",
        "tenggat=escalated&tenggat_instansi=x",
        "instansi=badung",
        "kategori=kesehatan",
    ],
)
def test_a_malformed_deadline_filter_is_refused_not_ignored(client, national_admin, query):
    client.force_login(national_admin)
    response = client.get(reverse("admin:complaints_report_changelist") + "?" + query)
    assert response.status_code == 302 and response["Location"].endswith("?e=1")
    page = client.get(response["Location"]).content.decode()
    assert "Saringan pada alamat itu tidak dikenali atau nilainya tidak sah" in page


def test_the_admin_list_offers_the_deadline_and_category_filters(client, agency_admin, make_report):
    make_report()
    client.force_login(agency_admin)
    html = client.get(reverse("admin:complaints_report_changelist")).content.decode()
    assert "?tenggat=first_follow_up%3Amissed" in html and "Tindak lanjut pertama: terlambat" in html
    assert "?tenggat=escalated" in html and "?kategori=" in html


def test_the_scope_agencys_own_row_and_the_national_row_link_to_their_reports(
    client, head, national_admin, life, rebuild, tree, monkeypatch
):
    life(at(dt.date(2026, 3, 2)), "submitted", suggested_agency=tree["badung"])  # waits at Badung's own desk
    monkeypatch.setattr(routing, "route", lambda *place: (None, routing.Reason.NONE))  # LAPOR found no agency
    life(at(dt.date(2026, 3, 3)), "submitted", suggested_agency=None)  # the national admins verify it
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    figures = _get(client, head).context["figures"]
    own = next(r for r in figures["by_child"] if r["held"] == "self")
    assert own["received"] == 1 and _listed(client, own["links"]["received"]) == 1
    figures = _get(client, national_admin).context["figures"]
    unassigned = next(r for r in figures["by_child"] if r["held"] == "national")
    assert unassigned["received"] == 1 and _listed(client, unassigned["links"]["received"]) == 1


def test_trend_chart_dates_are_in_the_visitors_language(client, head, histories):
    labels = _get(client, head).context["chart_data"]["trend"]["labels"]
    assert labels[:2] == ["23 Feb 2026", "2 Mar 2026"]  # weekly buckets start on Mondays
    monthly = _get(client, head, start="2026-01-01", end="2026-06-30").context["chart_data"]["trend"]["labels"]
    assert monthly == ["Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026", "Mei 2026", "Jun 2026"]
    english = client.get("/en" + URL, {"start": "2026-05-01", "end": "2026-12-31"}).context["chart_data"]
    assert english["trend"]["labels"][:4] == ["May 2026", "Jun 2026", "Jul 2026", "Aug 2026"]
    translation.activate(settings.LANGUAGE_CODE)  # a request to /en/ leaves English active in this thread


def test_list_links_follow_the_visitors_language(client, head, histories):
    """The admin list's path is reversed once per language: each language keeps its own prefix."""
    client.force_login(head)
    for prefix in ("/en", "", "/en"):
        html = client.get(prefix + URL, PERIOD).content.decode()
        other = "" if prefix else "/en"
        assert html.count(f'href="{prefix}/admin/complaints/report/?') > 50
        assert f'href="{other}/admin/complaints/report/?' not in html
    translation.activate(settings.LANGUAGE_CODE)  # a request to /en/ leaves English active in this thread


def test_a_subtrees_children_sum_its_day_rows_per_agency_without_joining_the_agencies(histories, tree):
    """The ranking of a subtree's children (and its own desk): each child's figures are the sums of the day
    rows of every agency below it, read per agency and summed by the agency's branch in Python, with no
    per-row join to the agencies' paths (SUBSTRING(path) over every day row at 2,000,000 reports)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agencies.models import Agency
    from dashboards import figures
    from dashboards.models import COUNTERS, DailyStat

    first, last = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    for root in (tree["bali"], tree["badung"], tree["dinkes"]):
        with CaptureQueriesContext(connection) as ctx:
            by_child = figures.compute(figures.Scope(root), first, last)["by_child"]
        assert not any("SUBSTR" in q["sql"].upper() for q in ctx.captured_queries)
        expected = {}
        for row in DailyStat.objects.filter(date__range=(first, last), agency__path__startswith=root.path):
            branch = Agency.objects.get(pk=row.agency_id).path[: len(root.path) + 8]
            sums = expected.setdefault(branch, dict.fromkeys(COUNTERS, 0))
            for name in COUNTERS:
                sums[name] += getattr(row, name)
        paths = {a.pk: a.path for a in Agency.objects.filter(pk__in=[r["key"] for r in by_child if r["key"]])}
        shown = {(root.path if r["held"] == "self" else paths[r["key"]]): {n: r[n] for n in COUNTERS} for r in by_child}
        assert expected and shown == expected


def test_a_subtrees_figures_are_its_day_rows_summed_by_every_cut_in_one_read(tree):
    """Totals, categories (under their parent), provinces (by name), classifications, channels, the ranking
    and the trend are each the sums of the subtree's day rows of the period; on PostgreSQL one statement
    reads those rows for all of them (GROUPING SETS), not one statement per cut, each reading them again
    (seven at 2,000,000 reports: 4.8 ms of a first view's database time, growing with the rows)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from agencies.models import Agency, Region
    from complaints.models import Category, Channel, Classification
    from dashboards import figures
    from dashboards.models import COUNTERS, DailyStat

    first, last = dt.date(2026, 3, 1), dt.date(2026, 3, 31)
    children = list(Category.objects.filter(parent__isnull=False).select_related("parent").order_by("pk")[:4])
    tops = list(Category.objects.filter(parent__isnull=True).order_by("pk")[:2])
    provinces = list(Region.objects.filter(level=Region.Level.PROVINCE).order_by("code")[:2])
    agencies = [tree["badung"], tree["dinkes"], tree["unit"], tree["sleman"]]
    rows = []
    for n in range(120):
        rows.append(
            DailyStat(
                date=first + dt.timedelta(days=n % 40 - 5),  # some before and after the period
                agency=agencies[n % 4],
                category=[*children, *tops, None][n % 7],
                province=[*provinces, None][n % 3],
                classification=list(Classification)[n % 3],
                channel=list(Channel)[n % 5],
                received=n % 4,
                completed=n % 3,
                followed_up=n % 2,
                ver_due=2,
                ver_met=n % 3,
                rating_sum=n % 5,
                rating_count=1,
            )
        )
    DailyStat.objects.bulk_create(rows)
    subtree = {a.pk for a in Agency.objects.filter(path__startswith=tree["badung"].path)}
    mine = [r for r in rows if first <= r.date <= last and r.agency_id in subtree]

    def sums(by):
        out = {}
        for r in mine:
            into = out.setdefault(by(r), dict.fromkeys(COUNTERS, 0))
            for name in COUNTERS:
                into[name] += getattr(r, name)
        return out

    def shown(cut, key="key"):
        return {r[key]: {n: r[n] for n in COUNTERS} for r in result[cut]}

    with CaptureQueriesContext(connection) as ctx:
        result = figures.compute(figures.Scope(tree["badung"]), first, last)
    if connection.vendor == "postgresql":
        assert len([q for q in ctx.captured_queries if "dashboards_dailystat" in q["sql"]]) == 1
        # The categories' names come with their sums, not from a read of the categories of their own.
        assert [q for q in ctx.captured_queries if "complaints_category" in q["sql"]] == [
            q for q in ctx.captured_queries if "dashboards_dailystat" in q["sql"]
        ]
    assert {n: result["totals"][n] for n in COUNTERS} == sums(lambda r: None)[None]
    assert shown("by_classification") == sums(lambda r: r.classification)
    assert shown("by_channel") == sums(lambda r: r.channel)
    group = {c.pk: (c.parent_id or c.pk) for c in Category.objects.all()}
    assert shown("by_category") == sums(lambda r: group.get(r.category_id))
    labels = {c.pk: c.label for c in Category.objects.filter(pk__in=group.values())}
    assert {r["key"]: r["label"] for r in result["by_category"]} == {
        k: labels.get(k, "—") for k in shown("by_category")
    }
    with translation.override("en"):  # Category.label: the English name where the data has one
        english = {
            r["key"]: r["label"] for r in figures.compute(figures.Scope(tree["badung"]), first, last)["by_category"]
        }
        labels = {c.pk: c.label for c in Category.objects.filter(pk__in=group.values())}
    assert english == {k: labels.get(k, "—") for k in shown("by_category")}
    assert shown("by_province") == sums(lambda r: r.province_id)
    names = {p.code: p.name for p in provinces}
    assert {r["key"]: r["label"] for r in result["by_province"]} == {k: names.get(k, "—") for k in names} | {None: "—"}
    by_child = {r["key"]: {n: r[n] for n in COUNTERS} for r in result["by_child"]}
    badung = sums(lambda r: r.agency_id)
    assert by_child == {
        None: badung[tree["badung"].pk],
        tree["dinkes"].pk: {n: badung[tree["dinkes"].pk][n] + badung[tree["unit"].pk][n] for n in COUNTERS},
    }
    weeks = sums(lambda r: r.date - dt.timedelta(days=r.date.weekday()))
    trend = {
        r["bucket"]: (r["received"], r["completed"], r["followed_up"])
        for r in result["trend"]["rows"]
        if any((r["received"], r["completed"], r["followed_up"]))
    }
    assert trend == {
        week: (s["received"], s["completed"], s["followed_up"])
        for week, s in weeks.items()
        if any((s["received"], s["completed"], s["followed_up"]))
    }
    # Every cut in the order the page shows it: the most received first.
    for cut in ("by_classification", "by_channel", "by_category", "by_province"):
        assert [r["received"] for r in result[cut]] == sorted((r["received"] for r in result[cut]), reverse=True)


def test_a_links_query_is_its_parameters_urlencoded():
    """The links' query strings are urlencode's, each text quoted once per process rather than on each of a
    dashboard's 400-odd links: spaces, '+' of a UTC offset, '&', '=', non-ASCII and numbers alike."""
    from urllib.parse import urlencode

    from dashboards.links import counter_links, report_list_url

    params = {"created_at__gte": "2026-10-31T17:00:00+00:00", "q": "a b&c=d", "kategori": 7, "nama": "Déwi/İ"}
    for _twice in range(2):
        assert report_list_url(params) == reverse("admin:complaints_report_changelist") + "?" + urlencode(params)
    with translation.override("en"):
        url = report_list_url({"status": "completed"})
        assert url == reverse("admin:complaints_report_changelist") + "?status=completed"
    links = counter_links({"instansi": 3}, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert links["completed"].endswith(
        "?"
        + urlencode(
            {
                "instansi": 3,
                "status": "completed",
                "closed_at__gte": "2026-02-28T17:00:00+00:00",
                "closed_at__lt": "2026-03-31T17:00:00+00:00",
            }
        )
    )


def test_children_tied_on_score_and_received_are_ranked_by_name(tree):
    """The ranking of a subtree's children: by score, then received, then name — not in whatever order the
    database summed them (a ranking page must not reshuffle ties)."""
    from agencies.models import Agency
    from dashboards import figures
    from dashboards.models import DailyStat

    first = dt.date(2026, 3, 2)
    children = list(Agency.objects.filter(parent=tree["badung"]).order_by("-name"))
    extra = [Agency.objects.create(code=f"tie-{n}", name=f"Dinas Uji {n}", parent=tree["badung"]) for n in "CAB"]
    for agency in [*children, *extra]:
        DailyStat.objects.create(date=first, agency=agency, received=3, res_due=2, res_met=1)
    by_child = figures.compute(figures.Scope(tree["badung"]), first, first)["by_child"]
    ranked = [r["label"] for r in by_child if r["key"] is not None]
    assert len(ranked) == len(children) + 3 and ranked == sorted(ranked)
