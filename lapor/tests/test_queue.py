"""lapor.queue.after_commit: the one way work reaches the worker (queued after the commit; a broker
that is down is logged and answered by the caller's fallback, never by a failed action)."""

import logging

import pytest
from django.db import transaction

from lapor.queue import after_commit, registered_task


def test_tasks_are_found_by_name_without_importing_their_module():
    assert registered_task("complaints.tasks.deliver_notifications").name == "complaints.tasks.deliver_notifications"
    with pytest.raises(KeyError):
        after_commit("complaints.tasks.no_such_task")


@pytest.mark.django_db
def test_queued_only_after_the_commit(monkeypatch, django_capture_on_commit_callbacks):
    sent = []
    task = registered_task("complaints.tasks.deliver_notifications")
    monkeypatch.setattr(task, "delay", lambda *args: sent.append(args))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        after_commit("complaints.tasks.deliver_notifications", [1, 2])
        assert sent == []
    assert sent == [([1, 2],)]


@pytest.mark.django_db
def test_a_broker_outage_is_logged_and_answered_by_the_fallback(
    broker_down, caplog, django_capture_on_commit_callbacks
):
    fallbacks = []
    with caplog.at_level(logging.WARNING, logger="lapor.queue"), django_capture_on_commit_callbacks(execute=True):
        after_commit("complaints.tasks.deliver_notifications", [7], fallback=lambda: fallbacks.append("ran"))
        after_commit("complaints.tasks.deliver_notifications", [8])  # no fallback: only logged
    assert fallbacks == ["ran"]
    assert [r.getMessage() for r in caplog.records] == [
        "Could not queue complaints.tasks.deliver_notifications([7],)",
        "Could not queue complaints.tasks.deliver_notifications([8],)",
    ]
