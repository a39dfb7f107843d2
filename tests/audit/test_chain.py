"""Planted tampering, each case by itself, is found and named by ``verify_audit``.

Tampering is planted the way someone owning the database would: with the
append-only triggers lifted (``tamper``), raw SQL or a plain queryset update
that skips the model's own refusal.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, models, transaction

from apps.audit import guard
from apps.audit.chain import record_of, unkeyed_digest
from apps.audit.models import AppendOnlyError, ChainHead, Event
from apps.org.models import Company
from apps.plans.fingerprints import content_fingerprint, revision_payload
from apps.plans.models import Decision, Plan, PlanRevision

from .helpers import verify_audit


def problems(output: str) -> list[str]:
    """The problem lines of a failed run, without the summary."""
    return [line for line in output.splitlines() if line and not line.startswith("Audit trail")]


def rewrite(event: Event, **fields) -> None:
    """Change a stored event as an UPDATE would, skipping the model's refusal."""
    models.QuerySet.update(Event.objects.filter(pk=event.pk), **fields)


def test_an_intact_trail_reports_the_events_checked_and_every_chain_head(world):
    ok, out = verify_audit()
    assert ok
    total = Event.objects.count()
    assert f"Audit trail intact: {total} events checked in 3 chain(s)." in out
    for head in ChainHead.objects.all():
        company = Company.objects.get(pk=head.company_id)
        assert (
            f"{company.name} ({company.slug}): {head.seq} events, "
            f"head seq {head.seq}, hash {head.hash}"
        ) in out


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("comment", "Looks fine to me."),
        ("actor_name", "maple.gm"),
        ("to_status", "approved"),
        ("revision", 7),
        ("data", {"outcome": "approve"}),
    ],
)
def test_an_edited_field_is_reported_as_changed(maple, tamper, field, value):
    victim = maple[6]
    with tamper():
        rewrite(victim, **{field: value})
    ok, out = verify_audit()
    assert not ok
    assert problems(out) == [
        f"CHANGED     maple seq {victim.seq} event #{victim.pk}: "
        "its fields no longer match its hash"
    ]


def test_a_deleted_event_is_reported_as_removed(maple, tamper):
    before, victim, after = maple[4:7]
    with tamper(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_event WHERE id = %s", [victim.pk])
    ok, out = verify_audit()
    assert not ok
    assert problems(out) == [
        f"REMOVED     maple seq {victim.seq}: missing "
        f"(after event #{before.pk}, before event #{after.pk})"
    ]


def test_deleting_the_latest_events_is_reported_against_the_chain_head(maple, tamper):
    with tamper():
        models.QuerySet.delete(Event.objects.filter(pk__in=[e.pk for e in maple[-2:]]))
    ok, out = verify_audit()
    assert not ok
    lines = problems(out)
    assert lines[0] == (
        f"REMOVED     maple seq {maple[-2].seq}: missing, and every event up to seq "
        f"{maple[-1].seq} (after event #{maple[-3].pk})"
    )
    # The removed sign-off leaves its decision without an event: named as well.
    decided = [e.task_id for e in maple[-2:] if "outcome" in e.data]
    assert lines[1:] == [
        f"DECISION    maple: the decision #{Decision.objects.get(task_id=task).pk} on task "
        f"{task} has no event in the chain"
        for task in decided
    ]


def test_two_events_swapped_in_the_chain_are_reported_as_reordered(maple, tamper):
    first, second = maple[3], maple[4]
    with tamper():
        rewrite(first, seq=10**9)
        rewrite(second, seq=first.seq)
        rewrite(first, seq=second.seq)
    ok, out = verify_audit()
    assert not ok
    assert problems(out) == [
        f"REORDERED   maple seq {first.seq} event #{second.pk}: "
        f"written as seq {second.seq}, now sits at seq {first.seq}",
        f"REORDERED   maple seq {second.seq} event #{first.pk}: "
        f"written as seq {first.seq}, now sits at seq {second.seq}",
    ]


def test_two_rows_that_exchanged_their_contents_are_reported_as_reordered(maple, tamper):
    first, second = maple[3], maple[4]
    fields = [f.name for f in Event._meta.concrete_fields if f.name != "id"]
    with tamper():
        rewrite(first, seq=10**9)
        rewrite(second, **{name: getattr(first, name) for name in fields})
        rewrite(first, **{name: getattr(second, name) for name in fields})
    ok, out = verify_audit()
    assert not ok
    assert problems(out) == [
        f"REORDERED   maple seq {second.seq} event #{first.pk}: "
        f"stored before event #{second.pk} (seq {first.seq}) yet placed after it"
    ]


def test_an_event_rewritten_with_a_recomputed_hash_is_reported_as_forged(maple, tamper):
    victim, successor = maple[6], maple[7]
    forged = {**record_of(victim), "comment": "Approved without reservations."}
    with tamper():
        rewrite(victim, comment=forged["comment"], hash=unkeyed_digest(forged))
    ok, out = verify_audit()
    assert not ok
    assert problems(out) == [
        f"FORGED      maple seq {victim.seq} event #{victim.pk}: "
        "rewritten with a hash recomputed without the audit key"
    ]
    assert successor.prev_hash != unkeyed_digest(forged)


def test_the_latest_event_rewritten_with_a_recomputed_hash_is_caught_by_the_chain_head(
    maple, tamper
):
    victim = maple[-1]
    forged = {**record_of(victim), "actor_name": "maple.salesdir"}
    with tamper():
        rewrite(victim, actor_name="maple.salesdir", hash=unkeyed_digest(forged))
    ok, out = verify_audit()
    assert not ok
    assert problems(out) == [
        f"FORGED      maple seq {victim.seq} event #{victim.pk}: "
        "rewritten with a hash recomputed without the audit key"
    ]


def test_a_hash_replaced_by_garbage_is_reported_as_forged(maple, tamper):
    victim = maple[2]
    with tamper():
        rewrite(victim, hash="f" * 64)
    ok, out = verify_audit()
    assert problems(out) == [
        f"FORGED      maple seq {victim.seq} event #{victim.pk}: "
        "its hash was not made with the audit key and no event links to it"
    ]


@pytest.mark.parametrize(
    ("rewrite_text", "rewrite_fingerprint", "message"),
    [
        (True, False, "no longer has the text this event acted on"),
        (True, True, "no longer has the text this event acted on"),
        (False, True, "carries a rewritten fingerprint"),
    ],
    ids=["text", "text-and-its-fingerprint", "fingerprint"],
)
def test_a_revision_rewritten_after_the_decisions_breaks_their_fingerprints(
    maple, rewrite_text, rewrite_fingerprint, message
):
    plan = Plan.objects.get(title="Brand refresh 2027")
    revision = plan.revisions.get(number=1)
    changes = {}
    if rewrite_text:
        changes["content"] = {**revision.content, "budget": "800000"}
    if rewrite_fingerprint:
        # With the text: the fingerprint the new text really has; alone: any other value.
        payload = {**revision_payload(revision), **changes}
        changes["content_sha256"] = content_fingerprint(payload) if rewrite_text else "0" * 64
    PlanRevision.objects.filter(pk=revision.pk).update(**changes)
    bound = Event.objects.filter(plan_id=plan.pk, data__has_key="content_sha256").order_by("seq")
    assert [e.action for e in bound] == ["submit", "raise_concerns", "sign_off"]
    ok, out = verify_audit()
    assert not ok
    lines = problems(out)
    assert len(lines) == 3
    for line, event in zip(lines, bound, strict=True):
        assert line.startswith(f"FINGERPRINT maple seq {event.seq} event #{event.pk}: ")
        assert message in line


def test_verify_audit_checks_one_company_when_asked(maple, tamper):
    with tamper():
        rewrite(maple[1], comment="edited")
    assert verify_audit("--company", "lotus")[0]
    assert not verify_audit("--company", "maple")[0]


def test_a_missing_trigger_is_reported(world):
    with transaction.atomic():
        guard.remove(connection)
        ok, out = verify_audit()
        transaction.set_rollback(True)
    assert not ok
    assert problems(out) == [
        f"GUARD       append-only trigger missing: {name}"
        for name in guard.trigger_names(connection)
    ]
    assert verify_audit()[0]


STATEMENTS = {
    "update": "UPDATE audit_event SET comment = 'edited'",
    "delete": "DELETE FROM audit_event",
    "truncate": "TRUNCATE audit_event",
    "rewind the head": "UPDATE audit_chainhead SET seq = seq - 1",
    "rewrite the head": "UPDATE audit_chainhead SET hash = 'forged'",
    "delete the head": "DELETE FROM audit_chainhead",
}


@pytest.mark.parametrize("statement", STATEMENTS, ids=list(STATEMENTS))
def test_the_database_refuses_to_change_or_delete_the_trail(world, statement):
    if statement == "truncate" and connection.vendor != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE covers it")
    count, heads = Event.objects.count(), list(ChainHead.objects.values_list("seq", "hash"))
    with (
        pytest.raises(IntegrityError, match="append-only|only moves forward|never deleted"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(STATEMENTS[statement])
    assert Event.objects.count() == count
    assert list(ChainHead.objects.values_list("seq", "hash")) == heads


def test_the_model_refuses_to_change_or_delete_events(maple):
    event = maple[0]
    event.comment = "edited"
    for attempt in (
        event.save,
        event.delete,
        lambda: Event.objects.filter(pk=event.pk).update(comment="edited"),
        lambda: Event.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(AppendOnlyError):
            attempt()
    assert Event.objects.get(pk=event.pk).comment == ""
