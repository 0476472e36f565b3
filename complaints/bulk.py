"""One UPDATE that gives many rows each their own value (the sweep moves hundreds of clocks at once)."""

from __future__ import annotations

from django.db import connections
from django.db.models import Case, Value, When
from django.db.models.functions import Cast


def bulk_set(queryset, field: str, values: dict) -> int:
    """Set `field` of the rows of `queryset` whose pk is in `values` to `values[pk]`, in one UPDATE with
    a CASE expression, as QuerySet.bulk_update builds it (but keeping the queryset's own filter);
    returns the rows changed."""
    if not values:
        return 0
    target = queryset.model._meta.get_field(field)
    whens = [When(pk=pk, then=Value(value, output_field=target)) for pk, value in values.items()]
    expression = Case(*whens, default=None, output_field=target)
    if connections[queryset.db].features.requires_casted_case_in_updates:  # PostgreSQL: CASE of parameters is text
        expression = Cast(expression, output_field=target)
    return queryset.filter(pk__in=list(values)).update(**{field: expression})
