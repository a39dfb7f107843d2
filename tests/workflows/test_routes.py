"""The whole approval route for each company size, driven through the service layer."""

import pytest

from apps.audit.models import Event
from apps.core.errors import ValidationError
from apps.org.models import Department
from apps.plans import services as plan_services
from apps.plans.models import Plan, Status
from apps.plans.selectors import revision_diff
from tests.factories import (
    PROMO_CONTENT,
    decide,
    decisions,
    draft,
    history,
    inbox,
    queued,
    steps_of,
    submitted,
)
from workflows import services as approvals
from workflows.models import ApprovalTask, PlanProcess
from workflows.selectors import current_steps


def _rework(plan, author, **content):
    """The author answers a request for changes: edit the content, then resubmit."""
    plan_services.plan_update(
        actor=author, plan=plan, data={"content": {**PROMO_CONTENT, **content}}
    )
    return approvals.plan_submit(actor=author, plan_id=plan.pk)


def _diff(plan, old: int, new: int) -> list[tuple[str, str, str]]:
    revisions = {r.number: r for r in plan.revisions.all()}
    return [(c.field, c.old, c.new) for c in revision_diff(revisions[old], revisions[new])]


def test_medium_plan_is_sent_back_reworked_and_signed_off_by_the_general_manager(user):
    planner, sales = user("maple.planner"), user("maple.sales")
    gm, salesdir = user("maple.gm"), user("maple.salesdir")
    plan = submitted(planner, title="Autumn push")

    assert plan.status == Status.IN_REVIEW
    assert steps_of(plan) == [("review", "Sales")]
    assert queued(sales, plan) == [("review", "Sales")]
    assert queued(planner, plan) == queued(gm, plan) == queued(salesdir, plan) == []

    decide(plan, sales, "request_changes", "Halve the budget for the north.")
    assert plan.status == Status.CHANGES_REQUESTED
    assert steps_of(plan) == [("revise", "")]
    assert inbox(planner, plan) == ["revise"]
    assert queued(sales, plan) == []

    _rework(plan, planner, budget="25000")
    plan.refresh_from_db()
    assert plan.status == Status.IN_REVIEW
    assert plan.revision_count == 2
    assert _diff(plan, 1, 2) == [("content.budget", "50000.00", "25000.00")]
    assert inbox(planner, plan) == []
    assert queued(sales, plan) == [("review", "Sales")]

    decide(plan, sales, "approve")
    assert plan.status == Status.AWAITING_SIGNOFF
    assert steps_of(plan) == [("sign_off", "")]
    assert queued(gm, plan) == queued(salesdir, plan) == [("sign_off", "")]
    assert queued(sales, plan) == queued(planner, plan) == []

    decide(plan, gm, "approve", "Go.", step="sign_off")
    assert plan.status == Status.APPROVED
    assert plan.finished_at is not None
    assert steps_of(plan) == [("take_up", "Sales")]  # sales now takes it up (issue 11)
    assert queued(salesdir, plan) == []
    assert PlanProcess.objects.get(plan=plan).status == "NEW"
    assert history(plan) == [
        ("create", "maple.planner", "", "", "draft", None),
        ("submit", "maple.planner", "submit", "draft", "in_review", 1),
        ("request_changes", "maple.sales", "review", "in_review", "changes_requested", 1),
        ("edit", "maple.planner", "", "changes_requested", "changes_requested", 1),
        ("resubmit", "maple.planner", "revise", "changes_requested", "in_review", 2),
        ("approve", "maple.sales", "review", "in_review", "awaiting_signoff", 2),
        ("sign_off", "maple.gm", "sign_off", "awaiting_signoff", "approved", 2),
    ]
    comments = Event.objects.filter(plan_id=plan.pk).values_list("action", "comment")
    assert ("request_changes", "Halve the budget for the north.") in comments
    assert ("sign_off", "Go.") in comments
    assert decisions(plan) == [
        ("review", "Sales", "maple.sales", "request_changes", 1),
        ("review", "Sales", "maple.sales", "approve", 2),
        ("sign_off", "", "maple.gm", "approve", 2),
    ]


def test_small_plan_is_reviewed_by_a_colleague_and_signed_off_by_the_head(user):
    planner, seller, head = user("lotus.planner"), user("lotus.seller"), user("lotus.head")
    plan = submitted(planner)

    assert steps_of(plan) == [("review", "Marketing & Sales")]
    assert queued(seller, plan) == [("review", "Marketing & Sales")]
    assert queued(planner, plan) == queued(head, plan) == []

    decide(plan, seller, "request_changes", "Add the second store.")
    assert plan.status == Status.CHANGES_REQUESTED
    assert inbox(planner, plan) == ["revise"]
    _rework(plan, planner, channels="Both stores and online")
    plan.refresh_from_db()
    assert plan.revision_count == 2
    assert _diff(plan, 1, 2) == [
        ("content.channels", "Stores and online", "Both stores and online")
    ]

    decide(plan, seller, "approve")
    assert queued(head, plan) == [("sign_off", "")]
    assert queued(seller, plan) == queued(planner, plan) == []
    decide(plan, head, "approve", step="sign_off")

    assert plan.status == Status.APPROVED
    assert [(action, actor) for action, actor, *_ in history(plan)] == [
        ("create", "lotus.planner"),
        ("submit", "lotus.planner"),
        ("request_changes", "lotus.seller"),
        ("edit", "lotus.planner"),
        ("resubmit", "lotus.planner"),
        ("approve", "lotus.seller"),
        ("sign_off", "lotus.head"),
    ]


def test_large_plan_is_reviewed_by_every_region_in_parallel_before_sign_off(user):
    planner, east, west = user("north.planner"), user("north.sales.east"), user("north.sales.west")
    director = user("north.director")
    plan = submitted(planner)

    assert steps_of(plan) == [("review", "Eastern Sales"), ("review", "Western Sales")]
    assert queued(east, plan) == [("review", "Eastern Sales")]
    assert queued(west, plan) == [("review", "Western Sales")]
    assert queued(director, plan) == queued(planner, plan) == []

    decide(plan, west, "approve", department="Western Sales")
    assert plan.status == Status.IN_REVIEW
    assert steps_of(plan) == [("review", "Eastern Sales")]
    assert queued(director, plan) == []

    decide(plan, east, "approve", department="Eastern Sales")
    assert plan.status == Status.AWAITING_SIGNOFF
    assert steps_of(plan) == [("sign_off", "")]
    assert queued(director, plan) == [("sign_off", "")]

    decide(plan, director, "approve", step="sign_off")
    assert plan.status == Status.APPROVED
    assert decisions(plan) == [
        ("review", "Western Sales", "north.sales.west", "approve", 1),
        ("review", "Eastern Sales", "north.sales.east", "approve", 1),
        ("sign_off", "", "north.director", "approve", 1),
    ]


def test_a_region_requesting_changes_closes_the_other_review_and_resubmission_asks_both(user):
    planner, east, west = user("north.planner"), user("north.sales.east"), user("north.sales.west")
    plan = submitted(planner)

    decide(plan, east, "request_changes", "No budget for the east.", department="Eastern Sales")

    assert plan.status == Status.CHANGES_REQUESTED
    assert steps_of(plan) == [("revise", "")]
    assert queued(west, plan) == []
    close = Event.objects.get(plan_id=plan.pk, action="close")
    assert close.data["department"] == "Western Sales"
    assert close.actor_name == ""
    assert close.step == "review"
    assert close.revision == 1
    assert "Eastern Sales" in close.comment
    assert "request changes" in close.comment
    assert [row[0] for row in history(plan)][-2:] == ["request_changes", "close"]

    _rework(plan, planner, budget="30000")
    plan.refresh_from_db()
    assert plan.revision_count == 2
    assert _diff(plan, 1, 2) == [("content.budget", "50000.00", "30000.00")]
    assert steps_of(plan) == [("review", "Eastern Sales"), ("review", "Western Sales")]
    assert queued(west, plan) == [("review", "Western Sales")]

    decide(plan, east, "approve", department="Eastern Sales")
    decide(plan, west, "approve", department="Western Sales")
    decide(plan, user("north.director"), "approve", step="sign_off")
    assert plan.status == Status.APPROVED
    assert decisions(plan) == [
        ("review", "Eastern Sales", "north.sales.east", "request_changes", 1),
        ("review", "Eastern Sales", "north.sales.east", "approve", 2),
        ("review", "Western Sales", "north.sales.west", "approve", 2),
        ("sign_off", "", "north.director", "approve", 2),
    ]


def test_a_binding_rejection_by_one_region_closes_the_other_and_ends_the_plan(user):
    planner, east, west = user("north.planner"), user("north.sales.east"), user("north.sales.west")
    plan = submitted(planner, lead="sales_leads")

    decide(plan, west, "reject", "Wrong season for the west.", department="Western Sales")

    assert plan.status == Status.REJECTED
    assert plan.finished_at is not None
    assert steps_of(plan) == []
    assert queued(east, plan) == []
    assert history(plan)[-2:] == [
        ("reject", "north.sales.west", "review", "in_review", "rejected", 1),
        ("close", "", "review", "rejected", "rejected", 1),
    ]
    close = Event.objects.filter(plan_id=plan.pk, action="close").get()
    assert close.data["department"] == "Eastern Sales"


def test_a_region_that_already_approved_is_not_closed_when_another_requests_changes(user):
    plan = submitted(user("north.planner"))
    decide(plan, user("north.sales.east"), "approve", department="Eastern Sales")
    decide(plan, user("north.sales.west"), "request_changes", "Later.", department="Western Sales")

    assert plan.status == Status.CHANGES_REQUESTED
    assert not Event.objects.filter(plan_id=plan.pk, action="close").exists()


def test_sign_off_may_send_a_plan_back_and_either_signer_signs_the_rework(user):
    planner, sales, salesdir = user("maple.planner"), user("maple.sales"), user("maple.salesdir")
    plan = submitted(planner)
    decide(plan, sales, "approve")
    decide(plan, salesdir, "request_changes", "Cite last year's figures.", step="sign_off")

    assert plan.status == Status.CHANGES_REQUESTED
    assert inbox(planner, plan) == ["revise"]

    _rework(plan, planner, expected_uplift="6")
    plan.refresh_from_db()
    assert plan.status == Status.IN_REVIEW
    assert steps_of(plan) == [("review", "Sales")]
    assert _diff(plan, 1, 2) == [("content.expected_uplift", "", "6.00")]

    decide(plan, sales, "approve")
    decide(plan, salesdir, "approve", step="sign_off")
    assert plan.status == Status.APPROVED
    assert queued(user("maple.gm"), plan) == []
    assert decisions(plan) == [
        ("review", "Sales", "maple.sales", "approve", 1),
        ("sign_off", "", "maple.salesdir", "request_changes", 1),
        ("review", "Sales", "maple.sales", "approve", 2),
        ("sign_off", "", "maple.salesdir", "approve", 2),
    ]


def test_large_plan_may_be_routed_to_chosen_regions_only(user):
    planner, east, west = user("north.planner"), user("north.sales.east"), user("north.sales.west")
    eastern = Department.objects.get(name="Eastern Sales")
    plan = submitted(planner, region_ids=[eastern.pk])

    assert [d["name"] for d in plan.route["review_departments"]] == ["Eastern Sales"]
    assert steps_of(plan) == [("review", "Eastern Sales")]
    assert queued(west, plan) == []

    decide(plan, east, "approve", department="Eastern Sales")
    assert plan.status == Status.AWAITING_SIGNOFF


def test_regions_are_refused_unless_they_are_sales_departments_of_a_large_company(user):
    maple_sales = Department.objects.get(name="Sales", company__slug="maple")
    north_marketing = Department.objects.get(name="Marketing Centre")
    before = Plan.objects.count()

    for author, region in (
        ("maple.planner", maple_sales),
        ("north.planner", maple_sales),
        ("north.planner", north_marketing),
    ):
        with pytest.raises(ValidationError) as error:
            draft(user(author), region_ids=[region.pk])
        assert "regions" in error.value.fields

    assert Plan.objects.count() == before


def test_cancelling_an_in_flight_plan_closes_its_open_reviews(user):
    planner, east = user("north.planner"), user("north.sales.east")
    plan = submitted(planner)
    reviews = [step.task.pk for step in current_steps(plan=plan)]

    approvals.plan_cancel(actor=planner, plan_id=plan.pk, comment="Budget frozen.")

    plan.refresh_from_db()
    assert plan.status == Status.CANCELLED
    assert steps_of(plan) == []
    assert queued(east, plan) == []
    assert set(ApprovalTask.objects.filter(pk__in=reviews).values_list("status", flat=True)) == {
        "CANCELED"
    }
    assert PlanProcess.objects.get(plan=plan).status == "CANCELED"
    assert history(plan)[-1] == ("cancel", "north.planner", "", "in_review", "cancelled", 1)
    assert Event.objects.filter(plan_id=plan.pk).last().comment == "Budget frozen."
