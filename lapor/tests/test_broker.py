"""lapor/broker.py: Celery's Redis transport publishing through one client per channel (issue #15: kombu
built a new Redis client for every message), with the same behaviour when Redis goes away and comes back.
The Redis is a throwaway redis-server of this test's own (lapor/tests/throwaway_redis.py)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from kombu import Connection, Exchange, Queue
from kombu.exceptions import OperationalError

from lapor.tests.throwaway_redis import needs_redis_server

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "socket_timeout": 2}  # as in settings
RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}


def _broker_transport(redis_url: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "DJANGO_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="lapor.settings",
        REDIS_URL=redis_url,
        DATABASE_URL="postgres://u:p@127.0.0.1:5432/lapor",
        DJANGO_SECRET_KEY="s3cret",
        DJANGO_ALLOWED_HOSTS="lapor.go.id",
    )
    probe = "from lapor.celery import app; print(app.conf.broker_transport)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_a_redis_broker_uses_the_kept_client_transport_a_tls_one_kombus_own():
    assert _broker_transport("redis://127.0.0.1:6379/0") == "lapor.broker:Transport"
    # rediss:// keeps kombu's transport: its TLS defaults are chosen by the URL's scheme.
    assert _broker_transport("rediss://127.0.0.1:6380/0") == "None"


def _publish(connection, body):
    exchange = Exchange("lapor-test", type="direct")
    queue = Queue("lapor-test", exchange, routing_key="lapor-test")
    with connection.Producer() as producer:
        producer.publish(
            body, exchange=exchange, routing_key="lapor-test", declare=[queue], retry=True, retry_policy=RETRY
        )
    return queue


def _received(connection, queue) -> list:
    bodies = []
    with connection.SimpleQueue(queue) as simple:
        while True:
            try:
                message = simple.get(block=True, timeout=0.5)
            except simple.Empty:
                return bodies
            bodies.append(message.payload)
            message.ack()


@needs_redis_server
def test_messages_are_published_through_one_client_and_delivered(throwaway_redis, monkeypatch):
    built = []
    original = redis.Redis.__init__

    def counting(self, *args, **kwargs):
        built.append(self)
        original(self, *args, **kwargs)

    with Connection(throwaway_redis.url, transport="lapor.broker:Transport", transport_options=OPTIONS) as conn:
        conn.default_channel  # noqa: B018 — the channel exists before counting starts
        monkeypatch.setattr(redis.Redis, "__init__", counting)
        for n in range(5):
            queue = _publish(conn, {"n": n})
        assert len(built) == 1  # kombu's own channel: one client per message (5)
        monkeypatch.undo()
        assert _received(conn, queue) == [{"n": n} for n in range(5)]


@needs_redis_server
def test_a_publish_while_redis_is_down_fails_and_the_next_after_it_is_back_succeeds(throwaway_redis):
    with Connection(throwaway_redis.url, transport="lapor.broker:Transport", transport_options=OPTIONS) as conn:
        queue = _publish(conn, {"n": "before"})
        throwaway_redis.stop()
        with pytest.raises((OperationalError, *conn.connection_errors)):  # lapor.queue logs it
            _publish(conn, {"n": "while down"})
        throwaway_redis.start()
        _publish(conn, {"n": "after"})
        assert _received(conn, queue) == [{"n": "after"}]  # the first message was lost with the server


# --- lapor.broker.publish: a task's message without Celery's per-call machinery ---------------------


@pytest.fixture
def lapor_broker(throwaway_redis):
    """The project's Celery app publishing to the throwaway Redis through lapor's transport, not eagerly."""
    from lapor.celery import app

    names = ("broker_url", "broker_transport", "task_always_eager")
    before = {name: app.conf[name] for name in names}
    app.conf.update(broker_url=throwaway_redis.url, broker_transport="lapor.broker:Transport", task_always_eager=False)
    app._pool = app.amqp._producer_pool = None
    yield app, redis.Redis.from_url(throwaway_redis.url)
    app.conf.update(before)
    app._pool = app.amqp._producer_pool = None


def _queued_messages(client) -> list[dict]:
    """The messages waiting in Celery's default queue, oldest first, their bodies decoded."""
    import base64
    import json

    messages = [json.loads(raw) for raw in reversed(client.lrange("celery", 0, -1))]
    for message in messages:
        assert message["properties"]["body_encoding"] == "base64"
        message["body"] = json.loads(base64.b64decode(message["body"]))
    return messages


@needs_redis_server
def test_a_task_published_directly_is_the_message_celery_sends_with_its_own_ids(lapor_broker):
    from lapor import broker
    from lapor.queue import registered_task

    app, client = lapor_broker
    task = registered_task("complaints.tasks.report_arrived")
    assert isinstance(task, broker.DirectTask) and broker.can_publish(app)
    task.apply_async((41, [5, 6]))  # Celery's own publish
    result = task.delay(41, [5, 6])  # published directly
    task.delay(42, [])
    celery, mine, other = _queued_messages(client)
    assert mine["headers"]["id"] == result.id
    ids = set()
    for message in (celery, mine, other):
        task_id = message["headers"]["id"]
        assert message["headers"]["root_id"] == message["properties"]["correlation_id"] == task_id
        ids |= {task_id, message["properties"].pop("delivery_tag")}
        for name in ("id", "root_id"):
            del message["headers"][name]
        del message["properties"]["correlation_id"]
    assert len(ids) == 6  # a new task id and delivery tag each
    assert mine == celery  # headers (task, time limits, origin, argsrepr…), properties, routing, body
    assert other["body"][0] == [42, []] and other["headers"]["argsrepr"] == "(42, [])"


@needs_redis_server
def test_when_the_direct_publish_fails_celery_publishes_it(lapor_broker, monkeypatch, caplog):
    import logging

    from lapor import broker
    from lapor.queue import registered_task

    app, client = lapor_broker
    task = registered_task("complaints.tasks.report_arrived")

    def refused(app, task, args):
        raise ConnectionError("Redis went away")

    monkeypatch.setattr(broker, "publish", refused)
    with caplog.at_level(logging.INFO, logger="lapor.broker"):
        result = task.delay(43, [7])
    [message] = _queued_messages(client)
    assert message["headers"]["id"] == result.id and message["body"][0] == [43, [7]]
    assert [r.getMessage() for r in caplog.records] == [
        "Could not publish complaints.tasks.report_arrived(43, [7]) directly; through Celery"
    ]


@needs_redis_server
def test_no_direct_publish_when_tasks_run_eagerly_or_on_another_transport(lapor_broker):
    from lapor import broker

    app, _client = lapor_broker
    assert broker.can_publish(app)
    app.conf.task_always_eager = True
    assert not broker.can_publish(app)
    app.conf.update(task_always_eager=False, broker_transport=None)  # kombu's own (a rediss:// broker)
    assert not broker.can_publish(app)


@needs_redis_server
def test_a_task_pushed_with_other_writes_is_the_message_publish_sends(lapor_broker):
    # lapor/commit_writes.py pushes a submission's message in one pipeline with the holders' versions.
    from lapor import broker
    from lapor.queue import registered_task

    app, client = lapor_broker
    task = registered_task("complaints.tasks.report_arrived")
    published = task.delay(44, [8, 9])
    key, payload, task_id = broker.pushed(app, task, (44, [8, 9]))
    client.lpush(key, payload)
    sent, pushed = _queued_messages(client)
    assert pushed["headers"]["id"] == task_id != published.id
    for message in (sent, pushed):
        del message["headers"]["id"], message["headers"]["root_id"], message["properties"]["correlation_id"]
        del message["properties"]["delivery_tag"]
    assert pushed == sent


@pytest.mark.parametrize(
    "args",
    [
        (123, [4, 5]),
        (2**40, []),
        (7, [1] * 300),
        (1,),
        (),
        (True, [1]),
        (1, [False]),
        ("a'b", [1]),
        (1, (2, 3)),
        (1.5, None),
        (1, [[2]]),
        ("x" * 5000,),
    ],
)
def test_a_messages_argsrepr_is_celerys_saferepr(args):
    # Integers and lists of integers are written as repr() (issue #15); everything else through saferepr.
    from celery.utils.saferepr import saferepr

    from lapor.broker import _argsrepr

    assert _argsrepr(args) == saferepr(args)
