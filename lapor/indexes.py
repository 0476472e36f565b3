"""Indexes that migrations build without stopping writes to a large table.

On PostgreSQL an index is built CONCURRENTLY (writes go on while it is built), which cannot run inside a
transaction: a migration using these sets `atomic = False`. A build interrupted half-way leaves an
invalid index behind; running the migration again drops it and builds it anew, and leaves a valid one
as it is. SQLite (the embedded default) builds and drops plainly."""

from django.db import migrations


def _is_valid(schema_editor, index) -> bool | None:
    """Whether `index` exists and is valid (None: it does not exist)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = %s",
            [index.name],
        )
        found = cursor.fetchone()
    return None if found is None else found[0]


def add_concurrently(schema_editor, model, index) -> None:
    """Build `index` on `model`'s table; on PostgreSQL concurrently, once (see the module)."""
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(model, index)
        return
    valid = _is_valid(schema_editor, index)
    if valid:
        return
    if valid is not None:  # left invalid by an interrupted CREATE INDEX CONCURRENTLY
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {schema_editor.quote_name(index.name)}")
    schema_editor.add_index(model, index, concurrently=True)


def remove_concurrently(schema_editor, model, index) -> None:
    """Drop `index` from `model`'s table; on PostgreSQL concurrently."""
    concurrently = {"concurrently": True} if schema_editor.connection.vendor == "postgresql" else {}
    schema_editor.remove_index(model, index, **concurrently)


def AddIndexConcurrently(app_label: str, model_name: str, index) -> migrations.SeparateDatabaseAndState:  # noqa: N802
    """The migration operation adding `index` to `app_label.model_name`: AddIndex for the state, the
    build by add_concurrently (undone by remove_concurrently) for the database."""

    def create(apps, schema_editor):
        add_concurrently(schema_editor, apps.get_model(app_label, model_name), index)

    def drop(apps, schema_editor):
        remove_concurrently(schema_editor, apps.get_model(app_label, model_name), index)

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AddIndex(model_name=model_name, index=index)],
        database_operations=[migrations.RunPython(create, drop)],
    )
