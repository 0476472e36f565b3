"""The versions of the reports each agency holds (complaints/holders.py)."""

import pytest
from django.core.cache import cache
from django.db import transaction

from complaints import holders

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_a_change_moves_the_version_of_its_holders_and_the_country_only(django_capture_on_commit_callbacks):
    mine, other, country = holders.version([1, 2]), holders.version([3]), holders.version([holders.ALL])
    with django_capture_on_commit_callbacks(execute=True):
        holders.changed(2)
    assert holders.version([1, 2]) != mine
    assert holders.version([3]) == other
    assert holders.version([holders.ALL]) != country


def test_a_lost_version_is_never_read_as_an_earlier_one(django_capture_on_commit_callbacks):
    first = holders.version([7])
    with django_capture_on_commit_callbacks(execute=True):
        holders.changed(7)
    second = holders.version([7])
    cache.delete(holders._key(7))  # evicted, or the cache flushed
    assert holders.version([7]) not in (first, second)


def test_the_version_moves_when_the_change_commits(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        holders.changed(5)
        during = holders.version([5])  # a concurrent view may count the rows before the commit under this
    assert holders.version([5]) != during


def test_a_rolled_back_change_does_not_swallow_the_next_ones_bump_at_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        with pytest.raises(Boom), transaction.atomic():
            holders.changed(8)
            raise Boom
        with transaction.atomic():
            holders.changed(9)
    assert any(isinstance(c, holders._AtCommit) and 9 in c.ids for c in callbacks)


def _writes(monkeypatch) -> list[set]:
    written = []
    bump = holders._bump
    monkeypatch.setattr(holders, "_bump", lambda ids: (written.append(set(ids)), bump(ids)))
    return written


def test_a_change_in_a_transaction_is_written_once_at_the_commit_and_seen_at_once_by_its_own_reads(
    django_capture_on_commit_callbacks, monkeypatch
):
    written = _writes(monkeypatch)
    mine, other = holders.version([4]), holders.version([6])
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        holders.changed(4)
        seen = holders.version([4])
        assert seen != mine  # the transaction's own read counts again
        assert holders.version([6]) == other  # another subtree's does not
        holders.changed(4, None)
        assert holders.version([4]) != seen  # nor is a figure read between two changes kept past the second
        assert written == []  # nothing written to the cache before the commit
    assert written == [{4, None}]  # one cache round trip, at the commit
    assert holders.version([4]) not in (mine, seen)
    assert holders.version([6]) == other


def test_a_change_elsewhere_in_the_same_transaction_does_not_move_a_scopes_version(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(), transaction.atomic():
        holders.changed(4)
        counted = holders.version([4])  # a figure of agency 4's subtree kept under this
        holders.changed(6)
        assert holders.version([4]) == counted
        assert holders.version([6, 4]) != counted


def test_a_rolled_back_change_leaves_the_transactions_own_reads_where_they_were(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(), transaction.atomic():
        holders.changed(4)
        before = holders.version([4])
        with pytest.raises(Boom), transaction.atomic():
            holders.changed(4)
            inside = holders.version([4])  # a figure counted from rows about to be rolled back
            assert inside != before
            raise Boom
        assert holders.version([4]) == before  # never the rolled back rows' figure


def test_a_change_outside_a_transaction_is_written_at_once(monkeypatch):
    written = []
    monkeypatch.setattr(holders, "_bump", written.append)
    monkeypatch.setattr(transaction.get_connection(), "in_atomic_block", False)  # autocommit
    holders.changed(3)
    assert written == [{3}]
