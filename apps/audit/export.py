"""Streaming exports of the trail as CSV or JSON Lines, and the readers that take them back.

The queryset is read with ``.iterator(chunk_size=...)`` (a server-side cursor on
PostgreSQL), rows are turned into text one at a time and handed out in blocks:
memory stays flat for a million events. Every exported row carries the event's
``seq``, ``prev_hash`` and ``hash``, and ``created_at`` in the exact form that
was hashed, so an export can be re-hashed offline with ``chain.digest``.

CSV cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) are written with a leading apostrophe,
as OWASP advises; a leading apostrophe is doubled, and ``read_csv`` undoes both.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import QuerySet

from .chain import HASHED_FIELDS, timestamp

# The hashed fields in the chain's order, led by the row id and sequence, closed by the hash.
EXPORT_FIELDS = ("id", "seq", "company_id", *HASHED_FIELDS[2:], "hash")
INT_FIELDS = frozenset({"id", "seq", "company_id", "plan_id", "task_id", "actor_id", "revision"})
FORMATS = {
    "csv": ("text/csv; charset=utf-8", "csv"),
    "jsonl": ("application/x-ndjson; charset=utf-8", "jsonl"),
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "'")


def export_records(queryset: QuerySet, *, chunk_size: int = 2000) -> Iterator[dict[str, Any]]:
    """The events of ``queryset`` in chain order, as plain records, read in chunks."""
    rows = queryset.order_by("company_id", "seq").values(*EXPORT_FIELDS)
    for row in rows.iterator(chunk_size=chunk_size):
        row["created_at"] = timestamp(row["created_at"])
        yield row


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class _Line:
    """A file-like object whose ``write`` returns what it was given (csv.writer's sink)."""

    def write(self, value: str) -> str:
        return value


def _cell(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name == "data":
        return _json(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(EXPORT_FIELDS)
    for record in records:
        yield writer.writerow([_cell(name, record[name]) for name in EXPORT_FIELDS])


def jsonl_lines(records: Iterable[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


LINES = {"csv": csv_lines, "jsonl": jsonl_lines}


def export_stream(
    queryset: QuerySet, fmt: str, *, chunk_size: int = 2000, block: int = 500
) -> Iterator[str]:
    """The export as text blocks of ``block`` rows: the body of a streaming response."""
    lines: list[str] = []
    for line in LINES[fmt](export_records(queryset, chunk_size=chunk_size)):
        lines.append(line)
        if len(lines) >= block:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def read_jsonl(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if line.strip():
            yield json.loads(line)


def read_csv(text: Iterable[str] | str) -> Iterator[dict[str, Any]]:
    """Records back from a CSV export: ints as ints, empty ids as None, ``data`` decoded."""
    reader = csv.DictReader(io.StringIO(text) if isinstance(text, str) else text)
    for row in reader:
        record: dict[str, Any] = {}
        for name in EXPORT_FIELDS:
            value = row[name]
            if name in INT_FIELDS:
                record[name] = int(value) if value != "" else None
            elif name == "data":
                record[name] = json.loads(value)
            else:
                record[name] = value[1:] if value.startswith("'") else value
        yield record
