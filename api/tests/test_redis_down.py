"""Item 9 of #14: Redis stops mid-run and the API keeps answering — pushes, the feed, reads,
actions with an Idempotency-Key, reference data and Open311 — with the rate limit failing open
(a logged warning) and counting again once Redis is back.

The Redis is a throwaway redis-server of this test's own on a free loopback port (the shared
Redis on 6379 is never stopped)."""

import json
import logging

from django.core.cache import cache

from api.tests.conftest import report_payload
from complaints import workflow
from complaints.models import Report
from lapor.tests.throwaway_redis import needs_redis_server

URL = "/api/v1/reports"


def _calls(api, client, raw_key, tracking_no, n):
    """One of each keyed call the API has; every one must answer without a server error."""
    results = {
        "push": api.post(URL, report_payload(external_id=f"R-{n}")),
        "feed": api.get(URL),
        "detail": api.get(f"{URL}/{tracking_no}"),
        "action": api.client.post(
            f"{URL}/{tracking_no}/follow-ups",
            json.dumps({"note": f"Tindak lanjut {n}"}),
            content_type="application/json",
            headers={**api._headers(), "Idempotency-Key": f"k-{n}"},
        ),
        "regions": client.get("/api/v1/regions"),
        "open311": client.get(f"/open311/v2/requests/{tracking_no}.json", {"api_key": raw_key}),
    }
    return {name: r.status_code for name, r in results.items()}, results


@needs_redis_server
def test_the_api_answers_while_redis_is_stopped_and_counts_again_when_it_is_back(
    throwaway_redis, settings, badung_api, badung_key, client, national_admin, tree, caplog
):
    settings.CACHES = {
        "default": {
            "BACKEND": "lapor.cache.FailSafeRedisCache",
            "LOCATION": throwaway_redis.url,
            "OPTIONS": {"DOWN_SECONDS": 0},
        }
    }
    settings.API_RATE_LIMIT = 50
    cache.set("probe", 1)
    assert cache.get("probe") == 1  # really on the throwaway Redis
    tracking_no = badung_api.post(URL, report_payload()).json()["tracking_no"]
    report = Report.objects.get(tracking_no=tracking_no)
    workflow.verify(report, by=national_admin)
    workflow.dispatch(report, by=national_admin, to_agency=tree["badung"])
    expected = {"push": 201, "feed": 200, "detail": 200, "action": 201, "regions": 200, "open311": 200}

    codes, up = _calls(badung_api, client, badung_key[1], tracking_no, 1)
    assert codes == expected
    counted = int(up["feed"]["RateLimit-Remaining"])
    assert counted < 49  # the window counts in Redis

    throwaway_redis.stop()
    with caplog.at_level(logging.WARNING, logger="lapor.cache"):
        for n in (2, 3):
            codes, down = _calls(badung_api, client, badung_key[1], tracking_no, n)
            assert codes == expected, {k: r.content[:300] for k, r in down.items()}
    # The limit fails open (every request counts as the window's first) and says so in the log.
    assert down["feed"]["RateLimit-Remaining"] == "49"
    assert any("miss" in r.getMessage() for r in caplog.records if r.name == "lapor.cache")
    # An Idempotency-Key lives in the database: a retry during the outage still acts once.
    again = badung_api.client.post(
        f"{URL}/{tracking_no}/follow-ups",
        json.dumps({"note": "Tindak lanjut 3"}),
        content_type="application/json",
        headers={**badung_api._headers(), "Idempotency-Key": "k-3"},
    )
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"

    throwaway_redis.start()
    codes, back = _calls(badung_api, client, badung_key[1], tracking_no, 4)
    assert codes == expected
    assert int(back["feed"]["RateLimit-Remaining"]) < 49  # counting in Redis again
