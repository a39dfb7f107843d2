"""The keyed chain against someone who owns the database but not the audit key.

Each case plants what such a person can do with SQL (triggers lifted): recompute
every hash after an edit and move the chain head, rewind the head over removed
events, insert a row mid-chain, downgrade events to unkeyed hashes, or edit a
decision. ``verify_audit`` must detect each one and name it.
"""

from __future__ import annotations

from django.db import connection, models, transaction
from django.test import override_settings
from django.utils import timezone

from apps.audit.chain import GENESIS, LEGACY, head_seal, record_of, seal, unkeyed_digest
from apps.audit.keys import verification_keys
from apps.audit.models import ChainHead, Event
from apps.audit.services import event_record
from apps.plans.models import Decision

from .helpers import head_of, verify_audit

ROTATED = {"dev": "greenlight-development-audit-key-not-secret", "k2": "k2-" + "x" * 40}


def problems(output: str) -> list[str]:
    return [line for line in output.splitlines() if line and not line.startswith("Audit trail")]


def rewrite(event_id: int, **fields) -> None:
    models.QuerySet.update(Event.objects.filter(pk=event_id), **fields)


def test_the_seeded_chain_is_keyed_and_its_head_sealed(maple):
    company_id = maple[0].company_id
    assert {event.key_id for event in maple} == {"dev"}
    head = head_of(company_id)
    keys = verification_keys()
    assert head.mac == head_seal(company_id, head.seq, head.hash, "dev", keys)
    assert verify_audit()[0]


def test_an_edit_rehashed_to_the_end_with_the_head_moved_is_forged_event_by_event(maple, tamper):
    start = 5
    with tamper():
        prev_hash = maple[start - 1].hash
        for index, event in enumerate(maple[start:]):
            record = {**record_of(event), "prev_hash": prev_hash}
            if index == 0:
                record["comment"] = "Approved without reservations."
            record["hash"] = unkeyed_digest(record)
            rewrite(
                event.pk,
                comment=record["comment"],
                prev_hash=record["prev_hash"],
                hash=record["hash"],
            )
            prev_hash = record["hash"]
        ChainHead.objects.filter(company_id=maple[0].company_id).update(hash=prev_hash)
    ok, out = verify_audit()
    assert not ok
    lines = problems(out)
    expected = [
        f"FORGED      maple seq {event.seq} event #{event.pk}: "
        "rewritten with a hash recomputed without the audit key"
        for event in maple[start:]
    ]
    head = head_of(maple[0].company_id)
    expected.append(
        f"FORGED      maple seq {head.seq}: the chain head (seq {head.seq}) was moved by hand: "
        "its seal does not match its position"
    )
    assert lines == expected


def test_a_head_rewound_over_removed_events_is_forged(maple, tamper):
    survivor = maple[-3]
    with tamper():
        models.QuerySet.delete(Event.objects.filter(pk__in=[e.pk for e in maple[-2:]]))
        ChainHead.objects.filter(company_id=survivor.company_id).update(
            seq=survivor.seq, hash=survivor.hash
        )
    ok, out = verify_audit()
    assert not ok
    assert problems(out)[0] == (
        f"FORGED      maple seq {survivor.seq}: the chain head (seq {survivor.seq}) was moved "
        "by hand: its seal does not match its position"
    )


def test_a_row_inserted_mid_chain_is_named_forged_and_the_renumbering_summed_up(maple, tamper):
    at = 6
    before = maple[at - 1]
    later = maple[at:]
    with tamper(), connection.cursor() as cursor:
        for event in reversed(later):
            rewrite(event.pk, seq=event.seq + 1)
        forged = {
            **record_of(before),
            "seq": before.seq + 1,
            "prev_hash": before.hash,
            "comment": "Signed off by phone.",
            "key_id": "dev",
        }
        forged["hash"] = unkeyed_digest({**forged, "comment": "anything"})
        cursor.execute(
            "INSERT INTO audit_event (company_id, seq, plan_id, task_id, actor_id, actor_name, "
            "action, step, from_status, to_status, revision, comment, data, created_at, "
            "prev_hash, hash, key_id) VALUES "
            "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, '{}', %s, %s, %s, %s)",
            [
                forged[name]
                for name in (
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
                )
            ]
            + [before.created_at, forged["prev_hash"], forged["hash"], "dev"],
        )
    inserted = Event.objects.get(company_id=before.company_id, seq=before.seq + 1)
    ok, out = verify_audit()
    assert not ok
    assert problems(out) == [
        f"FORGED      maple seq {inserted.seq} event #{inserted.pk}: inserted by hand: its "
        "hash was not made with the audit key, and the events after it were renumbered to "
        "make room",
        f"REORDERED   maple: {len(later)} later event(s) renumbered by 1 to make room for the "
        "forged row(s) above",
    ]


def test_an_event_downgraded_to_an_unkeyed_hash_is_forged(maple, tamper):
    victim = maple[4]
    record = {**record_of(victim), "key_id": LEGACY, "comment": "Fine."}
    with tamper():
        rewrite(victim.pk, key_id=LEGACY, comment="Fine.", hash=unkeyed_digest(record))
    ok, out = verify_audit()
    assert not ok
    assert problems(out)[0] == (
        f"FORGED      maple seq {victim.seq} event #{victim.pk}: an unkeyed hash after the "
        "chain was keyed: written without the key"
    )


def test_an_edited_decision_is_named_against_its_event(maple):
    decision = Decision.objects.filter(plan__company__slug="maple").order_by("pk").first()
    event = Event.objects.get(task_id=decision.task_id, data__has_key="outcome")
    Decision.objects.filter(pk=decision.pk).update(outcome="reject", comment="No.")
    ok, out = verify_audit()
    assert not ok
    assert problems(out) == [
        f"DECISION    maple seq {event.seq} event #{event.pk}: the decision on task "
        f"{decision.task_id} no longer matches its event (outcome, comment)"
    ]


def test_a_decision_without_an_event_is_named(maple):
    decision = Decision.objects.filter(plan__company__slug="maple").order_by("pk").first()
    Decision.objects.filter(pk=decision.pk).update(task_id=10**9)
    ok, out = verify_audit()
    assert not ok
    assert (
        f"DECISION    maple: the decision #{decision.pk} on task {10**9} has no event in the "
        "chain" in problems(out)
    )


def test_a_rotated_key_keeps_verifying_the_events_the_old_key_signed(maple):
    with override_settings(AUDIT_HMAC_KEYS=ROTATED, AUDIT_HMAC_KEY_ID="k2"):
        with transaction.atomic():
            event = event_record(company_id=maple[0].company_id, action="org_change")
        assert event.key_id == "k2"
        assert verify_audit()[0]
    ok, out = verify_audit()  # without k2: the new event cannot be checked, and says so
    assert not ok
    assert (
        f"UNVERIFIABLE maple seq {event.seq} event #{event.pk}: signed with key 'k2', which "
        "AUDIT_HMAC_KEYS lacks" in out
    )


def test_events_written_before_keys_still_verify(db):
    """A chain of legacy (plain SHA-256) events, as the migration leaves them, is intact."""
    prev = GENESIS
    with transaction.atomic():
        for seq in (1, 2):
            record = {
                "company_id": 99,
                "seq": seq,
                "plan_id": None,
                "task_id": None,
                "actor_id": None,
                "actor_name": "",
                "action": "org_change",
                "step": "",
                "from_status": "",
                "to_status": "",
                "revision": None,
                "comment": "",
                "data": {},
                "created_at": timezone.now(),
                "prev_hash": prev,
                "key_id": LEGACY,
            }
            record["hash"] = seal(record)
            Event(**record).save(force_insert=True)
            prev = record["hash"]
        ChainHead.objects.create(company_id=99, seq=2, hash=prev)
    assert verify_audit()[0]
