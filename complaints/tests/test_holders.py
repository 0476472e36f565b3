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
