"""The hash chain's canonical form: what exactly is hashed, and how.

Each company has one chain. An event's ``hash`` is the SHA-256 of a canonical
JSON serialisation of its fields *including* ``prev_hash``, the hash of the
company's previous event (``GENESIS`` for the first), and of its ``seq``, its
position in the chain. Changing, removing or reordering an event therefore
breaks either its own hash or the link its successor recorded.

The event's database ``id`` is not hashed: it is assigned by the database after
the hash is computed. Ids still grow with ``seq`` (both are taken under the
chain lock), which is what lets verification spot rows whose contents were
exchanged wholesale.

This module is pure (no database access), so that exports can be checked
offline with the same code: a record read back from a JSON Lines export hashes
to the stored ``hash``. Every stored hash depends on exactly this form (the
chain migration uses it too): a change here needs a format version on events,
never an edit in place.

Keyed hashes. Since the chain is keyed, an event's ``hash`` is an HMAC-SHA256
under a secret that is not in the database (``AUDIT_HMAC_KEYS``), and the
event names the key in ``key_id`` (hashed too). Someone who owns the database
can still recompute plain SHA-256 hashes, but not these: a rewritten event,
relinked successors and a moved chain head all fail the key. Events written
before keys existed carry ``key_id = "sha256"`` and keep their plain hash (the
canonical form without ``key_id``); once a chain holds a keyed event, a later
unkeyed one is a forgery.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
LEGACY = "sha256"  # key_id of the events hashed before the chain was keyed


class UnknownKey(LookupError):
    """An event names a key id that is not configured."""


# The fields an event's hash covers, in the order exports list them.
HASHED_FIELDS = (
    "company_id",
    "seq",
    "plan_id",
    "task_id",
    "actor_id",
    "actor_name",
    "action",
    "step",
    "from_status",
    "to_status",
    "revision",
    "comment",
    "data",
    "created_at",
    "prev_hash",
    "key_id",
)


def timestamp(value: datetime | str) -> str:
    """UTC, microseconds, ``Z``: the one text form of ``created_at`` in hashes and exports."""
    if isinstance(value, str):
        return value
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def parse_timestamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def _number(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() else number


# Built once: json.dumps and json.loads build a new encoder or decoder on every call
# made with options, which costs more than the encoding of a small event.
_PLAIN_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
_PLAIN_DECODER = json.JSONDecoder(parse_float=_number)
_CANONICAL_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def plain_json(value: Any) -> Any:
    """``value`` as the database gives it back: JSON types only, whole floats as ints.

    This is what a JSON column stores (tuples become lists, keys strings), and
    PostgreSQL's jsonb keeps numbers as decimals, so ``1e20`` comes back as an
    integer: hashing whole floats as ints makes the hash independent of that.
    Raises ``ValueError`` for NaN or infinity and ``TypeError`` for non-JSON values.
    """
    return _PLAIN_DECODER.decode(_PLAIN_ENCODER.encode(value))


def record_of(source: Any) -> dict[str, Any]:
    """The hashed fields of an event, a ``.values()`` row or an export row, in canonical form."""
    if isinstance(source, Mapping):
        record = {name: source.get(name, LEGACY) for name in HASHED_FIELDS}
    else:  # a historical model of an early migration has no key_id
        record = {name: getattr(source, name, LEGACY) for name in HASHED_FIELDS}
    record["key_id"] = record["key_id"] or LEGACY
    record["created_at"] = timestamp(record["created_at"])
    record["data"] = plain_json(record["data"] or {})
    return record


def canonical(record: Mapping[str, Any]) -> bytes:
    """The bytes that are hashed; ``record`` holds plain values (see ``record_of``).

    A legacy record's form has no ``key_id``: exactly what was hashed before keys.
    """
    keyed = (record.get("key_id") or LEGACY) != LEGACY
    names = HASHED_FIELDS if keyed else HASHED_FIELDS[:-1]
    fields = {name: record[name] for name in names}
    fields["created_at"] = timestamp(fields["created_at"])
    return _CANONICAL_ENCODER.encode(fields).encode("utf-8")


def seal(record: Mapping[str, Any], keys: Mapping[str, bytes] | None = None) -> str:
    """The hash of a record already in canonical form (the writer's fast path).

    ``keys`` maps key ids to secrets; a keyed record needs its own key in it.
    """
    key_id = record.get("key_id") or LEGACY
    if key_id == LEGACY:
        return hashlib.sha256(canonical(record)).hexdigest()
    secret = (keys or {}).get(key_id)
    if secret is None:
        raise UnknownKey(key_id)
    return hmac.new(secret, canonical(record), hashlib.sha256).hexdigest()


def digest(source: Any, keys: Mapping[str, bytes] | None = None) -> str:
    """The hash an event with these fields must carry."""
    return seal(record_of(source), keys)


def unkeyed_digest(source: Any) -> str:
    """Plain SHA-256 over the event's canonical form: what someone without the key can
    compute. A keyed event whose hash equals it was rewritten by such a person."""
    return hashlib.sha256(canonical(record_of(source))).hexdigest()


def head_seal(
    company_id: int, seq: int, value: str, key_id: str, keys: Mapping[str, bytes] | None
) -> str:
    """The chain head's own seal: its position and hash under the key, so that a head
    moved by hand (to hide events removed from the end, or rewritten) shows."""
    secret = (keys or {}).get(key_id)
    if secret is None:
        raise UnknownKey(key_id)
    message = f"chainhead:{int(company_id)}:{int(seq)}:{value}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()
