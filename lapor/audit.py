"""Tamper-evident audit trails: every Event and every IdentityAccess carries the hash of its predecessor.

Each chain ("event", "identity") has one AuditChain row holding its head. Appending locks that row
(SELECT … FOR UPDATE) for the rest of the writer's transaction, so appends to one chain are serialised
and their ids follow the chain's order; the new row stores the head as `prev_hash` and
`chain_hash = sha256(prev_hash + canonical content)`, and becomes the head. `manage.py verify_audit`
(`verify`) walks each chain in id order and recomputes every hash: an altered, removed or inserted
row breaks the walk at that row, a removed tail no longer matches the head.

Rows written by bulk loaders (seed_scale, the benchmarks) carry no hash: they are counted as unsealed,
not verified. The application never writes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connections, router, transaction
from django.db.models import signals

from lapor.prepared import execute

EVENT_CHAIN = "event"
IDENTITY_CHAIN = "identity"
STAFF_CHAIN = "staff"  # agencies.Appointment: roles given and taken by decree
AGENCY_CHAIN = "agency"  # agencies.AgencyChange: units added, renamed, retired, moved; approvals; reminders


def _when(value) -> str:
    return value.isoformat(timespec="microseconds") if value is not None else ""


# Keys of Event.data written after the event (workflow.act's double-submit token): not audit content.
UNHASHED_DATA = {"once"}


def event_content(e) -> list:
    data = {k: v for k, v in (e.data or {}).items() if k not in UNHASHED_DATA}
    return [
        e.report_id,
        e.actor_id,
        e.action,
        e.from_status,
        e.to_status,
        e.agency_id,
        e.target_agency_id,
        e.public_note,
        e.internal_note,
        bool(e.is_public),
        data,
        _when(e.created_at),
    ]


def identity_content(a) -> list:
    return [a.report_id, a.user_id, a.reason, _when(a.created_at)]


def appointment_content(a) -> list:
    return [
        a.action,
        a.user_id,
        a.email,
        a.agency_id,
        a.role,
        a.previous_role,
        a.decree_number,
        a.decree_date.isoformat() if a.decree_date else "",
        a.decree_file.name if a.decree_file else "",
        a.by_id,
        _when(a.created_at),
    ]


def agency_change_content(c) -> list:
    return [
        c.action,
        c.agency_id,
        c.by_id,
        c.data or {},
        c.reminded_on.isoformat() if c.reminded_on else "",
        _when(c.created_at),
    ]


CONTENT = {
    EVENT_CHAIN: event_content,
    IDENTITY_CHAIN: identity_content,
    STAFF_CHAIN: appointment_content,
    AGENCY_CHAIN: agency_change_content,
}
CHAINS = (EVENT_CHAIN, IDENTITY_CHAIN, STAFF_CHAIN, AGENCY_CHAIN)
# The chains span apps (a report's events, identity looks, staff appointments), so this module sits in the
# project and reads the models by label: agencies may seal into it without importing complaints.
MODELS = {
    EVENT_CHAIN: "complaints.Event",
    IDENTITY_CHAIN: "complaints.IdentityAccess",
    STAFF_CHAIN: "agencies.Appointment",
    AGENCY_CHAIN: "agencies.AgencyChange",
}


def canonical(content: list) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def digest(prev_hash: str, content: list) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical(content)}".encode()).hexdigest()


# PostgreSQL: lock the chain's head, hash the new row onto it and give the row its id, in one statement
# (the FROM subquery returns the head as it was: an UPDATE's RETURNING sees only the new values). The
# same sha256 of the same UTF-8 bytes as `digest`; the id is drawn under the lock, so ids still follow
# the chain's order.
_ADVANCE = """
    UPDATE complaints_auditchain AS chain
    SET head = encode(sha256(convert_to(locked.head || E'\\n' || %s, 'UTF8')), 'hex'),
        last_id = nextval(pg_get_serial_sequence(%s, %s))
    FROM (SELECT name, head FROM complaints_auditchain WHERE name = %s FOR UPDATE) AS locked
    WHERE chain.name = locked.name
    RETURNING locked.head, chain.head, chain.last_id
"""


# PostgreSQL, for a plain row (no save receivers, no expressions: lapor.prepared.insert_rows' rows): the
# same advance and the row's INSERT in one statement, so the chain is locked by the statement that also
# writes the row — one round trip less inside the lock, and one statement less for every sealed event.
# The row gets the id, previous hash and hash the advance returns; without the chain's row nothing is
# advanced nor inserted (no row returned), as with _ADVANCE. Each value is cast to its column's type
# (an INSERT … SELECT does not type bare parameters by their columns; text for varchar(n), so that an
# over-long value still fails on assignment instead of being cut by an explicit cast).
_ADVANCE_AND_INSERT = """
    WITH advanced AS (
        UPDATE complaints_auditchain AS chain
        SET head = encode(sha256(convert_to(locked.head || E'\\n' || %s, 'UTF8')), 'hex'),
            last_id = nextval(pg_get_serial_sequence(%s, %s))
        FROM (SELECT name, head FROM complaints_auditchain WHERE name = %s FOR UPDATE) AS locked
        WHERE chain.name = locked.name
        RETURNING chain.last_id AS id, locked.head AS prev_hash, chain.head AS chain_hash
    )
    INSERT INTO {table} ({columns})
    SELECT advanced.id, advanced.prev_hash, advanced.chain_hash, {values} FROM advanced
    RETURNING {pk}, {prev_hash}, {chain_hash}
"""
_CASTS = {"bigint", "integer", "smallint", "text", "boolean", "jsonb", "timestamp with time zone", "date", "uuid"}
_SEALED_INSERTS: dict[type, tuple[str, list] | None] = {}


def _sealed_insert(model, connection) -> tuple[str, list] | None:
    """(statement, fields whose values follow the advance's parameters) of _ADVANCE_AND_INSERT for
    `model`, built once per process; None when a column's type is not one it casts."""
    if model in _SEALED_INSERTS:
        return _SEALED_INSERTS[model]
    meta, qn = model._meta, connection.ops.quote_name
    sealed = [meta.pk, meta.get_field("prev_hash"), meta.get_field("chain_hash")]
    fields = [f for f in meta.local_concrete_fields if not f.generated and f not in sealed]
    casts = []
    for f in fields:
        db_type = f.db_type(connection) or ""
        cast = "text" if re.fullmatch(r"(varchar|character varying)\(\d+\)", db_type) else db_type
        if cast not in _CASTS:
            _SEALED_INSERTS[model] = None
            return None
        casts.append(cast)
    sql = _ADVANCE_AND_INSERT.format(
        table=qn(meta.db_table),
        columns=", ".join(qn(f.column) for f in sealed + fields),
        values=", ".join(f"CAST(%s AS {cast})" for cast in casts),
        pk=qn(meta.pk.column),
        prev_hash=qn("prev_hash"),
        chain_hash=qn("chain_hash"),
    )
    _SEALED_INSERTS[model] = built = (sql, fields)
    return built


def _advance_and_insert(obj, chain: str, content: list, using: str) -> bool:
    """_ADVANCE_AND_INSERT for `obj`; False when its model's columns are not all castable (the caller
    advances and saves in two statements then). Makes the chain's first row when it has none."""
    connection = connections[using]
    built = _sealed_insert(type(obj), connection)
    if built is None:
        return False
    sql, fields = built
    model = type(obj)
    meta = model._meta
    if meta.parents or signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        return False  # receivers hear save(): not a plain row
    obj._prepare_related_fields_for_save(operation_name="insert")
    values = [f.pre_save(obj, True) for f in fields]
    if any(hasattr(value, "resolve_expression") for value in values):
        return False
    values = [f.get_db_prep_save(value, connection=connection) for f, value in zip(fields, values, strict=True)]
    params = [canonical(content), meta.db_table, meta.pk.column, chain, *values]
    with connection.cursor() as cur:
        execute(cur, sql, params)  # planned by PostgreSQL once per connection and model
        row = cur.fetchone()
        if row is None:  # the chain's first row: make its head, then advance it
            apps.get_model("complaints", "AuditChain").objects.using(using).get_or_create(name=chain)
            execute(cur, sql, params)
            row = cur.fetchone()
    obj.pk, obj.prev_hash, obj.chain_hash = row
    obj._state.adding, obj._state.db = False, using
    return True


def append(obj, chain: str, save, *, plain: bool = False) -> None:
    """Insert `obj` (through `save(**kwargs)`) as the new head of `chain`. Holds the chain's lock until the
    surrounding transaction ends, so callers append as late in their transaction as they can. `plain`: the
    row may be written without `save` (no receivers, no expressions: what lapor.prepared.insert_rows
    writes); on PostgreSQL its INSERT is then the statement that advances the chain."""
    AuditChain = apps.get_model("complaints", "AuditChain")
    obj.created_at = obj.created_at.astimezone(dt.UTC)  # hashed exactly as it is read back
    content = CONTENT[chain](obj)
    using = router.db_for_write(type(obj), instance=obj)
    with transaction.atomic(using=using, savepoint=False):  # inside the action's transaction
        if connections[using].vendor == "postgresql":
            if plain and _advance_and_insert(obj, chain, content, using):
                return
            meta = type(obj)._meta
            params = [canonical(content), meta.db_table, meta.pk.column, chain]
            with connections[using].cursor() as cur:
                execute(cur, _ADVANCE, params)
                row = cur.fetchone()
                if row is None:  # the chain's first row: make its head, then advance it
                    AuditChain.objects.using(using).get_or_create(name=chain)
                    execute(cur, _ADVANCE, params)
                    row = cur.fetchone()
            obj.prev_hash, obj.chain_hash, obj.pk = row
            save(force_insert=True)
            return
        head, _created = AuditChain.objects.using(using).select_for_update().get_or_create(name=chain)
        obj.prev_hash = head.head
        obj.chain_hash = digest(head.head, content)
        save()
        AuditChain.objects.using(using).filter(name=chain).update(head=obj.chain_hash, last_id=obj.pk)


@dataclass
class Result:
    chain: str
    checked: int = 0
    unsealed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def verify(chain: str, *, chunk: int = 5000) -> Result:
    """Walk `chain` in id order, recomputing every hash; the first break is reported with its row."""
    AuditChain = apps.get_model("complaints", "AuditChain")
    model = apps.get_model(MODELS[chain])
    content = CONTENT[chain]
    result = Result(chain)
    result.unsealed = model.objects.filter(chain_hash="").count()
    prev, last_pk = "", 0
    for row in model.objects.exclude(chain_hash="").order_by("pk").iterator(chunk_size=chunk):
        if row.prev_hash != prev:
            result.errors.append(
                f"{chain} #{row.pk}: does not follow #{last_pk} (a row before it was removed or altered)"
            )
            return result
        if digest(prev, content(row)) != row.chain_hash:
            result.errors.append(f"{chain} #{row.pk}: content does not match its hash (the row was altered)")
            return result
        prev, last_pk = row.chain_hash, row.pk
        result.checked += 1
    head = AuditChain.objects.filter(name=chain).first()
    if (head.head if head else "") != prev or (head.last_id if head else 0) != last_pk:
        result.errors.append(f"{chain}: the last rows are missing (the chain's head is not #{last_pk})")
    return result
