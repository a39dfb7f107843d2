"""The one place that writes history events.

Every event is appended to its company's hash chain under the chain head's row
lock: the lock is taken when the event is written, at the end of the action's
transaction, and held until that transaction commits, so concurrent actions of
one company line up one after the other and cannot fork the chain. Actions of
different companies do not wait for each other.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from itertools import islice
from typing import Any

from django.db import IntegrityError, connection, transaction

from apps.core import compiled
from apps.core.timeutils import now

from .chain import GENESIS, HASHED_FIELDS, head_seal, plain_json, seal
from .keys import signing_key_id, verification_keys
from .models import Action, ChainHead, Event


def event_record(
    *,
    company_id: int,
    action: Action | str,
    actor: Any = None,
    plan_id: int | None = None,
    task_id: int | None = None,
    step: str = "",
    from_status: str = "",
    to_status: str = "",
    comment: str = "",
    revision: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event. Must run inside the transaction of the change it records."""
    _require_transaction()
    record = _record(
        company_id=company_id,
        action=action,
        actor=actor,
        plan_id=plan_id,
        task_id=task_id,
        step=step,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        revision=revision,
        data=data,
    )
    head = _lock_head(record["company_id"])
    # Stamped under the lock, so that time never runs backwards along a chain.
    record["created_at"] = now()
    keys = verification_keys()
    _link(head, record, keys)
    event = Event(**record)
    if connection.vendor == "postgresql":
        _append(event, head, record["key_id"], keys)
    else:
        event.save(force_insert=True)
        _advance(head, record["key_id"], keys)
    return event


def events_record_many(
    *, company_id: int, events: Iterable[Mapping[str, Any]], batch_size: int = 2000
) -> int:
    """Append many events to one company's chain under a single lock; return how many.

    For imports, backfills and benchmarks. Each mapping takes ``event_record``'s
    keyword arguments (without ``company_id``) and may carry its own
    ``created_at``. Rows go in by batches with COPY or ``executemany``, past
    the model layer (a hundred thousand model instances cost more than the
    hashing), so memory stays flat and the values are exactly the ones hashed.
    """
    _require_transaction()
    head = _lock_head(int(company_id))
    names = (*HASHED_FIELDS, "hash")
    ops = connection.ops
    table = ops.quote_name(Event._meta.db_table)
    columns = ", ".join(ops.quote_name(Event._meta.get_field(name).column) for name in names)
    values = ", ".join(["%s"] * len(names))
    insert = f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608 (model names)
    copy = f"COPY {table} ({columns}) FROM STDIN"
    iterator = iter(events)
    count = 0
    keys = verification_keys()
    key_id = signing_key_id()
    with connection.cursor() as cursor:
        while batch := list(islice(iterator, batch_size)):
            moment = now()
            rows = []
            for fields in batch:
                fields = dict(fields)
                created_at = fields.pop("created_at", None) or moment
                record = _record(company_id=company_id, **fields)
                record["created_at"] = created_at
                _link(head, record, keys)
                # What the model fields would do on save, without a model per row.
                record["data"] = ops.adapt_json_value(record["data"], None)
                record["created_at"] = ops.adapt_datetimefield_value(created_at)
                rows.append([record[name] for name in names])
            _insert(cursor, insert, copy, rows)
            count += len(rows)
    if count:
        _advance(head, key_id, keys)
    return count


def _insert(cursor, insert: str, copy: str, rows: list[list[Any]]) -> None:
    """PostgreSQL takes rows fastest through COPY (psycopg 3); anything else gets executemany."""
    raw = cursor.cursor
    if connection.vendor != "postgresql" or not hasattr(raw, "copy"):
        cursor.executemany(insert, rows)
        return
    with connection.wrap_database_errors, raw.copy(copy) as stream:
        for row in rows:
            stream.write_row(row)


def _require_transaction() -> None:
    if not connection.in_atomic_block:
        raise RuntimeError("event_record must run inside the transaction of the change")


def _record(
    *,
    company_id: int,
    action: Action | str,
    actor: Any = None,
    plan_id: int | None = None,
    task_id: int | None = None,
    step: str = "",
    from_status: str = "",
    to_status: str = "",
    comment: str = "",
    revision: int | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event's fields holding exactly the values the database will give back."""
    return {
        "company_id": int(company_id),
        "plan_id": _optional_int(plan_id),
        "task_id": _optional_int(task_id),
        "actor_id": _optional_int(getattr(actor, "pk", None)),
        "actor_name": str(getattr(actor, "username", "") or ""),
        "action": str(action),
        "step": str(step or ""),
        "from_status": str(from_status or ""),
        "to_status": str(to_status or ""),
        "comment": str(comment or ""),
        "revision": _optional_int(revision),
        "data": plain_json(data or {}),
        "key_id": signing_key_id(),
    }


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _lock_head(company_id: int) -> ChainHead:
    """The company's chain head, locked until the transaction ends; created on first use.

    Two first events of a new company race to insert the head: the loser's
    insert fails on the primary key (inside a savepoint) once the winner
    commits, and it then waits for the winner's row like everybody else.
    """
    # compiled once (``apps.core.compiled``): every event locks its head first
    found = compiled.objects("chain_head", _locking_head, company_id)
    if found:
        return found[0]
    last = (
        Event.objects.filter(company_id=company_id).order_by("-seq").values("seq", "hash").first()
    )
    try:
        with transaction.atomic():
            ChainHead.objects.create(
                company_id=company_id,
                seq=last["seq"] if last else 0,
                hash=last["hash"] if last else GENESIS,
            )
    except IntegrityError:
        pass
    return ChainHead.objects.select_for_update().get(company_id=company_id)


def _locking_head(company_id: int) -> Any:
    return ChainHead.objects.select_for_update().filter(company_id=company_id).order_by()[:1]


def _link(head: ChainHead, record: dict[str, Any], keys: dict[str, bytes]) -> None:
    """Attach ``record`` after the head and move the (unsaved) head onto it."""
    record["seq"] = head.seq + 1
    record["prev_hash"] = head.hash
    record["hash"] = seal(record, keys)
    head.seq, head.hash = record["seq"], record["hash"]


_HEAD_MOVED = ("seq", "hash", "key_id", "mac", "updated_at")


def _seal_head(head: ChainHead, key_id: str, keys: dict[str, bytes]) -> None:
    head.key_id = key_id
    head.mac = head_seal(head.company_id, head.seq, head.hash, key_id, keys)
    head.updated_at = now()


def _advance(head: ChainHead, key_id: str, keys: dict[str, bytes]) -> None:
    """Save the moved head, sealed with the key: a head moved by hand fails its seal."""
    _seal_head(head, key_id, keys)
    head.save(update_fields=list(_HEAD_MOVED))


def _append(event: Event, head: ChainHead, key_id: str, keys: dict[str, bytes]) -> None:
    """PostgreSQL: insert the event and save the moved head in one statement.

    The same rows as ``event.save(force_insert=True)`` then ``_advance``: the head's
    UPDATE runs in a data-modifying WITH, which PostgreSQL runs to completion with the
    INSERT (its forward-only trigger fires as for any UPDATE of the head).
    """
    _seal_head(head, key_id, keys)
    ops = connection.ops
    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    moved = [ChainHead._meta.get_field(name) for name in _HEAD_MOVED]
    head_table, event_table = (ops.quote_name(m._meta.db_table) for m in (ChainHead, Event))
    sets = ", ".join(f"{ops.quote_name(f.column)} = %s" for f in moved)
    columns = ", ".join(ops.quote_name(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    company = ops.quote_name(ChainHead._meta.pk.column)
    sql = (
        f"WITH moved AS (UPDATE {head_table} SET {sets} WHERE {company} = %s) "  # noqa: S608
        f"INSERT INTO {event_table} ({columns}) VALUES ({values}) "
        f"RETURNING {ops.quote_name(Event._meta.pk.column)}"
    )
    params = [f.get_db_prep_save(getattr(head, f.attname), connection) for f in moved]
    params.append(head.company_id)
    params += [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias
