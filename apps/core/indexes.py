"""Migration operations that add an index without locking a large table against writes.

On PostgreSQL the index is built with ``CREATE INDEX CONCURRENTLY``: writes go on
while it builds, so the migration must be non-atomic (``atomic = False``); a
failed build leaves an invalid index that the next run drops and builds again.
Other databases (SQLite) get a plain ``CREATE INDEX``.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError, migrations


def _concurrently(schema_editor: Any) -> bool:
    if schema_editor.connection.vendor != "postgresql":
        return False
    if schema_editor.connection.in_atomic_block:
        raise NotSupportedError("Building an index concurrently needs `atomic = False`.")
    return True


def _drop_invalid(schema_editor: Any, name: str) -> None:
    """A concurrent build that failed half-way leaves an invalid index of that name."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relname = %s AND NOT i.indisvalid",
            [name],
        )
        if cursor.fetchone():
            cursor.execute(f"DROP INDEX CONCURRENTLY {schema_editor.quote_name(name)}")


def _add(schema_editor: Any, model: Any, index: Any) -> None:
    if _concurrently(schema_editor):
        _drop_invalid(schema_editor, index.name)
        schema_editor.add_index(model, index, concurrently=True)
    else:
        schema_editor.add_index(model, index)


def _remove(schema_editor: Any, model: Any, index: Any) -> None:
    if _concurrently(schema_editor):
        schema_editor.remove_index(model, index, concurrently=True)
    else:
        schema_editor.remove_index(model, index)


class AddIndexSafely(migrations.AddIndex):
    """``AddIndex`` of a model's own ``Meta.indexes``, built concurrently on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            _add(schema_editor, model, self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            _remove(schema_editor, model, self.index)


class RemoveIndexSafely(migrations.RemoveIndex):
    """``RemoveIndex`` of a model's own index, dropped concurrently on PostgreSQL (a plain
    ``DROP INDEX`` waits for, and then blocks, every query of the table)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = from_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            _remove(schema_editor, model, index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            index = to_state.models[app_label, self.model_name_lower].get_index_by_name(self.name)
            _add(schema_editor, model, index)


class AddIndexToLibraryTable(migrations.operations.base.Operation):
    """An index on a table that a library owns (viewflow's tasks): the database gets it, the
    library's migration state does not (its models cannot declare it)."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, *, app_label: str, model_name: str, index: Any) -> None:
        self.app_label, self.model_name, self.index = app_label, model_name, index

    def deconstruct(self):
        kwargs = {"app_label": self.app_label, "model_name": self.model_name, "index": self.index}
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        _add(schema_editor, to_state.apps.get_model(self.app_label, self.model_name), self.index)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(self.app_label, self.model_name)
        _remove(schema_editor, model, self.index)

    def describe(self):
        return f"Create index {self.index.name} on {self.app_label}.{self.model_name}"


class CreateStatistics(migrations.operations.base.Operation):
    """PostgreSQL extended statistics on columns that go together (``CREATE STATISTICS``).

    The planner otherwise multiplies the selectivities of correlated columns (a task's
    status, type and permission) and underestimates how many rows a filter keeps, which
    makes it sort every match where walking an index in order would stop after a page.
    Nothing on other databases.
    """

    reduces_to_sql = False
    reversible = True

    def __init__(self, *, name: str, table: str, columns: list[str]) -> None:
        self.name, self.table, self.columns = name, table, columns

    def deconstruct(self):
        kwargs = {"name": self.name, "table": self.table, "columns": self.columns}
        return self.__class__.__qualname__, [], kwargs

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        quote = schema_editor.quote_name
        columns = ", ".join(quote(column) for column in self.columns)
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {quote(self.name)} (dependencies, mcv) "
            f"ON {columns} FROM {quote(self.table)}"
        )
        schema_editor.execute(f"ANALYZE {quote(self.table)}")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(
                f"DROP STATISTICS IF EXISTS {schema_editor.quote_name(self.name)}"
            )

    def describe(self):
        return f"Create statistics {self.name} on {self.table}"
