"""lapor.prepared: a hot queryset's SQL built once per process and shape, the same rows as the ORM."""

import pytest

from agencies.models import Agency
from lapor.prepared import Prepared

pytestmark = pytest.mark.django_db


def test_same_rows_as_the_orm_and_the_sql_built_once_per_shape(tree):
    built = []

    def build(kind, ids):
        built.append((kind, tuple(ids)))
        return Agency.objects.filter(kind=kind, pk__in=ids).order_by("pk").values_list("pk", "code", "is_active")

    prepared = Prepared(build)
    agencies = list(Agency.objects.order_by("pk"))
    for kind, ids in [
        ("regency", [a.pk for a in agencies[:40]]),
        ("opd", [a.pk for a in agencies[:40]]),  # the same shape: not built again
        ("regency", [tree["badung"].pk]),
        ("province", []),
        ("province", [tree["bali"].pk, tree["diy"].pk, tree["badung"].pk]),
    ]:
        expected = list(
            Agency.objects.filter(kind=kind, pk__in=ids).order_by("pk").values_list("pk", "code", "is_active")
        )
        assert [(pk, code, bool(active)) for pk, code, active in prepared.rows(kind=kind, ids=ids)] == expected
    assert [len(ids) for _kind, ids in built] == [40, 1, 0, 3]


def test_a_stand_in_the_orm_rewrites_is_refused():
    # icontains wraps the value in %…%: its slot would be lost, so the statement is never used.
    prepared = Prepared(lambda name: Agency.objects.filter(name__icontains=name).values_list("pk"))
    with pytest.raises(RuntimeError, match="stand-ins not found"):
        prepared.rows(name="Badung")
    with pytest.raises(TypeError):
        Prepared(lambda when: Agency.objects.filter(pk=when)).sql(when=1.5)
