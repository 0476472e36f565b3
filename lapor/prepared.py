"""Querysets on the hot path whose SQL the ORM builds once per process, then reused with new values.

Building a queryset's SQL (cloning, resolving lookups and joins, compiling every selected column)
costs 1–3 ms of CPU here, more than PostgreSQL takes to run a small query; a citizen's submission
paid it for every statement (issue #15). `Prepared(build)` keeps the queryset defined by the ORM, in
one place: `build(**stand_ins)` returns it, compiled once per database and *shape* (how many values
each list has) with unique stand-ins in place of the values, and each call puts its own values in
the stand-ins' parameter slots. A stand-in the ORM changed or dropped on its way into the SQL is
refused when the statement is first built, never silently ignored.

`rows()` gives the database driver's values: only for columns that need no conversion (integers,
text, booleans — SQLite gives 0/1). `objects()` gives model instances as the ORM's own iteration
makes them (each column converted by its field, select_related objects attached, annotations set),
from the statement and the compiler's column map kept with it.

`Prepared(build, keep_plan=True)` and `execute()` go one step further on PostgreSQL: the statement is
also prepared on the server once per connection (PREPARE, then EXECUTE with each call's values), so
PostgreSQL neither parses nor plans it again — planning was most of a small statement's database CPU
(0.3–0.5 ms of the submission's user read and of its audit-chain statement, issue #15). Only for
statements whose best plan does not depend on the values (a row by its key, a chain by its name):
after five executions PostgreSQL may keep one generic plan for every value. Not behind a pooler that
shares server sessions between clients per transaction (PgBouncer's transaction mode), which loses
the prepared statements: LAPOR_KEEP_PLANS=0 turns it off.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from collections.abc import Callable
from contextlib import contextmanager

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections, models, router
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import QuerySet, signals
from django.db.models.query import get_related_populators

_counter = itertools.count(1)
_EMPTY = ("", (), ())  # a query that matches nothing whatever the values


class Loaded:
    """Rows read by Prepared.loaded(), converted as the ORM converts them (tuples): `make(row)` makes one into the
    instance Prepared.objects() gives; `layout` names the columns of a row (the same for every row of
    one statement and shape); `columns`: the model's own attribute names, each with its place in a row."""

    __slots__ = ("rows", "make", "layout", "columns")

    def __init__(self, rows: list, make, layout: tuple, columns: dict[str, int]):
        self.rows, self.make, self.layout, self.columns = rows, make, layout, columns


class Prepared:
    def __init__(self, build: Callable[..., QuerySet], using: str = "default", *, keep_plan: bool = False):
        self.build = build
        self.using = using
        self.keep_plan = keep_plan  # prepared on the server once per connection (execute())
        self._compiled: dict[tuple, tuple[str, tuple, tuple]] = {}
        self._compilers: dict[tuple, object] = {}  # per shape: the compiler that built its SQL (objects())
        self._converters: dict[tuple, dict | None] = {}  # per shape: its columns' converters (objects())
        self._layouts: dict[tuple, tuple] = {}  # per shape: its columns, named (Loaded.layout)

    def sql(self, **values) -> tuple[str, list]:
        """(SQL, parameters) of build(**values); EmptyResultSet, as from Django, when it can match
        nothing (an empty list in an `__in`)."""
        return self._sql(_shape(values), values)

    def _sql(self, shape: tuple, values: dict) -> tuple[str, list]:
        compiled = self._compiled.get(shape)
        if compiled is None:
            compiled = self._compiled[shape] = self._compile(shape, values)
        if compiled is _EMPTY:
            raise EmptyResultSet
        sql, params, slots = compiled
        return sql, [param if slot is None else _value(values, slot) for param, slot in zip(params, slots, strict=True)]

    def objects(self, known: dict | None = None, **values) -> list:
        """The model instances build(**values) would give, made as Django's ModelIterable makes them.
        `known`: {foreign key name: object} set on every instance (what a related manager such as
        `report.events` does), so reading it back costs no query."""
        loaded = self.loaded(known, **values)
        return [loaded.make(row) for row in loaded.rows]

    def loaded(self, known: dict | None = None, **values) -> Loaded:
        """The rows of build(**values), each column converted by its field as objects() converts it,
        with what makes a row into the instance objects() gives: for a caller that needs the instance of
        some rows only (a kept fragment looked up by its row, complaints/fragments.py)."""
        shape = _shape(values)
        try:
            sql, params = self._sql(shape, values)
        except EmptyResultSet:
            return Loaded([], None, (), {})
        compiler = self._compilers[shape]
        with connections[self.using].cursor() as cursor:
            self._execute(cursor, sql, params)
            rows = cursor.fetchall()
        if compiler.has_extra_select:
            rows = [row[: compiler.col_count] for row in rows]
        select, klass_info, annotations = compiler.select, compiler.klass_info, compiler.annotation_col_map
        model = klass_info["model"]
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [column[0].target.attname for column in select[start:end]]
        populators = get_related_populators(klass_info, select, self.using)
        using = self.using

        def make(row):
            obj = model.from_db(using, init_list, row[start:end])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in (annotations or {}).items():
                setattr(obj, name, row[position])
            for name, related in (known or {}).items():
                setattr(obj, name, related)
            return obj

        layout = self._layouts.get(shape)
        if layout is None:
            layout = self._layouts[shape] = tuple(repr(column[0]) for column in select[: compiler.col_count])
        columns = {name: start + i for i, name in enumerate(init_list)}
        converted = [row if type(row) is tuple else tuple(row) for row in self._converted(shape, compiler, rows)]
        return Loaded(converted, make, layout, columns)

    def _converted(self, shape: tuple, compiler, rows: list):
        """`compiler.results_iter([rows])` with the columns' converters found once per shape, not per call
        (finding them asks every selected column and the backend: more than converting 25 rows)."""
        if shape not in self._converters:
            fields = [column[0] for column in compiler.select[: compiler.col_count]]
            composite = compiler.has_composite_fields(fields)
            self._converters[shape] = None if composite else compiler.get_converters(fields)
        converters = self._converters[shape]
        if converters is None:
            return compiler.results_iter([rows])
        return compiler.apply_converters(rows, converters) if converters else rows

    def rows(self, **values) -> list[tuple]:
        try:
            sql, params = self.sql(**values)
        except EmptyResultSet:
            return []
        with connections[self.using].cursor() as cursor:
            self._execute(cursor, sql, params)
            return cursor.fetchall()

    def _execute(self, cursor, sql: str, params: list) -> None:
        if self.keep_plan:
            execute(cursor, sql, params)
        else:
            cursor.execute(sql, params)

    def _compile(self, shape: tuple, values: dict) -> tuple[str, tuple, tuple]:
        stand_ins, slot_of = {}, {}
        for name, value in values.items():
            if isinstance(value, list | tuple):
                stand_ins[name] = [_stand_in(item) for item in value]
                slot_of.update({(type(s), s): (name, i) for i, s in enumerate(stand_ins[name])})
            else:
                stand_ins[name] = _stand_in(value)
                slot_of[type(stand_ins[name]), stand_ins[name]] = (name, None)
        compiler = self.build(**stand_ins).query.get_compiler(using=self.using)
        try:
            sql, params = compiler.as_sql()
        except EmptyResultSet:
            return _EMPTY
        self._compilers[shape] = compiler
        slots = tuple(slot_of.get((type(param), param)) for param in params)
        found = [slot for slot in slots if slot is not None]
        if sorted(found, key=repr) != sorted(slot_of.values(), key=repr):
            raise RuntimeError(f"prepared query: stand-ins not found once each in its parameters {params!r}")
        if self.keep_plan and connections[self.using].vendor == "postgresql":
            return _inline_constants(self.using, sql, params, slots)
        return sql, tuple(params), slots


def _inline_constants(using: str, sql: str, params, slots) -> tuple[str, tuple, tuple]:
    """The statement with its constants (the parameters no call gives a value for) written into its
    text as literals, for a plan kept by the server: PostgreSQL's generic plan estimates
    `role = 'national_admin'` from the column's statistics but `role = $6` as any value, and kept
    planning the submission's staff query anew on every execution for it."""
    with connections[using].cursor() as cursor:
        raw = cursor.cursor
        given = iter(zip(params, slots, strict=True))
        kept_params, kept_slots = [], []

        def placeholder(match) -> str:
            if match.group() == "%%":
                return "%%"
            param, slot = next(given)
            if slot is None:
                return raw.mogrify("%s", [param]).decode().replace("%", "%%")
            kept_params.append(param)
            kept_slots.append(slot)
            return "%s"

        text = _PLACEHOLDER.sub(placeholder, sql)
    return text, tuple(kept_params), tuple(kept_slots)


def _shape(values: dict) -> tuple:
    """What a statement's text depends on besides the query: each value's name, and its length if a list."""
    return tuple(
        (name, len(value) if isinstance(value, list | tuple) else None) for name, value in sorted(values.items())
    )


def _stand_in(value):
    """A value of the same type nobody would write: a large negative integer, or text with unit separators."""
    n = next(_counter)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"prepared query: only integer and text values can be stood in for, not {value!r}")
    return -(10**15) - n if isinstance(value, int) else f"\x1fstand-in {n}\x1f"


def _value(values: dict, slot: tuple):
    name, index = slot
    return values[name] if index is None else values[name][index]


# --- Plans kept by the server -------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%[s%]")


def execute(cursor, sql: str, params) -> None:
    """`cursor.execute(sql, params)`; on PostgreSQL (unless LAPOR_KEEP_PLANS is off) through a statement
    prepared on the server the first time this connection runs `sql`, then EXECUTEd with the values, so
    that it is not parsed and planned again. `sql` is Django's text (%s placeholders, %% for %); its
    parameter types are inferred by PostgreSQL from where they stand (cast them where that is ambiguous).

    The PREPARE is not a query of the request (once per connection; neither counted nor logged); while
    queries are logged (DEBUG, tests) the EXECUTE is logged with `sql` before it as a comment."""
    db = cursor.db
    if db.vendor != "postgresql" or not settings.LAPOR_KEEP_PLANS:
        cursor.execute(sql, params)
        return
    statement = _kept_statement(db, cursor.cursor, sql, params)
    pending = getattr(db, "_lapor_later", None)
    if pending and _no_parallel in db.execute_wrappers:
        _send_queued(db)  # not inside without_parallel_workers' savepoint, which is rolled back
    elif pending:  # writes queued by insert_rows(later=True): sent first, in the same query string
        statement = "; ".join(pending).replace("%", "%%") + "; " + statement
        pending.clear()
    cursor.execute(statement, list(params))


def _kept_statement(db, raw_cursor, sql: str, params) -> str:
    """The EXECUTE of `sql`'s plan kept on this connection (prepared now, through `raw_cursor` — the driver's
    cursor, not Django's wrapper — if it is not yet)."""
    raw = db.connection
    kept = getattr(db, "_lapor_kept_plans", None)
    if kept is None or kept[0] is not raw:  # a new connection: nothing prepared on it yet
        kept = db._lapor_kept_plans = (raw, {})
    names = kept[1]
    name = names.get(sql)
    if name is None:
        numbers = itertools.count(1)
        text = _PLACEHOLDER.sub(lambda m: "%" if m.group() == "%%" else f"${next(numbers)}", sql)
        name = f"lapor_plan_{len(names) + 1}"
        with db.wrap_database_errors:
            raw_cursor.execute(f"PREPARE {name} AS {text}")
        names[sql] = name
    statement = f"EXECUTE {name}({', '.join(['%s'] * len(params))})" if params else f"EXECUTE {name}"
    if db.queries_logged:
        statement = "/* " + sql.replace("*/", "* /").replace("%", "%%") + " */ " + statement
    return statement


# --- Writes sent with the next statement ------------------------------------------------------------


@contextmanager
def writes_sent_with_the_next_statement(using: str = "default"):
    """Inside, on PostgreSQL with kept plans, `insert_rows(..., later=True)` queues its INSERT (the EXECUTE
    of its kept plan, its values merged as psycopg2 merges them) instead of sending it: the queued writes go
    in front of the next statement that execute() sends, in one query string — one round trip, which
    PostgreSQL runs statement after statement in the same transaction. Any other statement (the ORM's)
    first sends what is queued, on its own, so the order of the writes and reads is the order of the
    calls; what is still queued when the block ends is sent then. A queued write that fails (a unique key)
    raises from the statement it travels with, inside the same transaction, which the error rolls back.

    Open it inside the transaction (`with transaction.atomic(), writes_sent_with_the_next_statement():`);
    opened outside one it queues nothing.

    For a transaction's small writes whose results nobody reads (a submission's clock, report, status
    count and handling rows: four round trips of its twelve, issue #15). Elsewhere, or with kept plans off
    (a pooler in transaction mode), insert_rows sends each INSERT at once."""
    db = connections[using]
    if (
        db.vendor != "postgresql"
        or not settings.LAPOR_KEEP_PLANS
        # Outside a transaction nothing is queued: its COMMIT and ROLLBACK go past the execute wrappers, so
        # writes queued in an atomic block opened inside this one would be sent after it had ended.
        or not db.in_atomic_block
        or getattr(db, "_lapor_later", None) is not None
    ):
        yield
        return
    db._lapor_later = []
    failed = True
    try:
        with db.execute_wrapper(_send_queued_first):
            yield
            failed = False
            _send_queued(db)
    finally:
        queued, db._lapor_later = db._lapor_later, None
        if queued and failed:  # a Python error inside: the writes queued before it are made all the same
            with contextlib.suppress(DatabaseError), db.cursor() as cursor:
                cursor.execute("; ".join(queued))


def send_queued_writes(using: str = "default") -> None:
    """Send now what insert_rows(later=True) has queued inside writes_sent_with_the_next_statement (nothing
    elsewhere): before work outside the transaction that must not be done if a queued write fails (a
    submission's files written to the file store, which its rollback would leave behind)."""
    db = connections[using]
    if getattr(db, "_lapor_later", None):
        _send_queued(db)


def _send_queued(db) -> None:
    queued = db._lapor_later
    if queued:
        text = "; ".join(queued)
        queued.clear()
        if _no_parallel in db.execute_wrappers:
            # Inside without_parallel_workers a statement runs in a savepoint that is rolled back after it
            # (a read's setting undone): the writes are sent past it, on the connection itself.
            with db.wrap_database_errors, db.connection.cursor() as raw:
                raw.execute(text)
            return
        with db.cursor() as cursor:
            cursor.execute(text)


def _send_queued_first(execute, sql, params, many, context):
    _send_queued(context["connection"])
    return execute(sql, params, many, context)


def _queue(db, sql: str, params) -> bool:
    """Queue `sql` with its values for the next statement, if writes_sent_with_the_next_statement is open.
    Through a cursor of the driver's own: nothing is sent (but a first PREPARE), so none of Django's cursor
    wrapping (its checks, the query log) is due, and making it was a sixth of an INSERT's CPU (issue #15)."""
    queued = getattr(db, "_lapor_later", None)
    if queued is None:
        return False
    with db.connection.cursor() as raw:  # open: writes_sent_with_the_next_statement is inside a transaction
        statement = _kept_statement(db, raw, sql, params)
        queued.append(raw.mogrify(statement, list(params)).decode())
    return True


# --- Statements planned without parallel workers ----------------------------------------------------

NO_PARALLEL = "SET LOCAL max_parallel_workers_per_gather = 0"
NO_PARALLEL_SAVEPOINT = "lapor_no_parallel"


@contextmanager
def without_parallel_workers(using: str = "default", statement_timeout_ms: int | None = None):
    """Every statement run inside (reads only) is planned by PostgreSQL without parallel workers, and
    only it: nothing changes for the connection's other statements. Other databases: nothing done.

    For a walk in index order that stops after a page (`LIMIT`): PostgreSQL may run it as a Parallel
    Index Scan under a Gather Merge, whose workers each fill their queue far past the page — the search
    of a common term at 2M reports read ~101,000 rows for 26 in 250–310 ms of wall and 440 ms of CPU,
    against 3,000 rows and 8 ms serial (issue #15).

    In autocommit (a request's reads) the statement is sent after `SET LOCAL …` in one query string,
    which PostgreSQL runs as one implicit transaction: the setting ends with it, at no extra round trip.
    Inside a transaction (`atomic`) the two run in a savepoint that is then rolled back and released
    (undoing the setting; the read changed nothing), one more round trip — neither counted nor logged
    as a query of the request, like prepare's PREPARE. Needs a driver that sends a statement's text with
    its values merged (psycopg2; psycopg 3's client-side binding), as Django's PostgreSQL backend does.

    `statement_timeout_ms`: each such statement is also cancelled by PostgreSQL after that long (`SET
    LOCAL statement_timeout`, in the same query string or savepoint: no extra round trip in autocommit);
    the caller gets django.db.OperationalError (QueryCanceled), and inside a transaction the savepoint is
    rolled back first, so the transaction goes on."""
    db = connections[using]
    if db.vendor != "postgresql":
        yield
        return
    kept = getattr(db, "_lapor_statement_timeout", None)
    db._lapor_statement_timeout = statement_timeout_ms
    try:
        with db.execute_wrapper(_no_parallel):
            yield
    finally:
        db._lapor_statement_timeout = kept


def _no_parallel(execute, sql, params, many, context):
    if many:
        return execute(sql, params, many, context)
    db = context["connection"]
    timeout = getattr(db, "_lapor_statement_timeout", None)
    settings_sql = NO_PARALLEL if timeout is None else f"SET LOCAL statement_timeout = {int(timeout)}; {NO_PARALLEL}"
    if db.get_autocommit():
        return execute(f"{settings_sql}; {sql}", params, many, context)
    try:
        result = execute(f"SAVEPOINT {NO_PARALLEL_SAVEPOINT}; {settings_sql}; {sql}", params, many, context)
    except DatabaseError:
        with contextlib.suppress(DatabaseError), db.wrap_database_errors, db.connection.cursor() as raw:
            raw.execute(f"ROLLBACK TO SAVEPOINT {NO_PARALLEL_SAVEPOINT}; RELEASE SAVEPOINT {NO_PARALLEL_SAVEPOINT}")
        raise
    with db.wrap_database_errors, db.connection.cursor() as raw:  # the results stay with the first cursor
        raw.execute(f"ROLLBACK TO SAVEPOINT {NO_PARALLEL_SAVEPOINT}; RELEASE SAVEPOINT {NO_PARALLEL_SAVEPOINT}")
    return result


# --- INSERTs ---------------------------------------------------------------------------------------

_INSERTS: dict[tuple, tuple[str, list]] = {}
KEEP_PLAN_MAX_ROWS = 4  # INSERTs of up to this many rows are prepared on the server (insert_rows)
INSERT_MAX_ROWS = 50  # more rows at once (a sweep's, a broadcast's) are rare: the ORM's bulk_create


def insert_rows(objs: list, *, using: str | None = None, later: bool = False) -> None:
    """INSERT new rows of one model, as `Model.save(force_insert=True)` / `bulk_create` would, with
    the statement's text built once per process, model, row count and whether the ids are given.

    The ORM compiles every INSERT anew — every column's placeholder, quoting, the RETURNING clause —
    which costs more CPU than PostgreSQL takes to run a small one; a submission writes five. Here
    each value is still prepared by its field (`pre_save` — `auto_now` included — then
    `get_db_prep_save`), the ids the database draws are set on the objects, and the objects are
    marked saved. Only for plain rows: a model with pre_save/post_save receivers, a multi-table
    child, or a value that is an expression (a database default left to the database) goes through
    the ORM unchanged, and so do more than INSERT_MAX_ROWS rows. Callers keep what their model's own
    `save()` adds (e.g. Report's counters).

    Up to KEEP_PLAN_MAX_ROWS rows (a submission's five INSERTs are of one row each) the statement is
    also prepared on PostgreSQL once per connection (execute()): the server neither parses nor plans
    it again — PostgreSQL infers each parameter's type from its column, and a value too long for its
    column fails as the plain INSERT does. More rows (a broadcast) are rare: not kept on the connection.

    `later=True`: the caller reads nothing the INSERT returns; inside writes_sent_with_the_next_statement
    it travels with the next statement, and the objects are marked saved without the ids the database
    draws (their pk stays None unless given)."""
    if not objs:
        return
    model = type(objs[0])
    meta = model._meta
    using = using or router.db_for_write(model, instance=objs[0])
    connection = connections[using]
    pk_given = objs[0].pk is not None
    if (
        len(objs) > INSERT_MAX_ROWS
        or meta.parents
        or signals.pre_save.has_listeners(model)
        or signals.post_save.has_listeners(model)
        or any(type(obj) is not model or (obj.pk is not None) != pk_given for obj in objs)
        or not (connection.features.can_return_rows_from_bulk_insert or pk_given)
    ):
        return _orm_insert(objs, using)
    key = (model, len(objs), pk_given, connection.vendor)
    built = _INSERTS.get(key)
    if built is None:
        built = _INSERTS[key] = _build_insert(meta, connection, len(objs), pk_given)
    sql, fields = built
    params = []
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert")
        for field, plain in fields:
            if plain is not None:  # a value of the type the field writes unchanged: as it is (_plain_type)
                value = getattr(obj, field.attname)
                if value is None or type(value) is plain:
                    params.append(value)
                    continue
            value = field.pre_save(obj, True)
            if hasattr(value, "resolve_expression"):
                return _orm_insert(objs, using)
            params.append(field.get_db_prep_save(value, connection=connection))
    if len(objs) <= KEEP_PLAN_MAX_ROWS and later and _queue(connection, sql, params):
        ids = None  # sent with the next statement
    else:
        with connection.cursor() as cursor:
            if len(objs) <= KEEP_PLAN_MAX_ROWS:
                execute(cursor, sql, params)  # planned by PostgreSQL once per connection
            else:
                cursor.execute(sql, params)
            ids = None if pk_given else [row[0] for row in cursor.fetchall()]
    for i, obj in enumerate(objs):
        if ids is not None:
            setattr(obj, meta.pk.attname, ids[i])
        obj._state.adding = False
        obj._state.db = using


def _build_insert(meta, connection, count: int, pk_given: bool) -> tuple[str, list]:
    qn = connection.ops.quote_name
    fields = [f for f in meta.local_concrete_fields if not f.generated and (pk_given or f is not meta.auto_field)]
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES " + ", ".join(
        [row] * count
    )
    if not pk_given:
        sql += f" RETURNING {qn(meta.db_table)}.{qn(meta.pk.column)}"
    return sql, [(field, _plain_type(field, connection)) for field in fields]


_TEXT_FIELDS = (models.CharField, models.TextField)
_INTEGER_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveBigIntegerField,
    models.PositiveSmallIntegerField,
)
_AUTO_FIELDS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def _plain_type(field, connection) -> type | None:
    """The type of value that `field` writes as it is — its pre_save reads the attribute, its
    get_db_prep_save gives back such a value, and None, unchanged — or None when every value goes through
    them (insert_rows: 5–10 Python calls a column, a third of an INSERT's CPU, issue #15). Only Django's own
    classes, not subclasses (which may convert): text fields (str), integer fields (int, where the backend
    adapts integers as they are: psycopg2, SQLite), booleans (bool), foreign keys as their target, and dates
    and times that no auto_now sets (NoneType: only None is written as it is)."""
    ops = type(connection.ops)
    ints_as_they_are = ops.adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value
    kind = type(field)
    if kind in _TEXT_FIELDS:
        return str
    if kind is models.BooleanField:
        return bool
    if kind in _INTEGER_FIELDS and ints_as_they_are:
        return int
    if (
        kind in _AUTO_FIELDS
        and ints_as_they_are
        and ops.validate_autopk_value is BaseDatabaseOperations.validate_autopk_value
    ):
        return int
    if kind is models.ForeignKey:
        target = _plain_type(field.target_field, connection)  # None as None; "" as "" unless the backend nulls it
        if target is int or (target is str and not connection.features.interprets_empty_strings_as_nulls):
            return target
    if kind in (models.DateTimeField, models.DateField) and not (field.auto_now or field.auto_now_add):
        return type(None)  # only None, written as NULL; a date or time goes through the field
    return None


def _orm_insert(objs: list, using: str) -> None:
    """Row by row through save_base (pre_save/post_save receivers hear each), or bulk_create when there
    are many rows and no receivers."""
    model = type(objs[0])
    if len(objs) == 1 or signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        for obj in objs:
            obj.save_base(using=using, force_insert=True)
    else:
        model._default_manager.using(using).bulk_create(objs)
