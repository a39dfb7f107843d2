"""Bad input gets a clear error and changes nothing."""

import pytest

from apps.audit.models import Event
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationError
from apps.org.models import Department
from apps.plans import services as plan_services
from apps.plans.models import Plan, Status
from tests.factories import (
    PROMO_CONTENT,
    decide,
    draft,
    history,
    inbox,
    member,
    open_task,
    queued,
    refused,
    steps_of,
    submitted,
)
from workflows import services as approvals
from workflows.models import PlanProcess


def _at(step: str, user, lead: str):
    """A Red Maple plan waiting at ``step``, and who decides there."""
    plan = submitted(user("maple.planner"), lead=lead)
    if step == "sign_off":
        decide(plan, user("maple.sales"), "approve")
    return plan, user("maple.sales" if step == "review" else "maple.gm")


def test_outcomes_that_need_a_reason_are_refused_without_a_comment(user):
    for lead, step, outcome in (
        ("sales_leads", "review", "request_changes"),
        ("sales_leads", "review", "reject"),
        ("marketing_leads", "review", "raise_concerns"),
        ("sales_leads", "sign_off", "request_changes"),
        ("marketing_leads", "sign_off", "reject"),
    ):
        plan, decider = _at(step, user, lead)
        task = open_task(plan, step=step)
        for comment in ("", "   "):
            with refused(ValidationError, plan) as error:
                approvals.task_decide(
                    actor=decider, task_id=task.pk, outcome=outcome, comment=comment
                )
            assert "comment is required" in error.value.message
            assert "comment" in error.value.fields


def test_an_invalid_choice_creates_no_plan_and_changes_no_draft(user):
    planner = user("maple.planner")
    plan = draft(planner)
    plans, events = Plan.objects.count(), Event.objects.count()

    for field, value in (
        ("kind", "poster"),
        ("focus", "radio"),
        ("core_task", "world_domination"),
        ("directive", "optional"),
        ("horizon", "forever"),
        ("title", "   "),
    ):
        with pytest.raises(ValidationError) as error:
            draft(planner, **{field: value})
        assert list(error.value.fields) == [field]
        with refused(ValidationError, plan) as error:
            plan_services.plan_update(actor=planner, plan=plan, data={field: value})
        assert list(error.value.fields) == [field]
    assert (Plan.objects.count(), Event.objects.count()) == (plans, events)

    bad_content = {**PROMO_CONTENT, "budget": "-5", "campaign_start": "next week"}
    with refused(ValidationError, plan) as error:
        plan_services.plan_update(actor=planner, plan=plan, data={"content": bad_content})
    assert set(error.value.fields) == {"content.budget", "content.campaign_start"}


def test_submitting_incomplete_content_names_the_missing_fields_and_keeps_the_draft(user):
    planner = user("maple.planner")
    plan = draft(planner, content={"regions": "North", "budget": "100"})

    with refused(ValidationError, plan) as error:
        approvals.plan_submit(actor=planner, plan_id=plan.pk)

    assert set(error.value.fields) == {
        "content.campaign_start",
        "content.campaign_end",
        "content.channels",
    }
    assert not PlanProcess.objects.filter(plan=plan).exists()
    assert Plan.objects.get(pk=plan.pk).status == Status.DRAFT


def test_a_plan_in_review_cannot_be_edited_or_submitted_again(user):
    planner = user("maple.planner")
    plan = submitted(planner)

    with refused(Conflict, plan) as error:
        approvals.plan_submit(actor=planner, plan_id=plan.pk)
    assert "in review" in error.value.message
    assert steps_of(plan) == [("review", "Sales")]

    with refused(Conflict, plan) as error:
        plan_services.plan_update(actor=planner, plan=plan, data={"title": "Sneaky"})
    assert "in review cannot be edited" in error.value.message

    with refused(Forbidden, plan):
        plan_services.plan_update(actor=user("maple.sales"), plan=plan, data={"title": "Mine"})


def test_an_approved_plan_cannot_be_edited_cancelled_or_submitted_again(user):
    planner = user("lotus.planner")
    plan = submitted(planner)
    decide(plan, user("lotus.seller"), "approve")
    decide(plan, user("lotus.head"), "approve", step="sign_off")

    with refused(Conflict, plan):
        plan_services.plan_update(actor=planner, plan=plan, data={"title": "After"})
    with refused(Conflict, plan) as error:
        approvals.plan_cancel(actor=planner, plan_id=plan.pk)
    assert error.value.message == "The plan is already approved."
    with refused(Conflict, plan):
        approvals.plan_submit(actor=planner, plan_id=plan.pk)


@pytest.mark.parametrize(
    ("given", "kept"),
    [(None, ""), ("  Budget frozen.  ", "Budget frozen."), ("x" * 5000, "x" * 5000)],
    ids=["none", "spaces", "longest"],
)
def test_a_cancellation_comment_is_kept_clean_in_the_history(user, given, kept):
    plan = submitted(user("maple.planner"))
    approvals.plan_cancel(actor=user("maple.planner"), plan_id=plan.pk, comment=given)
    event = Event.objects.filter(plan_id=plan.pk).latest("id")
    assert (event.action, event.comment) == ("cancel", kept)
    assert Plan.objects.get(pk=plan.pk).status == Status.CANCELLED


def test_what_decided_the_route_cannot_change_once_the_plan_is_submitted(user):
    planner = user("north.planner")
    plan = submitted(planner, lead="marketing_leads")
    decide(plan, user("north.sales.east"), "approve", department="Eastern Sales")
    decide(plan, user("north.sales.west"), "approve", department="Western Sales")
    decide(plan, user("north.director"), "request_changes", "Sharper.", step="sign_off")
    eastern = Department.objects.get(name="Eastern Sales")

    for data, field in (
        ({"kind": "brand"}, "kind"),
        ({"core_task": "market_share"}, "core_task"),
        ({"focus": "channels"}, "focus"),
        ({"region_ids": [eastern.pk]}, "regions"),
    ):
        with refused(ValidationError, plan) as error:
            plan_services.plan_update(actor=planner, plan=plan, data=data)
        assert list(error.value.fields) == [field]
        assert "of a submitted plan cannot change" in error.value.message

    plan_services.plan_update(
        actor=planner, plan=plan, data={"title": "Sharper", "core_task": "brand_building"}
    )
    approvals.plan_submit(actor=planner, plan_id=plan.pk)
    assert steps_of(plan) == [("review", "Eastern Sales"), ("review", "Western Sales")]


def test_a_finished_or_closed_task_cannot_be_claimed_released_or_decided(user):
    sales = user("maple.sales")
    plan = submitted(user("maple.planner"))
    task = open_task(plan, step="review")
    decide(plan, sales, "approve")

    with refused(Conflict, plan) as error:
        approvals.task_decide(actor=sales, task_id=task.pk, outcome="approve")
    assert error.value.message == "This task is already finished."
    with refused(Conflict, plan):
        approvals.task_claim(actor=sales, task_id=task.pk)
    with refused(Conflict, plan):
        approvals.task_release(actor=sales, task_id=task.pk)

    west = user("north.sales.west")
    large = submitted(user("north.planner"))
    closed = open_task(large, step="review", department="Western Sales")
    decide(large, user("north.sales.east"), "request_changes", "Redo.", department="Eastern Sales")
    with refused(Conflict, large):
        approvals.task_decide(actor=west, task_id=closed.pk, outcome="approve")


def test_an_outcome_the_step_does_not_offer_is_refused(user):
    for lead, step, outcome in (
        ("sales_leads", "review", "raise_concerns"),
        ("sales_leads", "review", "maybe"),
        ("marketing_leads", "sign_off", "raise_concerns"),
    ):
        plan, decider = _at(step, user, lead)
        task = open_task(plan, step=step)
        with refused(ValidationError, plan) as error:
            approvals.task_decide(
                actor=decider, task_id=task.pk, outcome=outcome, comment="Because."
            )
        assert "outcome" in error.value.fields


def test_a_resubmission_with_incomplete_content_keeps_the_request_for_changes_open(user):
    planner = user("maple.planner")
    plan = submitted(planner)
    decide(plan, user("maple.sales"), "request_changes", "Which channels?")
    plan_services.plan_update(
        actor=planner, plan=plan, data={"content": {**PROMO_CONTENT, "channels": ""}}
    )

    with refused(ValidationError, plan) as error:
        approvals.plan_submit(actor=planner, plan_id=plan.pk)

    assert "content.channels" in error.value.fields
    assert steps_of(plan) == [("revise", "")]

    revise = open_task(plan, step="revise")
    with refused(Conflict, plan) as error:
        approvals.task_decide(actor=planner, task_id=revise.pk, outcome="approve")
    assert "answered by resubmitting" in error.value.message
    with refused(Conflict, plan):
        approvals.task_release(actor=planner, task_id=revise.pk)


def test_a_claimed_task_is_held_until_its_claimer_releases_it(user):
    sales = user("maple.sales")
    other = member(
        sales.membership.company, "maple.sales2", "reviewer", department=sales.membership.department
    )
    plan = submitted(user("maple.planner"))
    task = open_task(plan, step="review")
    approvals.task_claim(actor=sales, task_id=task.pk)

    with refused(Conflict, plan) as error:
        approvals.task_claim(actor=other, task_id=task.pk)
    assert "maple.sales has already claimed" in error.value.message
    with refused(Conflict, plan):
        approvals.task_decide(actor=other, task_id=task.pk, outcome="approve")
    with refused(Conflict, plan):
        approvals.task_release(actor=other, task_id=task.pk)
    with refused(Conflict, plan):
        approvals.task_claim(actor=sales, task_id=task.pk)
    assert inbox(sales, plan) == ["review"]
    assert queued(other, plan) == []

    approvals.task_release(actor=sales, task_id=task.pk)
    assert queued(other, plan) == queued(sales, plan) == [("review", "Sales")]
    approvals.task_claim(actor=other, task_id=task.pk)
    assert inbox(other, plan) == ["review"]
    assert inbox(sales, plan) == queued(sales, plan) == []
    assert history(plan)[-3:] == [
        ("claim", "maple.sales", "review", "in_review", "in_review", 1),
        ("release", "maple.sales", "review", "in_review", "in_review", 1),
        ("claim", "maple.sales2", "review", "in_review", "in_review", 1),
    ]


def test_an_id_that_is_not_a_number_is_simply_not_found(user):
    sales = user("maple.sales")
    for bad_id in ("abc", None, "", "1.5", -1):
        for service, key, extra in (
            (approvals.plan_submit, "plan_id", {}),
            (approvals.plan_cancel, "plan_id", {}),
            (approvals.task_claim, "task_id", {}),
            (approvals.task_release, "task_id", {}),
            (approvals.task_decide, "task_id", {"outcome": "approve"}),
        ):
            with pytest.raises(NotFound):
                service(actor=sales, **{key: bad_id}, **extra)


@pytest.mark.parametrize("comment", ["x" * 5001, "x" * 100_000, "Budget\x00 frozen."])
def test_an_overlong_or_nul_cancel_comment_is_refused_not_cut(user, comment):
    planner = user("maple.planner")
    plan = submitted(planner)
    with refused(ValidationError, plan):
        approvals.plan_cancel(actor=planner, plan_id=plan.pk, comment=comment)
    assert approvals.plan_cancel(actor=planner, plan_id=plan.pk, comment="x" * 5000).status == (
        Status.CANCELLED
    )


@pytest.mark.parametrize("spelling", [" {id} ", "+{id}", "{wide}"])
def test_an_id_spelled_otherwise_is_not_found(user, spelling):
    planner = user("maple.planner")
    plan = submitted(planner)
    wide = "".join(chr(0xFF10 + int(digit)) for digit in str(plan.pk))
    with pytest.raises(NotFound):
        approvals.plan_cancel(actor=planner, plan_id=spelling.format(id=plan.pk, wide=wide))


def test_a_cancelled_draft_cannot_be_cancelled_again(user):
    planner = user("maple.planner")
    plan = draft(planner)
    approvals.plan_cancel(actor=planner, plan_id=plan.pk)
    with refused(Conflict, plan) as error:
        approvals.plan_cancel(actor=planner, plan_id=plan.pk)
    assert error.value.message == "The plan is already cancelled."
