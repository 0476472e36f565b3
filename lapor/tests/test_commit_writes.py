"""lapor/commit_writes.py: the Redis writes of a submission's commit — the holders' versions
(complaints/holders.py) and the worker's message (lapor/queue.py) — sent in one round trip, each with
its own way out when Redis does not take it."""

import datetime as dt
import json
import os

import pytest
import redis
from django.core.cache import cache, caches
from django.db import connection
from redis.exceptions import ResponseError

from agencies.models import Region
from complaints import holders, workflow
from complaints.models import Category, Report, tracking_number_for
from complaints.tests.test_tasks import needs_postgres, needs_redis, reload_reference
from lapor import commit_writes

__all__ = ["reload_reference"]  # fixture


def test_without_a_batch_a_write_is_not_taken():
    assert not commit_writes.is_open()
    assert commit_writes.add(lambda pipe: None, lambda: None) is False  # the caller writes at once


@pytest.mark.parametrize(
    ("replies", "fallbacks"),
    [
        (None, ["versions", "message"]),  # Redis down: nothing was written, each goes its own way
        ([True, ResponseError("OOM")], ["message"]),  # one refused: only its own
        ([True, 3], []),
    ],
)
def test_a_write_redis_did_not_take_goes_its_own_way(monkeypatch, replies, fallbacks):
    sent, ran = [], []
    monkeypatch.setattr(caches["default"], "pipeline", lambda fill: sent.append(fill) or replies, raising=False)
    commit_writes.send(
        [
            (lambda pipe: pipe.mset({}), lambda: ran.append("versions")),
            (lambda pipe: pipe.lpush("celery", "m"), lambda: ran.append("message")),
        ]
    )
    assert len(sent) == 1  # one pipeline for both
    assert ran == fallbacks


def test_a_batch_that_cannot_be_built_leaves_each_write_to_its_own_way(monkeypatch, caplog):
    ran = []

    def broken(fill):
        raise TypeError("not a Redis error")

    monkeypatch.setattr(caches["default"], "pipeline", broken, raising=False)
    commit_writes.send(
        [(lambda pipe: None, lambda: ran.append("versions")), (lambda pipe: None, lambda: ran.append("message"))]
    )
    assert ran == ["versions", "message"]  # nothing raised to the request, whose action is committed
    assert "each goes its own way" in caplog.text


@pytest.fixture
def celery_list():
    """Celery's queue in the test Redis, a raw client on it: empty before the test and after it."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.delete("celery")
    yield client
    client.delete("celery")


def _commands_sent(monkeypatch) -> list[bytes]:
    """Every packet this process sends to Redis from now on (one per round trip)."""
    sent = []
    original = redis.connection.AbstractConnection.send_packed_command

    def recording(self, command, check_health=True):
        sent.append(command if isinstance(command, bytes) else b"".join(command))
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", recording)
    return sent


def _submit(citizen, key):
    return workflow.submit(
        by=citizen,
        classification="complaint",
        title="Antrean puskesmas sangat lama",
        body="Saya menunggu lima jam di Puskesmas Kuta tanpa kejelasan.",
        event_date=dt.date(2026, 1, 5),
        province=Region.objects.get(code="51"),
        regency=Region.objects.get(code="51.03"),
        category=Category.objects.get(code="kesehatan-puskesmas"),
        submission_key=key,
    )


@pytest.mark.postgres
@pytest.mark.redis
@needs_postgres
@needs_redis
def test_a_submissions_commit_sends_the_holders_versions_and_its_message_in_one_round_trip(
    reload_reference, transactional_db, citizen, tree, monkeypatch, celery_list
):
    client = celery_list
    before = holders.version([holders.ALL])
    sent = _commands_sent(monkeypatch)
    report = _submit(citizen, "one-round-trip")
    monkeypatch.undo()
    together = [packet for packet in sent if b"MSET" in packet and b"LPUSH" in packet]
    assert len(together) == 1, sent
    assert not any(b"MULTI" in packet for packet in sent)
    assert holders.version([holders.ALL]) != before  # the versions moved, before submit() returned
    [raw] = client.lrange("celery", 0, -1)  # the worker's message, as Celery sends it
    message = json.loads(raw)
    assert message["headers"]["task"] == "complaints.tasks.report_arrived"
    assert message["headers"]["argsrepr"].startswith(f"({report.pk}, [")


@pytest.mark.postgres
@pytest.mark.redis
@needs_postgres
@needs_redis
def test_a_submission_inside_an_outer_transaction_writes_at_that_ones_commit(
    reload_reference, transactional_db, citizen, tree, monkeypatch, celery_list
):
    from django.db import transaction

    client = celery_list
    before = holders.version([holders.ALL])
    with transaction.atomic():
        _submit(citizen, "nested")
        assert client.llen("celery") == 0  # nothing before the outer commit
    assert holders.version([holders.ALL]) != before
    assert client.llen("celery") == 1
    assert cache.get("holders:v:all") is not None


@needs_postgres  # the id is drawn before the INSERT
def test_a_number_held_by_a_report_numbered_before_is_skipped_not_a_failed_submission(db, citizen, tree):
    """#15 review F1: reports filed before the id-derived numbers hold random ones; when one of them holds
    the number of the id drawn, the submission takes the next id (and its number) instead of a 500."""
    legacy = _submit(citizen, "legacy-1")
    with connection.cursor() as cur:
        cur.execute("SELECT nextval(pg_get_serial_sequence('complaints_report', 'id'))")
        (n,) = cur.fetchone()
    Report.objects.filter(pk=legacy.pk).update(tracking_no=tracking_number_for(n + 1))
    report = _submit(citizen, "new-one")
    assert report.pk > n + 1
    assert report.tracking_no == tracking_number_for(report.pk) != tracking_number_for(n + 1)
    assert Report.objects.filter(submission_key="new-one").get().tracking_no == report.tracking_no
    assert Report.objects.get(pk=legacy.pk).tracking_no == tracking_number_for(n + 1)
    assert Report.objects.count() == 2
    assert report.events.filter(action="submit").count() == 1
