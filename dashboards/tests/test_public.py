"""Public statistics: no login, never a confidential report, formulas explained, bounded tables."""

import datetime as dt

import pytest
from django.urls import reverse

from .conftest import at

PERIOD = {"start": "2026-03-01", "end": "2026-03-31"}


@pytest.fixture
def histories(life, rebuild, tree):
    life(at(dt.date(2026, 3, 2)), "accepted", rating=4)
    life(at(dt.date(2026, 3, 3)), "accepted", rating=1, is_confidential=True)
    life(at(dt.date(2026, 3, 4)), "submitted", is_confidential=True, suggested_agency=tree["sleman"])
    life(at(dt.date(2026, 3, 5)), "submitted", suggested_agency=tree["sleman"])
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))


def test_national_statistics_exclude_confidential_reports(client, histories):
    response = client.get(reverse("statistik:public"), PERIOD)
    assert response.status_code == 200
    totals = response.context["figures"]["totals"]
    assert totals["received"] == 2
    assert totals["completed"] == 1 and totals["rating_sum"] == 4
    assert sum(r["count"] for r in response.context["figures"]["funnel"]) == 2
    assert "/admin/" not in response.content.decode()  # no links to staff lists


def test_agency_scorecard_excludes_confidential_reports(client, histories, tree):
    response = client.get(reverse("statistik:agency", args=["pemkab-badung"]), PERIOD)
    assert response.status_code == 200
    assert response.context["figures"]["totals"]["received"] == 1
    response = client.get(reverse("statistik:agency", args=["pemkab-sleman"]), PERIOD)
    assert response.context["figures"]["totals"]["received"] == 1


def test_unknown_agency_is_404(client, db):
    assert client.get(reverse("statistik:agency", args=["tidak-ada"])).status_code == 404


def test_formulas_are_explained_in_indonesian(client, histories):
    html = client.get(reverse("statistik:public"), PERIOD).content.decode()
    assert "Cara menghitung" in html
    assert "40% × persentase diselesaikan tepat waktu" in html
    assert "Laporan rahasia tidak pernah dihitung" in html


def test_comparison_table_lists_top_level_agencies_paginated(client, histories, tree):
    response = client.get(reverse("statistik:public"), PERIOD)
    ranking = response.context["ranking"]
    assert ranking.per_page == 25
    labels = {row["label"] for row in ranking.object_list}
    assert tree["bali"].name in labels and tree["diy"].name in labels
    assert reverse("statistik:agency", args=["pemprov-bali"]) in response.content.decode()
    provinces = {row["label"] for row in response.context["figures"]["by_province"]}
    assert "Bali" in provinces or "BALI" in {p.upper() for p in provinces}


def test_public_page_query_count_does_not_grow_with_reports(client, life, rebuild, django_assert_max_num_queries):
    def grow(n, day):
        for i in range(n):
            life(at(dt.date(2026, 3, day + i % 5)), ["accepted", "transferred", "returned"][i % 3])
        rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))

    grow(2, 2)
    with django_assert_max_num_queries(14) as first:  # the figure queries; no session or user
        assert client.get(reverse("statistik:public"), PERIOD).status_code == 200
    grow(6, 9)
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(reverse("statistik:public"), PERIOD).status_code == 200


def test_a_report_made_confidential_weeks_later_leaves_the_public_figures_of_its_days(
    client, life, rebuild, national_admin, django_capture_on_commit_callbacks
):
    """Held for details, verified and marked confidential 40 days after it was filed: the days it was
    counted on (long before the rebuild window) are rebuilt without it in the public figures."""
    import time_machine

    from complaints import workflow
    from dashboards import aggregation
    from lapor.celery import app as celery_app

    report = life(at(dt.date(2026, 3, 2)), "submitted")
    rebuild(dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert client.get(reverse("statistik:public"), PERIOD).context["figures"]["totals"]["received"] == 1
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True  # the rebuild task runs in-process (CI has a real broker)
    try:
        with (
            time_machine.travel(at(dt.date(2026, 4, 13)), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            workflow.verify(report, by=national_admin, complaint_kind="normative", is_confidential=True)
    finally:
        celery_app.conf.task_always_eager = eager
    aggregation.bump_generation()
    assert client.get(reverse("statistik:public"), PERIOD).context["figures"]["totals"]["received"] == 0
