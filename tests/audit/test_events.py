"""Each action of the core flow writes exactly one chained event; a failed action writes none."""

from __future__ import annotations

from unittest import mock

import pytest

from apps.audit.models import ChainHead, Event
from apps.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from apps.plans import services as plan_services
from apps.plans.models import Status
from tests.factories import decide, draft, open_task, submitted
from workflows import services as approvals

from .helpers import assert_chained, head_of, recorded, verify_audit


def one_event(events: list[Event], head_before: ChainHead) -> Event:
    assert len(events) == 1, [e.action for e in events]
    assert_chained(events, after=head_before)
    return events[0]


def fingerprint(plan, number: int) -> str:
    return plan.revisions.get(number=number).content_sha256


def test_drafting_a_plan_records_one_create_event(user):
    planner = user("maple.planner")
    head = head_of(planner.membership.company_id)
    with recorded() as events:
        plan = draft(planner, title="Coats")
    event = one_event(events, head)
    assert (event.company_id, event.plan_id, event.action) == (plan.company_id, plan.pk, "create")
    assert (event.actor_id, event.actor_name) == (planner.pk, "maple.planner")
    assert (event.from_status, event.to_status, event.revision) == ("", "draft", None)
    assert event.data == {"kind": "promotional", "title": "Coats"}


def test_editing_a_draft_records_one_edit_event_and_a_save_without_change_none(user):
    planner = user("maple.planner")
    plan = draft(planner)
    head = head_of(plan.company_id)
    with recorded() as events:
        plan_services.plan_update(actor=planner, plan=plan, data={"title": "Coats, revised"})
    event = one_event(events, head)
    assert (event.action, event.actor_name, event.data) == (
        "edit",
        "maple.planner",
        {"changed": ["title"]},
    )
    with recorded() as events:
        plan_services.plan_update(actor=planner, plan=plan, data={"title": "Coats, revised"})
    assert events == []


def test_submitting_records_one_event_bound_to_the_frozen_revision(user):
    planner = user("maple.planner")
    plan = draft(planner)
    head = head_of(plan.company_id)
    with recorded() as events:
        plan = approvals.plan_submit(actor=planner, plan_id=plan.pk)
    event = one_event(events, head)
    assert (event.action, event.step, event.actor_name) == ("submit", "submit", "maple.planner")
    assert (event.from_status, event.to_status, event.revision) == ("draft", "in_review", 1)
    assert event.data["content_sha256"] == fingerprint(plan, 1)
    assert event.data["route"]["sales_review"] == "binding"


def test_claiming_and_releasing_each_record_one_event(user):
    plan = submitted(user("maple.planner"))
    sales = user("maple.sales")
    task = open_task(plan, step="review")
    head = head_of(plan.company_id)
    with recorded() as events:
        approvals.task_claim(actor=sales, task_id=task.pk)
    claim = one_event(events, head)
    head = head_of(plan.company_id)
    with recorded() as events:
        approvals.task_release(actor=sales, task_id=task.pk)
    release = one_event(events, head)
    for event, action in ((claim, "claim"), (release, "release")):
        assert (event.action, event.task_id, event.step, event.actor_name) == (
            action,
            task.pk,
            "review",
            "maple.sales",
        )
        assert (event.from_status, event.to_status, event.revision) == ("in_review",) * 2 + (1,)
        assert event.data == {"department": "Sales"}


DECISIONS = [
    # lead, step, who decides, outcome, comment, recorded action, status after
    ("sales_leads", "review", "maple.sales", "approve", "", "approve", "awaiting_signoff"),
    (
        "marketing_leads",
        "review",
        "maple.sales",
        "raise_concerns",
        "Train the store staff first.",
        "raise_concerns",
        "awaiting_signoff",
    ),
    (
        "sales_leads",
        "review",
        "maple.sales",
        "request_changes",
        "Add the leaflets.",
        "request_changes",
        "changes_requested",
    ),
    ("sales_leads", "review", "maple.sales", "reject", "Not this season.", "reject", "rejected"),
    ("sales_leads", "sign_off", "maple.gm", "approve", "Go ahead.", "sign_off", "approved"),
    (
        "sales_leads",
        "sign_off",
        "maple.salesdir",
        "request_changes",
        "Halve the budget.",
        "request_changes",
        "changes_requested",
    ),
    ("sales_leads", "sign_off", "maple.gm", "reject", "No.", "reject", "rejected"),
]


@pytest.mark.parametrize(
    ("lead", "step", "who", "outcome", "comment", "action", "after"),
    DECISIONS,
    ids=[f"{d[1]}-{d[3]}" for d in DECISIONS],
)
def test_each_decision_records_one_event_with_the_fingerprint_it_decided_on(
    user, lead, step, who, outcome, comment, action, after
):
    plan = submitted(user("maple.planner"), lead=lead)
    before = "in_review"
    if step == "sign_off":
        plan = decide(plan, user("maple.sales"), "approve")
        before = "awaiting_signoff"
    task = open_task(plan, step=step)
    head = head_of(plan.company_id)
    with recorded() as events:
        decide(plan, user(who), outcome, comment, step=step)
    event = one_event(events, head)
    assert (event.action, event.step, event.task_id, event.actor_name) == (
        action,
        step,
        task.pk,
        who,
    )
    assert (event.from_status, event.to_status, event.revision) == (before, after, 1)
    assert event.comment == comment
    assert event.data["outcome"] == outcome
    assert event.data["content_sha256"] == fingerprint(plan, 1)
    assert plan.status == after


def test_resubmitting_records_one_event_with_the_new_revisions_fingerprint(user):
    planner = user("maple.planner")
    plan = decide(submitted(planner), user("maple.sales"), "request_changes", "Add the leaflets.")
    plan_services.plan_update(
        actor=planner, plan=plan, data={"content": {**plan.content, "budget": "40000"}}
    )
    head = head_of(plan.company_id)
    with recorded() as events:
        plan = approvals.plan_submit(actor=planner, plan_id=plan.pk)
    event = one_event(events, head)
    assert (event.action, event.step, event.revision) == ("resubmit", "revise", 2)
    assert (event.from_status, event.to_status) == ("changes_requested", "in_review")
    assert event.data["content_sha256"] == fingerprint(plan, 2) != fingerprint(plan, 1)
    assert event.data["changed"] == ["content.budget"]


def test_cancelling_records_one_event(user):
    plan = submitted(user("maple.planner"))
    head = head_of(plan.company_id)
    with recorded() as events:
        approvals.plan_cancel(actor=user("maple.gm"), plan_id=plan.pk, comment="Budget frozen.")
    event = one_event(events, head)
    assert (event.action, event.actor_name, event.comment) == (
        "cancel",
        "maple.gm",
        "Budget frozen.",
    )
    assert (event.from_status, event.to_status, event.revision) == ("in_review", "cancelled", 1)


FAILURES = {
    "request changes without a comment": (
        lambda u, plan: decide(plan, u("maple.sales"), "request_changes", ""),
        ValidationError,
    ),
    "a signer decides a review": (
        lambda u, plan: decide(plan, u("maple.salesdir"), "approve"),
        Forbidden,
    ),
    "the author claims their own review": (
        lambda u, plan: approvals.task_claim(
            actor=u("maple.planner"), task_id=open_task(plan, step="review").pk
        ),
        Forbidden,
    ),
    "release a task nobody claimed": (
        lambda u, plan: approvals.task_release(
            actor=u("maple.sales"), task_id=open_task(plan, step="review").pk
        ),
        Conflict,
    ),
    "submit twice": (
        lambda u, plan: approvals.plan_submit(actor=u("maple.planner"), plan_id=plan.pk),
        Conflict,
    ),
    "someone else cancels": (
        lambda u, plan: approvals.plan_cancel(actor=u("maple.sales"), plan_id=plan.pk),
        Forbidden,
    ),
    "draft an invalid plan": (
        lambda u, plan: draft(u("maple.planner"), kind="poster"),
        ValidationError,
    ),
    "another company's reviewer decides": (
        lambda u, plan: approvals.task_decide(
            actor=u("lotus.seller"), task_id=open_task(plan, step="review").pk, outcome="approve"
        ),
        NotFound,
    ),
}


@pytest.mark.parametrize("failure", FAILURES, ids=list(FAILURES))
def test_a_failed_action_records_no_event(user, failure):
    action, error = FAILURES[failure]
    plan = submitted(user("maple.planner"))
    heads = list(ChainHead.objects.order_by("company_id").values_list("seq", "hash"))
    with recorded() as events, pytest.raises(error):
        action(user, plan)
    assert events == []
    assert list(ChainHead.objects.order_by("company_id").values_list("seq", "hash")) == heads


def test_an_action_failing_after_its_event_leaves_neither_the_event_nor_a_gap(user):
    plan = submitted(user("maple.planner"))
    head = head_of(plan.company_id)
    boom = DomainError("the mail server fell over")
    with (
        recorded() as events,
        mock.patch("workflows.services.tasks._record_closed", side_effect=boom),
        pytest.raises(DomainError),
    ):
        decide(plan, user("maple.sales"), "approve")
    assert events == []
    assert (head_of(plan.company_id).seq, plan.status) == (head.seq, Status.IN_REVIEW)
    with recorded() as events:
        decide(plan, user("maple.sales"), "approve")
    assert_chained(events, after=head)
    assert verify_audit()[0]


def test_the_worlds_trail_is_one_unbroken_chain_per_company(world):
    for head in ChainHead.objects.all():
        events = list(Event.objects.filter(company_id=head.company_id).order_by("seq"))
        assert_chained(events, after=None)
        assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)
    assert ChainHead.objects.count() == 3
