"""Item 1 of #14: the changes feed, keyset-paged and scoped to the key's agency subtree."""

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from api.tests.conftest import report_payload
from complaints.models import Report

URL = "/api/v1/reports"


@pytest.fixture(autouse=True)
def _no_settle(settings):
    settings.API_FEED_SETTLE_SECONDS = 0


_ids = itertools.count()


def _push(api, n, **extra):
    return [
        api.post(URL, report_payload(external_id=f"F-{next(_ids)}", **extra)).json()["tracking_no"] for _ in range(n)
    ]


def _follow(api, **params):
    seen, pages = [], 0
    response = api.get(URL, **params)
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        seen += [r["tracking_no"] for r in body["results"]]
        pages += 1
        if not body["next_cursor"]:
            return seen, pages
        response = api.get(URL, cursor=body["next_cursor"], limit=params.get("limit", 100))


def test_the_feed_lists_the_keys_reports_page_by_page_in_change_order(badung_api, sleman_api):
    mine = _push(badung_api, 5)
    _push(sleman_api, 2, regency_code="34.04")
    seen, pages = _follow(badung_api, limit=2)
    assert seen == mine and pages == 3
    item = badung_api.get(URL, limit=1).json()["results"][0]
    assert set(item) >= {"tracking_no", "status", "status_label", "updated_at", "agency", "url", "api_url"}


def test_a_report_changed_while_paging_is_seen_again_at_the_end_and_nothing_is_skipped(badung_api, national_admin):
    mine = _push(badung_api, 4)
    first = badung_api.get(URL, limit=2).json()
    assert [r["tracking_no"] for r in first["results"]] == mine[:2]
    # Meanwhile a report of the first page changes, and one of the next page too.
    for no in (mine[0], mine[2]):
        r = Report.objects.get(tracking_no=no)
        r.title = r.title + "!"
        r.save()
    rest, _pages = _follow(badung_api, cursor=first["next_cursor"], limit=2)
    assert rest == [mine[3], mine[0], mine[2]]


def test_updated_since_starts_the_feed_at_that_time(badung_api):
    old = _push(badung_api, 2)
    Report.objects.filter(tracking_no__in=old).update(updated_at=timezone.now() - dt.timedelta(days=3))
    new = _push(badung_api, 1)
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert _follow(badung_api, updated_since=since)[0] == new
    assert _follow(badung_api)[0] == old + new


def test_rows_younger_than_the_settle_time_wait_for_the_next_poll(badung_api, settings):
    _push(badung_api, 1)
    settings.API_FEED_SETTLE_SECONDS = 60
    assert badung_api.get(URL).json()["results"] == []


def test_confidential_reports_are_not_in_the_feed(badung_api):
    _push(badung_api, 1, is_confidential=True)
    assert badung_api.get(URL).json()["results"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "nonsense"},
        {"cursor": "bm90aGluZw"},
        {"updated_since": "yesterday"},
        {"limit": "0"},
        {"limit": "x"},
        {"limit": "501"},
        {"page": "2"},
    ],
)
def test_bad_parameters_are_400_with_a_message(badung_api, params):
    response = badung_api.get(URL, **params)
    assert response.status_code == 400 and response.json()["detail"]


def test_the_feed_needs_a_key(client):
    assert client.get(URL).status_code == 401


def test_a_feed_page_has_a_fixed_number_of_queries(badung_api, django_assert_max_num_queries):
    _push(badung_api, 20)
    with django_assert_max_num_queries(6):
        assert len(badung_api.get(URL).json()["results"]) == 20
