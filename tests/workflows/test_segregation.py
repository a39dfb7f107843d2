"""Segregation of duties: nobody reviews or signs off a plan they wrote, in any size."""

import pytest

from apps.core.errors import Forbidden, ValidationError
from apps.org.models import Department
from apps.plans.models import Plan, Status
from tests.factories import (
    decide,
    draft,
    grant,
    member,
    open_task,
    queued,
    snapshot,
    steps_of,
    submitted,
)
from workflows import services as approvals


def _refused(author, task) -> None:
    """The author can neither claim nor decide ``task``, and trying changes nothing."""
    plan = task.process.planprocess.plan
    before = snapshot(plan)
    with pytest.raises(Forbidden, match="You may not act on this task."):
        approvals.task_claim(actor=author, task_id=task.pk)
    for outcome in ("approve", "reject"):
        # The service's own guard answers, whatever the policy would say.
        with pytest.raises(Forbidden, match="^Nobody reviews or signs off a plan they wrote.$"):
            approvals.task_decide(actor=author, task_id=task.pk, outcome=outcome, comment="Mine.")
    assert snapshot(plan) == before


def test_in_the_small_company_the_authors_review_goes_to_the_other_colleague(user):
    planner, seller = user("lotus.planner"), user("lotus.seller")

    by_planner = submitted(planner, title="By the planner")
    by_seller = submitted(seller, title="By the seller")

    assert queued(planner, by_planner) == []
    assert queued(seller, by_planner) == [("review", "Marketing & Sales")]
    assert queued(seller, by_seller) == []
    assert queued(planner, by_seller) == [("review", "Marketing & Sales")]

    _refused(seller, open_task(by_seller, step="review"))
    decide(by_seller, planner, "approve")
    assert by_seller.status == Status.AWAITING_SIGNOFF


def test_author_cannot_review_own_plan_in_a_large_company(user):
    east = user("north.sales.east")
    grant(east, "planner")
    member(
        east.membership.company,
        "north.sales.east2",
        "reviewer",
        department=east.membership.department,
    )
    plan = submitted(east)

    review = open_task(plan, step="review", department="Eastern Sales")
    assert queued(east, plan) == []
    assert queued(user("north.sales.east2"), plan) == [("review", "Eastern Sales")]
    _refused(east, review)


def test_author_cannot_sign_off_own_plan_in_a_medium_company(user):
    gm, salesdir = user("maple.gm"), user("maple.salesdir")
    grant(gm, "planner")
    plan = submitted(gm)
    decide(plan, user("maple.sales"), "approve")

    assert queued(gm, plan) == []
    assert queued(salesdir, plan) == [("sign_off", "")]
    _refused(gm, open_task(plan, step="sign_off"))

    decide(plan, salesdir, "approve", step="sign_off")
    assert plan.status == Status.APPROVED


def test_a_head_who_drafts_cannot_submit_when_nobody_else_could_sign_off(user):
    head = user("lotus.head")
    grant(head, "planner")
    plan = draft(head)
    before = snapshot(plan)

    with pytest.raises(ValidationError) as error:
        approvals.plan_submit(actor=head, plan_id=plan.pk)

    assert "other than the author can sign off" in error.value.message
    assert snapshot(plan) == before
    assert Plan.objects.get(pk=plan.pk).status == Status.DRAFT


def test_a_reviewer_who_drafts_cannot_submit_when_nobody_else_could_review(user):
    east = user("north.sales.east")
    grant(east, "planner")
    plan = draft(east)
    before = snapshot(plan)

    with pytest.raises(ValidationError) as error:
        approvals.plan_submit(actor=east, plan_id=plan.pk)

    assert "Eastern Sales" in error.value.message
    assert snapshot(plan) == before

    western = Department.objects.get(name="Western Sales")
    other = draft(east, title="West only", region_ids=[western.pk])
    other = approvals.plan_submit(actor=east, plan_id=other.pk)
    assert steps_of(other) == [("review", "Western Sales")]
