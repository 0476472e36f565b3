"""Related rows read as JSON inside their parent's row (issue #15): a page that needs a report's few open
clocks or public steps reads them as one JSON array column of the report's own statement, a statement less,
and makes them into model instances as the ORM makes them from their own rows."""

import datetime as dt

from django.db.models import Aggregate, DateTimeField, Func, JSONField


class JSONRows(Aggregate):
    """The group's values as one JSON array (PostgreSQL's JSONB_AGG, SQLite's JSON_GROUP_ARRAY)."""

    function = "JSON_GROUP_ARRAY"
    output_field = JSONField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSONB_AGG", **extra_context)


class NestedJSON(Func):
    """A JSON column as JSON inside a JSON array (SQLite would put its text in as a string)."""

    output_field = JSONField()
    template = "%(expressions)s"

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, template="JSON(%(expressions)s)", **extra_context)


def json_value(field, value):
    """A column's value as read from JSON, as the ORM reads it from its column: datetimes in UTC."""
    if value is None:
        return None
    if isinstance(field, DateTimeField):
        moment = dt.datetime.fromisoformat(value)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return field.to_python(value)


def made(model, fields, values, db):
    """An instance of `model` from its `fields`' values read as JSON, as the ORM makes one from a row."""
    return model.from_db(
        db, [f.attname for f in fields], [json_value(f, v) for f, v in zip(fields, values, strict=True)]
    )
