"""Who leads a plan decides whether the sales review binds (DOMAIN.md "Who leads")."""

import pytest

from apps.audit.models import Event
from apps.core.errors import ValidationError
from apps.org.policy import lead_for, outcomes_for
from apps.plans.models import Status
from tests.factories import (
    decide,
    decisions,
    history,
    open_task,
    refused,
    steps_of,
    submitted,
)
from workflows import services as approvals


def test_sales_led_plan_ends_rejected_when_sales_rejects(user):
    plan = submitted(user("maple.planner"), lead="sales_leads")
    assert plan.route["lead"] == "sales"
    assert plan.route["sales_review"] == "binding"
    assert outcomes_for(step="review", sales_review="binding") == [
        "approve",
        "request_changes",
        "reject",
    ]

    decide(plan, user("maple.sales"), "reject", "We cannot sell this in autumn.")

    assert plan.status == Status.REJECTED
    assert steps_of(plan) == []
    assert decisions(plan) == [("review", "Sales", "maple.sales", "reject", 1)]


def test_marketing_led_review_only_offers_approve_or_raise_concerns(user):
    assert outcomes_for(step="review", sales_review="consultative") == [
        "approve",
        "raise_concerns",
    ]
    for core_task in ("brand_building", "new_product_launch"):
        plan = submitted(user("maple.planner"), lead="marketing_leads", core_task=core_task)
        assert plan.route["lead"] == "marketing"
        assert plan.route["sales_review"] == "consultative"
        task = open_task(plan, step="review")

        for outcome in ("reject", "request_changes"):
            with refused(ValidationError, plan) as error:
                approvals.task_decide(
                    actor=user("maple.sales"), task_id=task.pk, outcome=outcome, comment="No."
                )
            assert "consultative" in error.value.message
            assert "outcome" in error.value.fields

        decide(plan, user("maple.sales"), "approve")
        assert plan.status == Status.AWAITING_SIGNOFF


def test_concerns_reach_sign_off_and_stay_visible_as_decisions(user):
    plan = submitted(user("north.planner"), lead="marketing_leads")

    decide(
        plan,
        user("north.sales.east"),
        "raise_concerns",
        "Stores need training first.",
        department="Eastern Sales",
    )
    decide(plan, user("north.sales.west"), "approve", department="Western Sales")

    assert plan.status == Status.AWAITING_SIGNOFF
    assert steps_of(plan) == [("sign_off", "")]
    concern = plan.decisions.get(outcome="raise_concerns")
    assert concern.comment == "Stores need training first."
    assert concern.department_name == "Eastern Sales"

    decide(plan, user("north.director"), "approve", step="sign_off")
    assert plan.status == Status.APPROVED
    assert plan.decisions.filter(outcome="raise_concerns").count() == 1


def test_only_the_signing_director_may_reject_a_marketing_led_plan(user):
    plan = submitted(user("lotus.planner"), lead="marketing_leads")
    decide(plan, user("lotus.seller"), "raise_concerns", "Pricey.")
    decide(plan, user("lotus.head"), "reject", "Agree with sales.", step="sign_off")

    assert plan.status == Status.REJECTED
    assert steps_of(plan) == []
    assert [d[3] for d in decisions(plan)] == ["raise_concerns", "reject"]
    assert history(plan)[-2:] == [
        ("raise_concerns", "lotus.seller", "review", "in_review", "awaiting_signoff", 1),
        ("reject", "lotus.head", "sign_off", "awaiting_signoff", "rejected", 1),
    ]


def test_core_task_wins_over_a_focus_that_points_the_other_way(user):
    lead = lead_for(core_task="market_share", focus="promotion")
    assert (lead.department, lead.sales_review, lead.focus_conflict) == ("sales", "binding", True)
    assert lead.reason == (
        "Sales leads: the core task (market share) is the company's current task "
        "and outweighs the focus on promotion, which leans to marketing."
    )
    lead = lead_for(core_task="new_product_launch", focus="channels")
    assert (lead.department, lead.sales_review, lead.focus_conflict) == (
        "marketing",
        "consultative",
        True,
    )
    assert "outweighs the focus on channels, which leans to sales" in lead.reason

    sales_led = submitted(user("maple.planner"), lead="conflict_sales")
    assert sales_led.route["lead"] == "sales"
    assert sales_led.route["sales_review"] == "binding"
    assert sales_led.route["focus_conflict"] is True
    assert sales_led.route["lead_reason"].startswith("Sales leads: the core task (market share)")
    submit = Event.objects.get(plan_id=sales_led.pk, action="submit")
    assert submit.data["route"]["focus_conflict"] is True

    marketing_led = submitted(user("lotus.planner"), lead="conflict_marketing")
    assert marketing_led.route["sales_review"] == "consultative"
    assert marketing_led.route["focus_conflict"] is True
    with refused(ValidationError, marketing_led):
        approvals.task_decide(
            actor=user("lotus.seller"),
            task_id=open_task(marketing_led, step="review").pk,
            outcome="reject",
            comment="Sales says no.",
        )


def test_agreeing_focus_and_core_task_are_no_conflict():
    lead = lead_for(core_task="brand_building", focus="promotion")
    assert (lead.department, lead.focus_conflict) == ("marketing", False)
    assert "agree" in lead.reason


@pytest.mark.parametrize(
    ("core_task", "focus", "field"),
    [("world_domination", "channels", "core_task"), ("market_share", "radio", "focus")],
)
def test_unknown_core_task_or_focus_has_no_lead(core_task, focus, field):
    with pytest.raises(ValidationError) as error:
        lead_for(core_task=core_task, focus=focus)
    assert field in error.value.fields
