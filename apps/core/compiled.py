"""Statements compiled once per process: for per-object checks whose SQL never changes.

Some checks (may this user act on this task, does this user hold this permission) are
a handful of nested EXISTS. Building and compiling them through the ORM costs more
than running them; their SQL depends only on the check and the database, the ids are
parameters. The queryset is built once with sentinel ids that no row has, compiled,
and run again with the real ids put in the sentinels' places.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Ids no row has (negative): the parameters that carry them are the ones to replace.
SENTINELS = (-7_000_000_001, -7_000_000_002, -7_000_000_003)

_statements: dict[tuple, tuple[str, str, tuple]] = {}


def first_row(key: Any, build: Callable[..., QuerySet], *ids: int) -> tuple | None:
    """The first row of ``build(*ids)``; ``build`` runs once per ``key`` and database.

    ``build`` must use each id only as a plain parameter (a comparison, not a computed
    value), and ``key`` must name everything else that changes its SQL.
    """
    alias, sql, params = _statement(key, build, ids)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def rows(key: Any, build: Callable[..., QuerySet], *ids: int) -> list[tuple]:
    """All the rows of ``build(*ids)``, as ``first_row``."""
    alias, sql, params = _statement(key, build, ids)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def instances(key: Any, build: Callable[..., QuerySet], *ids: int) -> list[Any]:
    """The model instances ``build(*ids)`` selects (its model's own columns), as ``first_row``."""
    alias, sql, params = _statement(key, build, ids)
    return list(_models[key].objects.raw(sql, params).using(alias))


_models: dict[Any, Any] = {}


def _statement(key: Any, build: Callable[..., QuerySet], ids: tuple) -> tuple[str, str, list]:
    if len(ids) > len(SENTINELS):
        raise ValueError("too many ids")
    sentinels = SENTINELS[: len(ids)]
    cache_key = (key, connections["default"].vendor)
    if cache_key not in _statements:
        queryset = build(*sentinels)
        connection = connections[queryset.db]
        sql, params = queryset.query.get_compiler(connection=connection).as_sql()
        if not all(any(p == s for p in params if type(p) is int) for s in sentinels):
            raise ValueError(f"{key!r}: an id is not a parameter of the statement")
        _statements[cache_key] = (queryset.db, sql, tuple(params))
        _models[key] = queryset.model
    alias, sql, params = _statements[cache_key]
    swap = dict(zip(sentinels, ids, strict=True))
    return alias, sql, [swap.get(p, p) if type(p) is int else p for p in params]
