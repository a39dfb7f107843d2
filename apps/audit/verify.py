"""Walk every company's chain and say exactly what, if anything, was tampered with.

Events are read in chain order (company, then ``seq``) in chunks, so memory
stays flat however long the trail is. For each event the walk checks:

- its own hash against its fields (``changed``; or ``reordered`` when the
  fields hash correctly at another position, i.e. the event was moved);
- that its ``seq`` follows its predecessor's (a gap: ``removed``);
- that its ``prev_hash`` is its predecessor's hash (an event rewritten with a
  recomputed hash of its own breaks this link: ``forged``);
- that ids grow with ``seq`` (rows whose contents were exchanged: ``reordered``);
- that the hash was made with the audit key (``apps.audit.keys``): a row added or
  rewritten by someone without the key is ``forged``, named as such, and genuine
  events renumbered to make room for it are summed up in one line; an unkeyed
  event after keyed ones is a forgery too, and a key id nobody holds is
  ``unverifiable``.

The chain head closes each chain: events removed from the end, or a rewritten
latest event, show against it; its own seal (an HMAC of its position) shows a
head moved by hand. Decision and submission events carry the
fingerprint of the revision they acted on; this app cannot read plans, so the
caller passes a ``fingerprint_check`` that can (see ``apps.plans.history``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, transaction

from . import guard
from .chain import GENESIS, HASHED_FIELDS, LEGACY, UnknownKey, digest, head_seal, unkeyed_digest
from .keys import verification_keys
from .models import ChainHead, Event

# (plan_id, revision number, fingerprint the event recorded) -> what is wrong, or None
FingerprintCheck = Callable[[int, int, str], "str | None"]

MOVE_WINDOW = 16  # how far from its place a moved event is looked for
ROW_FIELDS = ("id", "hash", *HASHED_FIELDS)


@dataclass(frozen=True)
class Problem:
    kind: str  # changed, removed, reordered, forged, inserted, unverifiable, fingerprint,
    # decision, guard
    detail: str
    company_id: int | None = None
    seq: int | None = None
    event_id: int | None = None

    def __str__(self) -> str:
        return self.describe()

    def describe(self, company_names: dict[int, str] | None = None) -> str:
        """One line; ``company_names`` maps company ids to what to call them."""
        names = company_names or {}
        where = []
        if self.company_id is not None:
            where.append(names.get(self.company_id, f"company {self.company_id}"))
        if self.seq is not None:
            where.append(f"seq {self.seq}")
        if self.event_id is not None:
            where.append(f"event #{self.event_id}")
        place = " ".join(where)
        return f"{self.kind.upper():<11} {place + ': ' if place else ''}{self.detail}"


@dataclass(frozen=True)
class Chain:
    company_id: int
    events: int
    head_seq: int
    head_hash: str


@dataclass
class Report:
    checked: int = 0
    chains: list[Chain] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


def chain_verify(
    *,
    company_ids: Iterable[int] | None = None,
    fingerprint_check: FingerprintCheck | None = None,
    chunk_size: int = 2000,
    using: str = "default",
) -> Report:
    """Check the chains of ``company_ids`` (all companies when None).

    Events and chain heads are read in one snapshot (REPEATABLE READ on
    PostgreSQL), so actions that go on meanwhile are neither reported as
    inserted nor as removed.
    """
    connection = connections[using]
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=using):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        return _verify(company_ids, fingerprint_check, chunk_size, using)


def _verify(
    company_ids: Iterable[int] | None,
    fingerprint_check: FingerprintCheck | None,
    chunk_size: int,
    using: str,
) -> Report:
    report = Report()
    for name in guard.missing(connections[using]):
        report.problems.append(Problem("guard", f"append-only trigger missing: {name}"))
    heads = ChainHead.objects.using(using).order_by("company_id")
    events = Event.objects.using(using).order_by("company_id", "seq", "id")
    if company_ids is not None:
        company_ids = list(company_ids)
        heads = heads.filter(company_id__in=company_ids)
        events = events.filter(company_id__in=company_ids)
    heads_by_company = {head.company_id: head for head in heads}
    keys = verification_keys()
    walk: _ChainWalk | None = None
    for row in events.values(*ROW_FIELDS).iterator(chunk_size=chunk_size):
        if walk is None or row["company_id"] != walk.company_id:
            if walk is not None:
                walk.finish(heads_by_company.pop(walk.company_id, None))
            walk = _ChainWalk(row["company_id"], report, using, keys)
        walk.step(row)
        if fingerprint_check is not None:
            _check_fingerprint(row, fingerprint_check, report)
    if walk is not None:
        walk.finish(heads_by_company.pop(walk.company_id, None))
    for head in heads_by_company.values():
        _ChainWalk(head.company_id, report, using, keys).finish(head)
    return report


def _check_fingerprint(row: dict[str, Any], check: FingerprintCheck, report: Report) -> None:
    fingerprint = (row["data"] or {}).get("content_sha256")
    if not fingerprint or row["plan_id"] is None or row["revision"] is None:
        return
    detail = check(row["plan_id"], row["revision"], fingerprint)
    if detail:
        report.problems.append(
            Problem("fingerprint", detail, row["company_id"], row["seq"], row["id"])
        )


class _ChainWalk:
    """One company's chain, one event at a time."""

    def __init__(self, company_id: int, report: Report, using: str, keys: dict[str, bytes]) -> None:
        self.company_id = company_id
        self.report = report
        self.using = using
        self.keys = keys
        self.prev: dict[str, Any] | None = None
        self.last_good: dict[str, Any] | None = None  # the last event that is not forged
        self.count = 0
        self.keyed = False  # a keyed event was seen: unkeyed ones after it are forged
        self.shift = 0  # forged rows inserted so far: genuine events after them moved down
        self.renumbered = 0
        self.reported: set[int] = set()
        self.forged: set[int] = set()

    def problem(self, kind: str, row: dict[str, Any] | None, detail: str, seq=None) -> None:
        event_id = row["id"] if row else None
        if event_id is not None:
            if event_id in self.reported:
                return
            self.reported.add(event_id)
            if kind == "forged":
                self.forged.add(event_id)
        seq = seq if seq is not None else (row["seq"] if row else None)
        self.report.problems.append(Problem(kind, detail, self.company_id, seq, event_id))

    def _verifies(self, row: dict[str, Any], seq: int | None = None) -> bool:
        candidate = row if seq is None else {**row, "seq": seq}
        try:
            return digest(candidate, self.keys) == row["hash"]
        except UnknownKey:
            return False

    def step(self, row: dict[str, Any]) -> None:
        self.report.checked += 1
        self.count += 1
        prev = self.prev
        expected_seq = prev["seq"] + 1 if prev else 1
        key_id = row["key_id"] or LEGACY
        if prev and row["seq"] == prev["seq"]:
            self.problem(
                "inserted", row, f"a second event at seq {row['seq']} (also #{prev['id']})"
            )
        elif row["seq"] > expected_seq:
            self._removed(expected_seq, row["seq"] - 1, after=prev, before=row)
        if key_id == LEGACY and self.keyed:
            self.problem(
                "forged", row, "an unkeyed hash after the chain was keyed: written without the key"
            )
        elif key_id != LEGACY and key_id not in self.keys:
            self.problem(
                "unverifiable", row, f"signed with key {key_id!r}, which AUDIT_HMAC_KEYS lacks"
            )
        elif self._verifies(row):
            if self._link_broken(row, expected_seq):
                self._broken_link(row)
        elif self.shift and self._verifies(row, row["seq"] - self.shift):
            self.renumbered += 1  # moved down by an insertion already reported
            if row["prev_hash"] != (self.last_good["hash"] if self.last_good else GENESIS):
                self._broken_link(row)
        else:
            self._unverified(row)
        self.keyed = self.keyed or (key_id != LEGACY and row["id"] not in self.forged)
        if prev and row["id"] < prev["id"] and prev["id"] not in self.forged:
            self.problem(
                "reordered",
                row,
                f"stored before event #{prev['id']} (seq {prev['seq']}) yet placed after it",
            )
        self.prev = row
        if row["id"] not in self.forged:
            self.last_good = row

    def _unverified(self, row: dict[str, Any]) -> None:
        """Name what happened to an event whose hash its fields (and the key) do not give."""
        original = self._original_seq(row)
        if original is not None:
            self.problem(
                "reordered", row, f"written as seq {original}, now sits at seq {row['seq']}"
            )
            return
        if (row["key_id"] or LEGACY) != LEGACY and unkeyed_digest(row) == row["hash"]:
            self.problem("forged", row, "rewritten with a hash recomputed without the audit key")
            return
        following = self._at_seq(row["seq"] + 1)
        if following is not None and self._verifies(following, row["seq"]):
            self.shift += 1
            self.problem(
                "forged",
                row,
                "inserted by hand: its hash was not made with the audit key, and the "
                "events after it were renumbered to make room",
            )
        elif (
            following is not None
            and following["prev_hash"] == row["hash"]
            or following is None
            and self._is_head(row)
        ):
            self.problem("changed", row, "its fields no longer match its hash")
        else:
            self.problem(
                "forged", row, "its hash was not made with the audit key and no event links to it"
            )

    def finish(self, head: ChainHead | None) -> None:
        last = self.prev
        last_seq = last["seq"] if last else 0
        if self.renumbered:
            self.report.problems.append(
                Problem(
                    "reordered",
                    f"{self.renumbered} later event(s) renumbered by {self.shift} "
                    "to make room for the forged row(s) above",
                    self.company_id,
                )
            )
        if head is None:
            self.problem("removed", None, "the chain head is missing", seq=last_seq)
            head_seq, head_hash = last_seq, last["hash"] if last else GENESIS
        else:
            head_seq, head_hash = head.seq, head.hash
            if not self._head_sealed(head):
                self.problem(
                    "forged",
                    None,
                    f"the chain head (seq {head.seq}) was moved by hand: its seal does not "
                    "match its position",
                    seq=head.seq,
                )
            elif head.seq > last_seq:
                after = f"after event #{last['id']}" if last else "the whole chain"
                self._removed(last_seq + 1, head.seq, after=last, before=None, where=after)
            elif head.seq < last_seq - self.shift:
                self.problem(
                    "inserted",
                    last,
                    f"events after seq {head.seq} were not appended through the chain head",
                )
            elif (
                last
                and head.hash != last["hash"]
                and last["id"] not in self.reported
                and self._verifies(last)
            ):
                self.problem(
                    "forged",
                    last,
                    "the latest event was rewritten with a recomputed hash: "
                    "the chain head records another",
                )
        self.report.chains.append(Chain(self.company_id, self.count, head_seq, head_hash))

    def _head_sealed(self, head: ChainHead) -> bool:
        """A keyed head's seal matches its position; an unsealed head is only allowed
        for a chain that was never keyed (written before keys existed)."""
        if not head.mac:
            return not self.keyed
        try:
            return head.mac == head_seal(
                head.company_id, head.seq, head.hash, head.key_id, self.keys
            )
        except UnknownKey:
            return False

    def _is_head(self, row: dict[str, Any]) -> bool:
        head = ChainHead.objects.using(self.using).filter(company_id=self.company_id).first()
        return head is not None and head.hash == row["hash"]

    def _at_seq(self, seq: int) -> dict[str, Any] | None:
        return (
            Event.objects.using(self.using)
            .filter(company_id=self.company_id, seq=seq)
            .order_by("id")
            .values(*ROW_FIELDS)
            .first()
        )

    def _removed(self, first: int, last: int, *, after, before, where: str = "") -> None:
        span = "missing" if first == last else f"missing, and every event up to seq {last}"
        if not where:
            before_text = f"before event #{before['id']}" if before else ""
            where = f"after event #{after['id']}" if after else "at the start of the chain"
            where = f"{where}, {before_text}" if before_text else where
        self.report.problems.append(Problem("removed", f"{span} ({where})", self.company_id, first))

    def _original_seq(self, row: dict[str, Any]) -> int | None:
        """The position at which ``row``'s fields hash correctly, if it is not its own."""
        candidates = list(range(max(1, row["seq"] - MOVE_WINDOW), row["seq"] + MOVE_WINDOW + 1))
        predecessor = self._by_hash(row["prev_hash"])
        if row["prev_hash"] == GENESIS:
            candidates.insert(0, 1)
        elif predecessor is not None:
            candidates.insert(0, predecessor["seq"] + 1)
        for seq in candidates:
            if seq != row["seq"] and self._verifies(row, seq):
                return seq
        return None

    def _link_broken(self, row: dict[str, Any], seq: int) -> bool:
        """Whether ``row`` fails to name its predecessor's hash; not asked after a gap,
        or after a predecessor already reported (its hash is no evidence)."""
        prev = self.prev
        if row["seq"] != seq or (prev is not None and prev["id"] in self.reported):
            return False
        return row["prev_hash"] != (prev["hash"] if prev else GENESIS)

    def _broken_link(self, row: dict[str, Any]) -> None:
        prev = self.prev
        linked = self._by_hash(row["prev_hash"])
        if linked is None and prev is not None:
            self.problem(
                "forged",
                prev,
                f"rewritten with a recomputed hash: event #{row['id']} "
                f"(seq {row['seq']}) recorded another hash for it",
            )
        elif linked is None:
            self.problem("changed", row, "the first event does not start from the genesis hash")
        else:
            self.problem(
                "reordered",
                row,
                f"follows event #{linked['id']} (seq {linked['seq']}) in the chain, "
                f"not the event before it",
            )

    def _by_hash(self, value: str) -> dict[str, Any] | None:
        return (
            Event.objects.using(self.using)
            .filter(company_id=self.company_id, hash=value)
            .values("id", "seq")
            .first()
        )
