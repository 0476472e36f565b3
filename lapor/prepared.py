"""Querysets on the hot path whose SQL the ORM builds once per process, then reused with new values.

Building a queryset's SQL (cloning, resolving lookups and joins, compiling every selected column)
costs 1–3 ms of CPU here, more than PostgreSQL takes to run a small query; a citizen's submission
paid it for every statement (issue #15). `Prepared(build)` keeps the queryset defined by the ORM, in
one place: `build(**stand_ins)` returns it, compiled once per database and *shape* (how many values
each list has) with unique stand-ins in place of the values, and each call puts its own values in
the stand-ins' parameter slots. A stand-in the ORM changed or dropped on its way into the SQL is
refused when the statement is first built, never silently ignored.

Rows are the database driver's values: only for columns that need no conversion (integers, text,
booleans — SQLite gives 0/1).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

_counter = itertools.count(1)
_EMPTY = ("", (), ())  # a query that matches nothing whatever the values


class Prepared:
    def __init__(self, build: Callable[..., QuerySet], using: str = "default"):
        self.build = build
        self.using = using
        self._compiled: dict[tuple, tuple[str, tuple, tuple]] = {}

    def sql(self, **values) -> tuple[str, list]:
        """(SQL, parameters) of build(**values); EmptyResultSet, as from Django, when it can match
        nothing (an empty list in an `__in`)."""
        shape = tuple(
            (name, len(value) if isinstance(value, list | tuple) else None) for name, value in sorted(values.items())
        )
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compiled[shape] = self._compile(values)
        if compiled is _EMPTY:
            raise EmptyResultSet
        sql, params, slots = compiled
        return sql, [param if slot is None else _value(values, slot) for param, slot in zip(params, slots, strict=True)]

    def rows(self, **values) -> list[tuple]:
        try:
            sql, params = self.sql(**values)
        except EmptyResultSet:
            return []
        with connections[self.using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    def _compile(self, values: dict) -> tuple[str, tuple, tuple]:
        stand_ins, slot_of = {}, {}
        for name, value in values.items():
            if isinstance(value, list | tuple):
                stand_ins[name] = [_stand_in(item) for item in value]
                slot_of.update({(type(s), s): (name, i) for i, s in enumerate(stand_ins[name])})
            else:
                stand_ins[name] = _stand_in(value)
                slot_of[type(stand_ins[name]), stand_ins[name]] = (name, None)
        try:
            sql, params = self.build(**stand_ins).query.sql_with_params()
        except EmptyResultSet:
            return _EMPTY
        slots = tuple(slot_of.get((type(param), param)) for param in params)
        found = [slot for slot in slots if slot is not None]
        if sorted(found, key=repr) != sorted(slot_of.values(), key=repr):
            raise RuntimeError(f"prepared query: stand-ins not found once each in its parameters {params!r}")
        return sql, tuple(params), slots


def _stand_in(value):
    """A value of the same type nobody would write: a large negative integer, or text with unit separators."""
    n = next(_counter)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"prepared query: only integer and text values can be stood in for, not {value!r}")
    return -(10**15) - n if isinstance(value, int) else f"\x1fstand-in {n}\x1f"


def _value(values: dict, slot: tuple):
    name, index = slot
    return values[name] if index is None else values[name][index]
