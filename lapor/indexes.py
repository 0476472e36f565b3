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


def RemoveIndexConcurrently(app_label: str, model_name: str, index) -> migrations.SeparateDatabaseAndState:  # noqa: N802
    """AddIndexConcurrently undone: RemoveIndex for the state, the drop by remove_concurrently (undone by
    add_concurrently) for the database. `index` is the index as it was declared."""

    def drop(apps, schema_editor):
        remove_concurrently(schema_editor, apps.get_model(app_label, model_name), index)

    def create(apps, schema_editor):
        add_concurrently(schema_editor, apps.get_model(app_label, model_name), index)

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.RemoveIndex(model_name=model_name, name=index.name)],
        database_operations=[migrations.RunPython(drop, create)],
    )


def _field_index_names(schema_editor, model, field) -> tuple[str, str]:
    """The names Django gave the plain index of `field` (db_index) and, on PostgreSQL, its LIKE index
    (varchar_pattern_ops, for a character column that is indexed or unique)."""
    table, column = model._meta.db_table, field.column
    return (
        schema_editor._create_index_name(table, [column]),
        schema_editor._create_index_name(table, [column], suffix="_like"),
    )


def drop_field_indexes(schema_editor, model, field, *, plain: bool = True) -> None:
    """Drop the index Django made for `field` (unless `plain` is False) and its LIKE index; on PostgreSQL
    concurrently. Either may be missing (IF EXISTS): a LIKE index exists for character columns only."""
    plain_name, like_name = _field_index_names(schema_editor, model, field)
    postgres = schema_editor.connection.vendor == "postgresql"
    names = ([plain_name] if plain else []) + ([like_name] if postgres else [])
    for name in names:
        concurrently = "CONCURRENTLY " if postgres else ""
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(name)}")


def create_field_indexes(schema_editor, model, field, *, plain: bool = True) -> None:
    """drop_field_indexes undone: the plain index of `field` (unless `plain` is False) and, for a
    character column on PostgreSQL, its LIKE index; on PostgreSQL concurrently."""
    plain_name, like_name = _field_index_names(schema_editor, model, field)
    postgres = schema_editor.connection.vendor == "postgresql"
    table, column = schema_editor.quote_name(model._meta.db_table), schema_editor.quote_name(field.column)
    concurrently = "CONCURRENTLY " if postgres else ""
    if plain:
        schema_editor.execute(
            f"CREATE INDEX {concurrently}IF NOT EXISTS {schema_editor.quote_name(plain_name)} ON {table} ({column})"
        )
    db_type = field.db_type(schema_editor.connection) or ""
    opclass = "varchar_pattern_ops" if db_type.startswith("varchar") else "text_pattern_ops"
    if postgres and (db_type.startswith("varchar") or db_type == "text"):
        like = schema_editor.quote_name(like_name)
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {like} ON {table} ({column} {opclass})")


def RemoveFieldIndexConcurrently(
    app_label: str, model_name: str, name: str, field
) -> migrations.SeparateDatabaseAndState:  # noqa: N802
    """The migration operation turning `app_label.model_name.name`'s db_index off (`field`, with
    db_index=False, is its new definition): AlterField for the state, drop_field_indexes (undone by
    create_field_indexes) for the database, concurrently on PostgreSQL instead of AlterField's plain DROP."""

    def drop(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        drop_field_indexes(schema_editor, model, model._meta.get_field(name))

    def create(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        create_field_indexes(schema_editor, model, model._meta.get_field(name))

    return migrations.SeparateDatabaseAndState(
        state_operations=[migrations.AlterField(model_name=model_name, name=name, field=field)],
        database_operations=[migrations.RunPython(drop, create)],
    )


def RemoveLikeIndexConcurrently(app_label: str, model_name: str, name: str) -> migrations.RunPython:  # noqa: N802
    """The migration operation dropping the LIKE index (varchar_pattern_ops) PostgreSQL's schema editor
    made for `app_label.model_name.name` beside its plain or unique index, concurrently; no change of
    state (Django's state does not hold these). A later AlterField of the field may make it again."""

    def drop(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        drop_field_indexes(schema_editor, model, model._meta.get_field(name), plain=False)

    def create(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        create_field_indexes(schema_editor, model, model._meta.get_field(name), plain=False)

    return migrations.RunPython(drop, create)
