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
this off. A list whose best plan depends on how many rows its user has (the queue,
the inbox, their counts) asks ``prepare=False``: a plan made once for everyone may
not suit them all.

An "id" may also be a moment (an aware datetime: "overdue" compares with now), which
takes the place of a sentinel moment no deadline has. ``first_row`` also takes a build
that returns a statement put together from several querysets' SQL (``sql_of``), as
``(sql, params)``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators

# Ids no row has (negative): the parameters that carry them are the ones to replace.
SENTINELS = tuple(-7_000_000_001 - n for n in range(64))
# Moments no row has, for the datetimes among the ids.
MOMENT_SENTINELS = tuple(datetime(1901, 1, 1, 0, 0, n, tzinfo=UTC) for n in range(4))

_statements: dict[tuple, tuple[str, str, tuple, list]] = {}


def first_row(
    key: Any, build: Callable[..., QuerySet], *ids: int, prepare: bool = True
) -> tuple | None:
    """The first row of ``build(*ids)``; ``build`` runs once per ``key`` and database.

    ``build`` must use each id only as a plain parameter (a comparison, not a computed
    value), and ``key`` must name everything else that changes its SQL.
    """
    alias, sql, params = _statement(key, build, ids)
    with _cursor(connections[alias], prepare) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def objects(key: Any, build: Callable[..., QuerySet], *ids: int, prepare: bool = True) -> list[Any]:
    """The model instances ``build(*ids)`` yields, as the ORM builds them, compiled once.

    What the queryset selects beside its model's columns comes too: its
    ``select_related`` objects and its annotations (and its ``select_for_update``).
    """
    compiler, alias, rows = _read(key, build, ids, prepare)
    return _instances(compiler, alias, rows)


def objects_parts(key: Any, build: Callable[..., list[QuerySet]], *ids: Any) -> list[list[Any]]:
    """``objects`` of several querysets in one statement (``UNION ALL``), compiled once:
    ``build(*ids)`` returns querysets of one model that select the same columns (the same
    ``select_related``), each with its own order and slice; the instances come back per
    queryset, in its order."""
    alias, sql, params = _statement(key, lambda *args: _union(build(*args)), ids)
    connection = connections[alias]
    compiler, parts = _reader(
        connection, key, lambda: _part_reader(build(*_sentinels(ids)), connection)
    )
    return _read_parts(compiler, parts, alias, sql, params)


def _union(querysets: list[QuerySet]) -> tuple[str, tuple]:
    return _compose(querysets, connections[querysets[0].db])[2:]


def _part_reader(querysets: list[QuerySet], connection: Any) -> tuple[Any, int]:
    return _compose(querysets, connection)[:2]


def _compose(querysets: list[QuerySet], connection: Any) -> tuple[Any, int, str, tuple]:
    """The parts' compilers put together: the first reads every part's rows back (they
    must select the same columns), and the statement, each part in a derived table (it
    keeps its own ORDER BY and LIMIT, on every backend) with its number first."""
    pieces, params, shapes = [], [], set()
    compilers = [qs.query.get_compiler(connection=connection) for qs in querysets]
    for n, compiler in enumerate(compilers):
        # as_sql also fills the compiler's select, klass_info and annotation_col_map
        sql, part_params = compiler.as_sql()
        shapes.add((compiler.klass_info["model"], len(compiler.select)))
        # the pieces are the ORM's own SQL, their values stay parameters
        pieces.append(f"SELECT {n} AS part_, p{n}.* FROM ({sql}) p{n}")  # noqa: S608
        params.extend(part_params)
    if len(shapes) != 1:
        raise ValueError("the parts do not select the same columns")
    return compilers[0], len(compilers), " UNION ALL ".join(pieces), tuple(params)


def _read_parts(compiler: Any, parts: int, alias: str, sql: str, params: Any) -> list[list]:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converted = compiler.results_iter([[row[1:] for row in rows]])
    found: list[list[Any]] = [[] for _ in range(parts)]
    for (part, *_), row in zip(rows, converted, strict=True):
        found[part].append(row)
    return [_instances(compiler, alias, part_rows) for part_rows in found]


def _instances(compiler: Any, alias: str, rows: list) -> list[Any]:
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


def _read(
    key: Any, build: Callable[..., QuerySet], ids: tuple, prepare: bool = True
) -> tuple[Any, str, list]:
    """Run the compiled statement; its rows through the converters of the compiler that
    built it (``_reader``)."""
    alias, sql, params = _statement(key, build, ids)
    connection = connections[alias]

    def make() -> Any:
        compiler = build(*_sentinels(ids)).query.get_compiler(connection=connection)
        compiler.as_sql()  # fills its select, klass_info and annotation_col_map
        return compiler

    compiler = _reader(connection, key, make)
    with _cursor(connection, prepare) as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return compiler, alias, list(compiler.results_iter([rows]))


def _reader(connection: Any, key: Any, make: Callable[[], Any]) -> Any:
    """What reads ``key``'s rows back (its compiler), made once per database connection:
    a compiler holds its connection, so each thread makes its own."""
    readers = connection.__dict__.setdefault("_compiled_readers", {})
    if key not in readers:
        readers[key] = make()
    return readers[key]


def sql_of(queryset: QuerySet) -> tuple[str, tuple]:
    """The SQL and parameters of ``queryset``, to put together with others' in a build
    for ``first_row``."""
    connection = connections[queryset.db]
    return queryset.query.get_compiler(connection=connection).as_sql()


def _sentinels(ids: tuple) -> list[Any]:
    """A sentinel in each id's place: a moment for a datetime, a number for the rest."""
    numbers, moments = iter(SENTINELS), iter(MOMENT_SENTINELS)
    try:
        return [next(moments) if isinstance(i, datetime) else next(numbers) for i in ids]
    except StopIteration:
        raise ValueError("too many ids") from None


def _is_number(param: Any) -> bool:
    # the backends wrap some integers (psycopg's Int8 for a BigIntegerField): still numbers
    return isinstance(param, int) and not isinstance(param, bool)


def _statement(key: Any, build: Callable[..., Any], ids: tuple) -> tuple[str, str, list]:
    cache_key = (key, connections["default"].vendor)
    if cache_key not in _statements:
        sentinels = _sentinels(ids)
        built = build(*sentinels)
        alias = "default" if isinstance(built, tuple) else built.db
        sql, params = built if isinstance(built, tuple) else sql_of(built)
        # where each id goes: the positions of the parameters that carry its sentinel
        places = [
            (position, index)
            for position, param in enumerate(params)
            for index, sentinel in enumerate(sentinels)
            if _same(param, sentinel, alias)
        ]
        if {index for _, index in places} != set(range(len(sentinels))):
            raise ValueError(f"{key!r}: an id is not a parameter of the statement")
        _statements[cache_key] = (alias, sql, tuple(params), places)
    alias, sql, params, places = _statements[cache_key]
    params = list(params)
    for position, index in places:
        real = ids[index]
        if isinstance(real, datetime):
            params[position] = _moment_param(real, alias)
        else:
            params[position] = type(params[position])(real)
    return alias, sql, params


def _moment_param(moment: datetime, alias: str) -> Any:
    """A moment as the backend passes it (SQLite's is text)."""
    return connections[alias].ops.adapt_datetimefield_value(moment)


def _same(param: Any, sentinel: Any, alias: str) -> bool:
    if isinstance(sentinel, datetime):
        return not _is_number(param) and param == _moment_param(sentinel, alias)
    return _is_number(param) and param == sentinel


def _cursor(connection: Any, prepare: bool = True) -> Any:
    """Django's cursor; on PostgreSQL one that binds on the server, so psycopg prepares."""
    if (
        not prepare
        or connection.vendor != "postgresql"
        or not settings.GREENLIGHT_PREPARED_STATEMENTS
    ):
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
