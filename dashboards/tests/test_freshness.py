"""Every figure says how fresh it is, the "current status" is current, and the embedded mode (no beat)
keeps the figures in step with the reports without a manual rebuild."""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import dateformat, translation

from complaints import workflow
from dashboards import aggregation

URL = reverse("dashboards:dashboard")


def _today() -> dict:
    today = aggregation.stats_date(dt.datetime.now(dt.UTC)).isoformat()
    return {"start": today, "end": today}


def _listed(client, link) -> int:
    response = client.get(link)
    assert response.status_code == 200, link
    return response.context["cl"].result_count


def _figures(client, head):
    client.force_login(head)
    return client.get(URL, _today()).context["figures"]


def test_embedded_mode_dashboard_matches_its_lists_after_each_action(
    client, settings, head, national_admin, make_report
):
    settings.LAPOR_STATS_REBUILD_ON_READ = True  # the embedded mode's default: no beat, no manual rebuild
    assert _figures(client, head)["totals"]["received"] == 0

    report = make_report()  # suggested to Badung, the head's agency
    figures = _figures(client, head)
    assert figures["totals"]["received"] == 1 == _listed(client, figures["links"]["received"])
    funnel = {row["status"]: row for row in figures["funnel"]}
    assert funnel["submitted"]["count"] == 1 == _listed(client, funnel["submitted"]["link"])

    workflow.verify(report, by=national_admin)
    figures = _figures(client, head)
    assert figures["totals"]["verified"] == 1 == _listed(client, figures["links"]["verified"])
    funnel = {row["status"]: row for row in figures["funnel"]}
    assert funnel["submitted"]["count"] == 0
    assert funnel["verified"]["count"] == 1 == _listed(client, funnel["verified"]["link"])
    assert figures["counted_until"] >= report.events.latest("pk").created_at


def test_without_rebuild_on_read_the_page_says_until_when_flows_are_counted(client, settings, head, make_report):
    settings.LAPOR_STATS_REBUILD_ON_READ = False  # production: the beat rebuilds every 10 minutes
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    today_starts = aggregation.day_bounds(aggregation.stats_date(now))[0]
    rebuilt = max(
        now - dt.timedelta(minutes=7), today_starts + dt.timedelta(seconds=1)
    )  # today, even just after midnight
    with time_machine.travel(rebuilt, tick=False):
        aggregation.rebuild_recent(days=2)
        aggregation.bump_generation()
    make_report()

    client.force_login(head)
    response = client.get(URL, _today())
    figures = response.context["figures"]
    assert figures["counted_until"] == rebuilt  # the report filed since is not in the flows yet ...
    assert figures["totals"]["received"] == 0
    assert {r["status"]: r["count"] for r in figures["funnel"]}["submitted"] == 1  # ... but is in "status now"
    html = response.content.decode()
    with translation.override("id"):  # the month as the page names it (Des, not Dec)
        moment = dateformat.format(rebuilt.astimezone(aggregation.STATS_TZ), "j M Y, H:i")
    assert html.count(f"Angka ini mencakup kejadian sampai {moment} WIB.") >= 4
    assert "dihitung langsung" not in html
    assert "Status saat ini, dihitung dari laporan pada" in html


def test_a_day_never_built_counts_nothing_and_says_so(settings):
    first = dt.date(2026, 3, 1)
    aggregation.rebuild_range(first, first)
    until = aggregation.counted_until(first, dt.date(2026, 3, 3), now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    assert until == aggregation.day_bounds(dt.date(2026, 3, 2))[0]


pytestmark = pytest.mark.django_db


def _live(client, user):
    client.force_login(user)
    figures = client.get(URL, _today()).context["figures"]
    return {r["status"]: r["count"] for r in figures["funnel"]}, sum(r["count"] for r in figures["backlog"])


def test_the_live_counts_follow_a_report_leaving_and_entering_the_scope_at_the_next_view(
    client, head, make_report, tree, django_capture_on_commit_callbacks
):
    report = make_report()  # held by Badung, the head's agency
    funnel, backlog = _live(client, head)
    assert (funnel["submitted"], backlog) == (1, 1)
    report.agency = tree["sleman"]  # held by another government now: it leaves the head's live counts
    with django_capture_on_commit_callbacks(execute=True):
        report.save(update_fields=["agency"])
    funnel, backlog = _live(client, head)
    assert (funnel["submitted"], backlog) == (0, 0)
    report.agency = tree["dinkes"]  # back inside the head's subtree
    with django_capture_on_commit_callbacks(execute=True):
        report.save()
    funnel, backlog = _live(client, head)
    assert (funnel["submitted"], backlog) == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        report.delete()
    assert _live(client, head)[1] == 0


def test_a_status_saved_alone_shows_at_the_next_view(client, head, make_report, django_capture_on_commit_callbacks):
    report = make_report()
    assert _live(client, head)[0]["submitted"] == 1
    report.status = "verified"
    with django_capture_on_commit_callbacks(execute=True):
        report.save(update_fields=["status"])
    funnel, _backlog = _live(client, head)
    assert (funnel["submitted"], funnel["verified"]) == (0, 1)


def test_a_change_outside_the_scope_does_not_count_the_scopes_live_figures_again(
    client, head, sibling_admin, make_report, tree, monkeypatch, django_capture_on_commit_callbacks
):
    from dashboards import figures

    inside, elsewhere = make_report(), make_report()
    elsewhere.agency = tree["sleman"]
    elsewhere.save()
    assert _live(client, head)[1] == 1
    assert _live(client, sibling_admin)[1] == 1  # each scope its own figures, never the other's
    counted = []
    real = figures.compute_scope_live
    monkeypatch.setattr(figures, "compute_scope_live", lambda scope: counted.append(scope) or real(scope))
    with django_capture_on_commit_callbacks(execute=True):
        elsewhere.save()  # a change in Sleman only
    assert _live(client, head)[1] == 1 and counted == []  # kept: Badung's reports did not change
    assert _live(client, sibling_admin)[1] == 1 and len(counted) == 1  # Sleman's are counted again
    with django_capture_on_commit_callbacks(execute=True):
        inside.save()
    assert _live(client, head)[1] == 1 and len(counted) == 2


def test_the_public_page_of_the_heads_agency_never_shows_the_heads_kept_live_counts(client, head, make_report):
    make_report(is_confidential=True)  # Rahasia: the head counts it, the public never does
    assert _live(client, head)[1] == 1
    client.logout()
    figures = client.get(reverse("statistik:agency", args=["pemkab-badung"]), _today()).context["figures"]
    assert sum(r["count"] for r in figures["backlog"]) == 0
    assert sum(r["count"] for r in figures["funnel"]) == 0
