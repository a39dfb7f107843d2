"""After sign-off: take-up, execution with market feedback, replies and the close, per size.

Each test builds its own company with the harness builders (no demo seed).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from apps.audit.models import Event
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationError
from apps.plans.models import (
    ExecutingDepartment,
    Feedback,
    FeedbackKind,
    FeedbackReply,
    Plan,
    Status,
)
from apps.plans.selectors import feedback_list_for
from tests.factories import decide, draft, forecast, open_task, queued, steps_of, submitted
from tests.reliability.harness import large_company, medium_company, person, small_company
from workflows import rules
from workflows import services as approvals
from workflows.flows import PlanApprovalFlow
from workflows.models import ApprovalTask, PlanProcess
from workflows.services._common import derived_status

pytestmark = pytest.mark.django_db

SIZES = {"small": small_company, "medium": medium_company, "large": large_company}


def signed_off(world, **kwargs):
    """A plan of ``world`` through every review and the sign-off."""
    plan = submitted(world.planner, **kwargs)
    if plan.kind == "sales_target":
        for department, people in world.reviewers.items():
            forecast(plan, people[0], "100000", department=department)
    for department, people in world.reviewers.items():
        decide(plan, people[0], "approve", department=department)
    return decide(plan, world.signers[0], "approve", step="sign_off")


def taken_up(world, outcome="acknowledge", comment="", **kwargs):
    plan = signed_off(world, **kwargs)
    for department, people in world.reviewers.items():
        decide(plan, people[0], outcome, comment, step="take_up", department=department)
    return plan


def events(plan, *actions):
    found = Event.objects.filter(plan_id=plan.pk).order_by("id")
    if actions:
        found = found.filter(action__in=actions)
    return [(e.action, e.actor_name, e.from_status, e.to_status) for e in found]


@pytest.mark.parametrize("size", SIZES)
def test_signed_off_plan_is_taken_up_carried_out_reported_on_and_closed(size):
    world = SIZES[size](size)
    plan = signed_off(world)
    departments = list(world.reviewers)

    assert plan.status == Status.APPROVED
    assert steps_of(plan) == [("take_up", name) for name in departments]
    for name, people in world.reviewers.items():
        assert queued(people[0], plan) == [("take_up", name)]
    assert queued(world.planner, plan) == queued(world.signers[0], plan) == []
    task = open_task(plan, step="take_up", department=departments[0])
    assert rules.task_outcomes(task) == ["acknowledge"]  # the plan is mandatory

    for name, people in world.reviewers.items():
        assert plan.status == Status.APPROVED
        decide(plan, people[0], "acknowledge", step="take_up", department=name)
    assert plan.status == Status.IN_EXECUTION
    assert steps_of(plan) == []
    rows = ExecutingDepartment.objects.filter(plan=plan).order_by("id")
    assert [(r.department_name, r.take_up) for r in rows] == [
        (n, "acknowledge") for n in departments
    ]
    assert all(r.feedback_due is not None for r in rows)

    reporter = world.reviewers[departments[-1]][0]
    for kind in FeedbackKind.values:
        approvals.feedback_file(
            actor=reporter, plan_id=plan.pk, kind=kind, text=f"About {kind}.", sales_to_date="1200"
        )
    feed = list(feedback_list_for(user=world.planner, plan=plan.pk))
    assert sorted(f.kind for f in feed) == sorted(FeedbackKind.values)
    assert feed[0].kind == FeedbackKind.values[-1]  # newest first
    assert ExecutingDepartment.objects.get(
        plan=plan, department_name=departments[-1]
    ).last_feedback_at

    approvals.feedback_reply(actor=world.planner, feedback_id=feed[0].pk, text="Thanks, noted.")
    assert [r.text for r in FeedbackReply.objects.filter(feedback=feed[0])] == ["Thanks, noted."]

    approvals.plan_close(
        actor=world.planner, plan_id=plan.pk, summary="Sold well.", actual_sales="9000"
    )
    plan.refresh_from_db()
    assert plan.status == Status.CLOSED
    assert plan.summary == "Sold well." and plan.actual_sales == Decimal("9000.00")
    assert PlanProcess.objects.get(plan=plan).status == "DONE"
    assert ApprovalTask.objects.filter(
        process__planprocess__plan=plan, flow_task=PlanApprovalFlow.closed, status="DONE"
    ).exists()
    names = {p[0].username for p in world.reviewers.values()}
    takeups = events(plan, "acknowledge")
    assert {e[1] for e in takeups} == names
    assert takeups[-1][2:] == ("approved", "in_execution")
    assert len(events(plan, "feedback")) == 6
    assert events(plan, "reply") == [
        ("reply", world.planner.username, "in_execution", "in_execution")
    ]
    assert events(plan, "conclude") == [
        ("conclude", world.planner.username, "in_execution", "closed")
    ]


def test_guiding_plan_offers_adopt_adapt_decline_and_adapt_needs_a_comment():
    world = medium_company("guide")
    plan = signed_off(world, directive="guiding")
    task = open_task(plan, step="take_up")
    assert rules.task_outcomes(task) == ["adopt", "adapt", "decline"]
    reviewer = world.reviewers["Sales"][0]
    for outcome in ("adapt", "decline"):
        with pytest.raises(ValidationError) as error:
            approvals.task_decide(actor=reviewer, task_id=task.pk, outcome=outcome, comment=" ")
        assert "comment" in error.value.fields
    with pytest.raises(ValidationError):
        approvals.task_decide(actor=reviewer, task_id=task.pk, outcome="acknowledge")
    decide(plan, reviewer, "adapt", "Only in our outlet stores.", step="take_up")
    assert plan.status == Status.IN_EXECUTION
    row = ExecutingDepartment.objects.get(plan=plan)
    assert (row.take_up, row.comment, row.taken_up_by) == (
        "adapt",
        "Only in our outlet stores.",
        reviewer,
    )


def test_mandatory_plan_refuses_adopt_and_decline():
    world = medium_company("must")
    plan = signed_off(world)
    task = open_task(plan, step="take_up")
    reviewer = world.reviewers["Sales"][0]
    for outcome in ("adopt", "decline"):
        with pytest.raises(ValidationError):
            approvals.task_decide(actor=reviewer, task_id=task.pk, outcome=outcome, comment="No.")
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED


def test_planner_and_signer_cannot_take_up_or_file_feedback():
    world = medium_company("who")
    plan = signed_off(world)
    task = open_task(plan, step="take_up")
    with pytest.raises(Forbidden):
        approvals.task_decide(actor=world.planner, task_id=task.pk, outcome="acknowledge")
    with pytest.raises(Forbidden):
        approvals.task_decide(actor=world.signers[0], task_id=task.pk, outcome="acknowledge")
    decide(plan, world.reviewers["Sales"][0], "acknowledge", step="take_up")
    for outsider in (world.planner, world.signers[0]):
        with pytest.raises(Forbidden):
            approvals.feedback_file(actor=outsider, plan_id=plan.pk, kind="competitors", text="x")
    assert Feedback.objects.filter(plan=plan).count() == 0


def test_feedback_and_close_need_a_plan_in_execution():
    world = medium_company("early")
    plan = signed_off(world)
    reviewer = world.reviewers["Sales"][0]
    with pytest.raises(Conflict):
        approvals.feedback_file(actor=reviewer, plan_id=plan.pk, kind="competitors", text="x")
    with pytest.raises(Conflict):
        approvals.plan_close(actor=world.planner, plan_id=plan.pk, summary="Done.")
    in_review = submitted(world.planner, title="Still in review")
    with pytest.raises(Conflict):
        approvals.plan_close(actor=world.planner, plan_id=in_review.pk, summary="Done.")


def test_close_needs_a_summary_and_a_sales_target_needs_actual_sales():
    world = medium_company("close")
    plan = taken_up(world)
    with pytest.raises(ValidationError) as error:
        approvals.plan_close(actor=world.planner, plan_id=plan.pk, summary="  ")
    assert "summary" in error.value.fields
    reviewer = world.reviewers["Sales"][0]
    with pytest.raises(Forbidden):
        approvals.plan_close(actor=reviewer, plan_id=plan.pk, summary="Done.")
    approvals.plan_close(actor=world.signers[0], plan_id=plan.pk, summary="Done.")  # a head
    plan.refresh_from_db()
    assert plan.status == Status.CLOSED and plan.actual_sales is None
    with pytest.raises(Conflict):
        approvals.plan_close(actor=world.planner, plan_id=plan.pk, summary="Again.")


TARGET_CONTENT = {
    "period": "2027 H1",
    "target": "100000",
    "market_forecast": "110000",
    "execution_monitoring": "Monthly store reports",
}


def test_sales_target_is_closed_only_with_the_actual_sales():
    world = medium_company("target")
    plan = taken_up(world, kind="sales_target", content=TARGET_CONTENT)
    with pytest.raises(ValidationError) as error:
        approvals.plan_close(actor=world.planner, plan_id=plan.pk, summary="Done.")
    assert "actual_sales" in error.value.fields
    approvals.plan_close(
        actor=world.planner, plan_id=plan.pk, summary="Done.", actual_sales="95000.5"
    )
    plan.refresh_from_db()
    assert (plan.status, plan.actual_sales) == (Status.CLOSED, Decimal("95000.50"))


def test_actual_sales_are_only_for_sales_targets_and_promotions():
    world = medium_company("brand")
    plan = taken_up(world, kind="marketing_mix", content=MIX_CONTENT)
    with pytest.raises(ValidationError):
        approvals.plan_close(actor=world.planner, plan_id=plan.pk, summary="x", actual_sales="5")


MIX_CONTENT = {"product": "p", "price": "p", "channel": "c", "promotion": "p"}


def test_follow_up_closes_the_followed_plan_when_it_is_signed_off():
    world = medium_company("follow")
    first = taken_up(world, title="Spring")
    follow_up = draft(world.planner, title="Spring, second wave", follows=first.pk)
    assert follow_up.follows_id == first.pk
    approvals.plan_submit(actor=world.planner, plan_id=follow_up.pk)
    follow_up.refresh_from_db()
    decide(follow_up, world.reviewers["Sales"][0], "approve")
    first.refresh_from_db()
    assert first.status == Status.IN_EXECUTION  # not yet: only the sign-off supersedes
    decide(follow_up, world.signers[0], "approve", step="sign_off")
    first.refresh_from_db()
    assert follow_up.status == Status.APPROVED
    assert first.status == Status.CLOSED
    assert "Superseded by the follow-up plan" in first.summary
    superseded = Event.objects.get(plan_id=first.pk, action="conclude")
    assert superseded.data["superseded_by"] == follow_up.pk


def test_only_the_author_drafts_a_follow_up_of_a_plan_in_execution():
    world = medium_company("fwho")
    other = person(world.company, "fwho.planner2", "planner")
    first = signed_off(world)
    with pytest.raises(ValidationError):  # still waiting for its take-up
        draft(world.planner, follows=first.pk)
    decide(first, world.reviewers["Sales"][0], "acknowledge", step="take_up")
    with pytest.raises(Forbidden):
        draft(other, follows=first.pk)
    elsewhere = medium_company("felse")
    with pytest.raises(NotFound):
        draft(elsewhere.planner, follows=first.pk)


def test_another_companys_feedback_is_not_found():
    world, other = medium_company("mine"), medium_company("theirs")
    plan = taken_up(world)
    feedback = approvals.feedback_file(
        actor=world.reviewers["Sales"][0], plan_id=plan.pk, kind="opinions", text="Too pricey."
    )
    stranger = other.planner
    assert list(feedback_list_for(user=stranger)) == []
    with pytest.raises(NotFound):
        approvals.feedback_reply(actor=stranger, feedback_id=feedback.pk, text="Hi")
    with pytest.raises(NotFound):
        approvals.feedback_file(
            actor=other.reviewers["Sales"][0], plan_id=plan.pk, kind="opinions", text="x"
        )
    with pytest.raises(NotFound):
        approvals.plan_close(actor=other.signers[0], plan_id=plan.pk, summary="x")


def test_reviewers_only_reply_if_they_plan():
    world = medium_company("reply")
    plan = taken_up(world)
    reviewer = world.reviewers["Sales"][0]
    feedback = approvals.feedback_file(actor=reviewer, plan_id=plan.pk, kind="opinions", text="x")
    with pytest.raises(Forbidden):
        approvals.feedback_reply(actor=reviewer, feedback_id=feedback.pk, text="Me too")
    with pytest.raises(ValidationError):
        approvals.feedback_reply(actor=world.planner, feedback_id=feedback.pk, text="")


def test_a_plan_approved_before_execution_existed_still_reads_approved():
    """A process that ended at the old `approved` End keeps its status."""
    world = medium_company("legacy")
    plan = signed_off(world)
    process = PlanProcess.objects.get(plan=plan)
    # what a process of the old flow looked like: the sign-off led straight to `approved`
    ApprovalTask.objects.filter(process=process).exclude(
        flow_task__in=[PlanApprovalFlow.start, PlanApprovalFlow.split_reviews]
    ).exclude(status="DONE").delete()
    ApprovalTask.objects.create(
        process=process, flow_task=PlanApprovalFlow.approved, status="DONE", flow_task_type="END"
    )
    process.status = "DONE"
    process.save()

    assert derived_status(process) == Status.APPROVED
    assert Plan.objects.get(pk=plan.pk).status == Status.APPROVED


def test_a_department_that_declined_owes_no_feedback_but_may_report():
    world = large_company("declined")
    plan = signed_off(world, directive="guiding")
    decide(
        plan,
        world.reviewers["Eastern Sales"][0],
        "decline",
        "Not for the east.",
        step="take_up",
        department="Eastern Sales",
    )
    decide(
        plan,
        world.reviewers["Western Sales"][0],
        "adopt",
        step="take_up",
        department="Western Sales",
    )
    rows = {r.department_name: r for r in ExecutingDepartment.objects.filter(plan=plan)}
    assert plan.status == Status.IN_EXECUTION
    assert rows["Eastern Sales"].feedback_due is None
    assert rows["Western Sales"].feedback_due is not None
    approvals.feedback_file(
        actor=world.reviewers["Eastern Sales"][0], plan_id=plan.pk, kind="opinions", text="x"
    )
    rows["Eastern Sales"].refresh_from_db()
    assert rows["Eastern Sales"].feedback_due is None
