"""Statements compiled once per process: for per-object checks whose SQL never changes.

Some checks (may this user act on this task, does this user hold this permission) are
a handful of nested EXISTS. Building and compiling them through the ORM costs more
than running them; their SQL depends only on the check and the database, the ids are
parameters. The queryset is built once with sentinel ids that no row has, compiled,
and run again with the real ids put in the sentinels' places.

On PostgreSQL they are also prepared, once per connection: the server then plans them
once (its generic plan, as the ids are their only parameters), not for every run.
Planning the may-act rule took longer than running it. They go through Django's
cursor (its wrappers see them, the benchmark counts them) with server-side binding,
which psycopg prepares on first use (``prepare_threshold`` 0; Django's own client-side
binding cursors never prepare). Behind a connection pooler in transaction mode that
cannot keep prepared statements, ``GREENLIGHT_PREPARED_STATEMENTS = False`` turns
this off.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

# Ids no row has (negative): the parameters that carry them are the ones to replace.
SENTINELS = (-7_000_000_001, -7_000_000_002, -7_000_000_003, -7_000_000_004)

_statements: dict[tuple, tuple[str, str, tuple]] = {}


def first_row(key: Any, build: Callable[..., QuerySet], *ids: int) -> tuple | None:
    """The first row of ``build(*ids)``; ``build`` runs once per ``key`` and database.

    ``build`` must use each id only as a plain parameter (a comparison, not a computed
    value), and ``key`` must name everything else that changes its SQL.
    """
    alias, sql, params = _statement(key, build, ids)
    with _cursor(connections[alias]) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def objects(key: Any, build: Callable[..., QuerySet], *ids: int) -> list[Any]:
    """The model instances ``build(*ids)`` yields, as the ORM builds them, compiled once.

    What the queryset selects beside its model's columns comes too: its
    ``select_related`` objects and its annotations (and its ``select_for_update``).
    """
    compiler, alias, rows = _read(key, build, ids)
    select, klass_info = compiler.select, compiler.klass_info
    model_cls = klass_info["model"]
    start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
    init_list = [column[0].target.attname for column in select[start:end]]
    populators = get_related_populators(klass_info, select, alias)
    found = []
    for row in rows:
        obj = model_cls.from_db(alias, init_list, row[start:end])
        for populator in populators:
            populator.populate(row, obj)
        for name, position in compiler.annotation_col_map.items():
            setattr(obj, name, row[position])
        found.append(obj)
    return found


def values(key: Any, build: Callable[..., QuerySet], *ids: int) -> list[tuple]:
    """The rows of ``build(*ids)`` (a ``values_list``), converted as the ORM converts them."""
    return _read(key, build, ids)[2]


def _read(key: Any, build: Callable[..., QuerySet], ids: tuple) -> tuple[Any, str, list]:
    """Run the compiled statement; its rows through the converters of the compiler that
    built it. That compiler is kept per database connection (it holds one), so each
    thread compiles its own once."""
    alias, sql, params = _statement(key, build, ids)
    connection = connections[alias]
    compilers = connection.__dict__.setdefault("_compiled_readers", {})
    if key not in compilers:
        compiler = build(*SENTINELS[: len(ids)]).query.get_compiler(connection=connection)
        compiler.as_sql()  # fills its select, klass_info and annotation_col_map
        compilers[key] = compiler
    compiler = compilers[key]
    with _cursor(connection) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return compiler, alias, list(compiler.results_iter([rows]))


def _statement(key: Any, build: Callable[..., QuerySet], ids: tuple) -> tuple[str, str, list]:
    if len(ids) > len(SENTINELS):
        raise ValueError("too many ids")
    sentinels = SENTINELS[: len(ids)]
    cache_key = (key, connections["default"].vendor)
    if cache_key not in _statements:
        queryset = build(*sentinels)
        connection = connections[queryset.db]
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        if not all(any(p == s for p in params if _is_id(p)) for s in sentinels):
            raise ValueError(f"{key!r}: an id is not a parameter of the statement")
        _statements[cache_key] = (queryset.db, sql, tuple(params))
    alias, sql, params = _statements[cache_key]
    swap = dict(zip(sentinels, ids, strict=True))
    # an id keeps the type Django gave it (psycopg's Int8 for a big integer column)
    return alias, sql, [type(p)(swap[p]) if _is_id(p) and p in swap else p for p in params]


def _is_id(param: Any) -> bool:
    return isinstance(param, int) and not isinstance(param, bool)


def _cursor(connection: Any) -> Any:
    """Django's cursor; on PostgreSQL one that binds on the server, so psycopg prepares."""
    if connection.vendor != "postgresql" or not settings.GREENLIGHT_PREPARED_STATEMENTS:
        return connection.cursor()
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    factory = raw.cursor_factory
    raw.cursor_factory = ServerBindingCursor
    try:
        return connection.cursor()
    finally:
        raw.cursor_factory = factory
