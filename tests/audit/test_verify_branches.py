"""Tampering that only the rarer branches of the verifier catch: a forged start of the chain,
a second event at one position, a missing or rewound chain head, rows added past it.

Each case is planted as a database owner would (triggers lifted, raw SQL, the unique index
dropped), then ``verify_audit`` must name the kind of problem and the event, and nothing else.
The assertions read the kind and the event number, not the wording, nor how hashes are made.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from django.db import connection, transaction

from apps.audit.chain import GENESIS
from apps.audit.models import ChainHead, Event
from apps.audit.verify import chain_verify
from apps.org.models import Company
from tests.factories import draft, submitted

from .helpers import chain_of, head_of, rehashed, rewrite, verify_audit

LINE = re.compile(r"^(?P<kind>[A-Z]+)\s+(?P<where>[^:]*)")


def found(output: str) -> list[tuple[str, int | None]]:
    """The problems ``verify_audit`` printed, as (kind, event id it names or None)."""
    problems = []
    for line in output.splitlines():
        match = LINE.match(line)
        if not match or line.startswith("Audit trail"):
            continue
        event = re.search(r"event #(\d+)", match["where"])
        problems.append((match["kind"], int(event[1]) if event else None))
    return problems


def failed(*args: str) -> list[tuple[str, int | None]]:
    ok, out = verify_audit(*args)
    assert not ok, out
    return found(out)


@pytest.fixture
def lotus(user) -> list[Event]:
    """Lotus's chain, oldest first, with the world's events and one plan in review."""
    submitted(user("lotus.planner"), title="Spring knitwear fair")
    chain = chain_of(Company.objects.get(slug="lotus").pk)
    assert len(chain) >= 6
    assert verify_audit()[0]  # the planted problem below is the only one
    return chain


def test_a_first_event_that_does_not_start_from_the_genesis_hash_is_reported(lotus, tamper):
    first = lotus[0]
    elsewhere = "1" * 64
    assert first.prev_hash == GENESIS and elsewhere != GENESIS
    with tamper():
        rewrite(first, prev_hash=elsewhere, hash=rehashed(first, prev_hash=elsewhere))
    # Its own hash is consistent: only the start of the chain gives it away.
    ok, out = verify_audit()
    assert found(out) == [("CHANGED", first.pk)]
    assert "genesis" in out


def test_an_event_relinked_to_an_older_one_is_reported_as_reordered(lotus, tamper):
    older, victim = lotus[1], lotus[3]
    with tamper():
        rewrite(victim, prev_hash=older.hash, hash=rehashed(victim, prev_hash=older.hash))
    ok, out = verify_audit()
    assert found(out) == [("REORDERED", victim.pk)]
    assert f"follows event #{older.pk}" in out


@contextmanager
def seq_not_unique():
    """The unique index on (company, seq) dropped, for this test's transaction only."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_event DROP CONSTRAINT audit_event_seq_unique")
        else:  # SQLite keeps the constraint in the table: a copy without it takes its place
            cursor.execute("CREATE TABLE audit_event_copy AS SELECT * FROM audit_event")
            cursor.execute("DROP TABLE audit_event")
            cursor.execute("ALTER TABLE audit_event_copy RENAME TO audit_event")
            from apps.audit import guard

            guard.install(connection)  # the triggers went with the old table
        yield cursor
        transaction.set_rollback(True)


def test_a_second_event_at_the_same_position_is_reported_as_inserted(lotus, tamper):
    original = lotus[-1]  # the latest: a copy in mid-chain also puts its successor out of order
    columns = [f.column for f in Event._meta.concrete_fields if f.column != "id"]
    names = ", ".join(columns)
    with seq_not_unique() as cursor:
        new_id = Event.objects.order_by("-id").values_list("id", flat=True).first() + 1
        cursor.execute(
            f"INSERT INTO audit_event (id, {names}) SELECT %s, {names} "  # noqa: S608
            "FROM audit_event WHERE id = %s",
            [new_id, original.pk],
        )
        twins = Event.objects.filter(company_id=original.company_id, seq=original.seq)
        assert twins.count() == 2
        assert failed() == [("INSERTED", new_id)]


def test_a_missing_chain_head_is_reported_as_removed(lotus, tamper):
    company_id = lotus[0].company_id
    with tamper(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_chainhead WHERE company_id = %s", [company_id])
    ok, out = verify_audit()
    assert found(out) == [("REMOVED", None)]
    assert f"lotus seq {lotus[-1].seq}: the chain head is missing" in out


def test_a_chain_whose_events_are_all_gone_is_reported_against_its_head(lotus, tamper):
    company_id = lotus[0].company_id
    with tamper(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE company_id = %s", [company_id])
    ok, out = verify_audit()
    assert found(out) == [("REMOVED", None)]
    assert f"lotus seq 1: missing, and every event up to seq {lotus[-1].seq}" in out


def test_events_past_a_rewound_chain_head_are_reported_as_inserted(lotus, tamper, user):
    head = head_of(lotus[0].company_id)
    draft(user("lotus.planner"), title="Written after the head was read")
    latest = chain_of(head.company_id)[-1]
    assert latest.seq == head.seq + 1
    # The head row as it was before the draft: a copy of an older head, its seal included.
    with tamper(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_chainhead SET seq = %s, hash = %s, mac = %s, key_id = %s "
            "WHERE company_id = %s",
            [head.seq, head.hash, head.mac, head.key_id, head.company_id],
        )
    assert failed() == [("INSERTED", latest.pk)]


def test_a_row_appended_without_the_chain_head_is_reported_as_inserted(lotus, tamper):
    last = lotus[-1]
    fields = {
        f.attname: getattr(last, f.attname) for f in Event._meta.concrete_fields if f.name != "id"
    }
    fields.update(seq=last.seq + 1, prev_hash=last.hash, comment="Slipped in.")
    appended = Event(**fields)
    appended.hash = rehashed(appended)
    with tamper():
        Event.objects.bulk_create([appended])  # straight to the table, past the chain lock
    appended = Event.objects.get(company_id=last.company_id, seq=last.seq + 1)
    assert head_of(last.company_id).seq == last.seq
    assert failed() == [("INSERTED", appended.pk)]


def test_each_planted_problem_is_found_in_its_own_company_only(lotus, tamper):
    first = lotus[0]
    with tamper():
        rewrite(first, prev_hash="2" * 64, hash=rehashed(first, prev_hash="2" * 64))
    assert verify_audit("--company", "maple")[0]
    assert failed("--company", "lotus") == [("CHANGED", first.pk)]


def test_the_first_event_deleted_is_reported_missing_at_the_start_of_the_chain(lotus, tamper):
    first, second = lotus[0], lotus[1]
    with tamper(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE id = %s", [first.pk])
    ok, out = verify_audit()
    assert found(out) == [("REMOVED", None)]
    assert f"lotus seq 1: missing (at the start of the chain, before event #{second.pk})" in out


def test_the_verifier_reports_its_problems_by_kind_for_every_caller(lotus, tamper):
    """``chain_verify`` is read by other code than the command: its kinds are lower case."""
    first, relinked = lotus[0], lotus[3]
    with tamper():
        rewrite(first, prev_hash="3" * 64, hash=rehashed(first, prev_hash="3" * 64))
        rewrite(relinked, prev_hash=lotus[1].hash, hash=rehashed(relinked, prev_hash=lotus[1].hash))
    report = chain_verify()
    assert not report.intact
    assert [(p.kind, p.event_id) for p in report.problems] == [
        ("changed", first.pk),
        ("reordered", relinked.pk),
    ]


def test_events_swapped_further_apart_than_the_search_window_are_still_named_as_moved(
    lotus, tamper, user
):
    for number in range(16):
        draft(user("lotus.planner"), title=f"Filler {number}")
    chain = chain_of(lotus[0].company_id)
    first, second, far = chain[0], chain[1], chain[19]
    assert far.seq - first.seq > 16  # beyond the window around each position
    with tamper():
        rewrite(first, seq=10**9)
        rewrite(far, seq=first.seq)
        rewrite(first, seq=far.seq)
    ok, out = verify_audit()
    # Each is found where it was written: the first by the genesis link, the other by the
    # predecessor its link names; the second event now follows a later-stored one.
    assert found(out) == [
        ("REORDERED", far.pk),
        ("REORDERED", second.pk),
        ("REORDERED", first.pk),
    ]
    assert f"written as seq {far.seq}, now sits at seq {first.seq}" in out
    assert f"written as seq {first.seq}, now sits at seq {far.seq}" in out


def test_every_chain_head_missing_is_reported_once_per_company(lotus, tamper):
    companies = sorted(ChainHead.objects.values_list("company_id", flat=True))
    assert len(companies) == 3  # the last company walked loses its head too
    with tamper(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_chainhead")
    report = chain_verify()
    assert [(p.kind, p.company_id) for p in report.problems] == [
        ("removed", company_id) for company_id in companies
    ]
