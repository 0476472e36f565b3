"""The agency tree's materialized paths."""

import pytest

from agencies.models import Agency

pytestmark = pytest.mark.django_db


def _agency(code, parent=None):
    return Agency.objects.create(code=code, name=code.title(), kind=Agency.Kind.OPD, parent=parent)


def test_moving_an_agency_rewrites_its_whole_subtree_in_a_fixed_number_of_queries(django_assert_max_num_queries):
    a, b = _agency("induk-a"), _agency("induk-b")
    unit = _agency("dinas", a)
    sections = [_agency(f"seksi-{i}", unit) for i in range(5)]
    leaf = _agency("subseksi", sections[0])
    unit.parent = b
    with django_assert_max_num_queries(6):
        unit.save()
    unit.refresh_from_db()
    assert unit.path == f"{b.path}{unit.pk:07d}." and unit.depth == 1
    for agency in [*sections, leaf]:
        agency.refresh_from_db()
        assert agency.path.startswith(unit.path) and agency.depth == agency.path.count(".") - 1
    assert leaf.path == f"{unit.path}{sections[0].pk:07d}.{leaf.pk:07d}." and leaf.depth == 3
    assert leaf.is_in_subtree_of(b) and not leaf.is_in_subtree_of(a)
