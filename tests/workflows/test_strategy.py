"""The company decides who is heavier: its strategy, off-strategy plans, reclassification,
sales targets set on sales' own forecasts, directive and horizon, four eyes across steps."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from apps.audit.models import Event
from apps.core.errors import Forbidden, ValidationError
from apps.org.policy import lead_for
from apps.org.strategy import company_strategy_update
from apps.plans import services as plan_services
from apps.plans.kinds import content_clean
from apps.plans.models import Decision, Status
from apps.plans.strategy import forecast_gap_pct
from tests.factories import (
    decide,
    draft,
    forecast,
    grant,
    open_task,
    queued,
    refused,
    steps_of,
    submitted,
)
from workflows import rules
from workflows import services as approvals

pytestmark = pytest.mark.django_db

TASKS = ("new_product_launch", "brand_building", "market_share")
FOCI = ("channels", "promotion")
# DOMAIN.md "Who leads": the plan's core task decides who leads ...
LEADS = {"new_product_launch": "marketing", "brand_building": "marketing", "market_share": "sales"}


def set_strategy(company, focus="channels", core_task="market_share", tolerance=None):
    company_strategy_update(
        actor=None,
        company=company,
        focus=focus,
        core_task=core_task,
        forecast_tolerance_pct=tolerance,
    )
    company.refresh_from_db()  # the instance the members' cached memberships hold
    return company


@pytest.mark.parametrize(
    "company_task,core_task,focus,reason",
    list(itertools.product(("", *TASKS), TASKS, FOCI, ("", "A launch this spring."))),
)
def test_lead_table(company_task, core_task, focus, reason):
    """Company strategy x plan core task x reason -> lead, binding or consultative, off-strategy."""
    off = bool(company_task) and core_task != company_task
    if off and not reason:
        with pytest.raises(ValidationError) as error:
            lead_for(
                core_task=core_task,
                focus=focus,
                company_core_task=company_task,
                core_task_reason="",
            )
        assert "core_task_reason" in error.value.fields
        return
    lead = lead_for(
        core_task=core_task, focus=focus, company_core_task=company_task, core_task_reason=reason
    )
    assert lead.department == LEADS[core_task]
    assert lead.off_strategy is off
    # ... sales' review binds when sales leads, and whenever the plan is off-strategy
    expected = "binding" if LEADS[core_task] == "sales" or off else "consultative"
    assert lead.sales_review == expected
    assert ("Off-strategy" in lead.reason) is off


@pytest.mark.parametrize("core_task", TASKS)
def test_a_sales_target_review_always_binds(core_task):
    lead = lead_for(core_task=core_task, focus="promotion", kind="sales_target")
    assert lead.sales_review == "binding"


def test_new_plans_take_the_company_strategy_as_defaults(user):
    planner = user("maple.planner")
    set_strategy(planner.membership.company, focus="promotion", core_task="brand_building")
    plan = plan_services.plan_create(
        actor=planner, kind="brand", title="Defaults", horizon="long_term"
    )
    assert (plan.focus, plan.core_task, plan.directive) == (
        "promotion",
        "brand_building",
        "guiding",
    )


def test_another_core_task_needs_a_reason(user):
    planner = user("maple.planner")
    set_strategy(planner.membership.company, core_task="market_share")
    with pytest.raises(ValidationError) as error:
        draft(planner, lead="marketing_leads")
    assert "core_task_reason" in error.value.fields


def test_a_marketing_led_choice_off_the_company_strategy_still_gets_a_binding_review(user):
    planner, sales = user("maple.planner"), user("maple.sales")
    set_strategy(planner.membership.company, focus="channels", core_task="market_share")
    plan = submitted(
        planner, lead="marketing_leads", core_task_reason="The autumn line needs a brand story."
    )
    assert plan.route["lead"] == "marketing"
    assert plan.route["sales_review"] == "binding"
    assert plan.route["off_strategy"] is True
    task = open_task(plan, step="review")
    assert rules.task_outcomes(task) == ["approve", "request_changes", "reject"]
    plan = decide(plan, sales, "reject", "Our stores need share, not a story.")
    assert plan.status == Status.REJECTED


def test_on_strategy_marketing_lead_stays_consultative(user):
    planner = user("maple.planner")
    set_strategy(planner.membership.company, focus="promotion", core_task="brand_building")
    plan = submitted(planner, lead="marketing_leads")
    assert (plan.route["sales_review"], plan.route["off_strategy"]) == ("consultative", False)


def test_strategy_changes_are_kept_with_who_when_and_from_what(user):
    gm = user("maple.gm")
    company = gm.membership.company
    company_strategy_update(actor=gm, company=company, focus="channels", core_task="market_share")
    company_strategy_update(actor=gm, company=company, core_task="new_product_launch")
    changes = list(company.strategy_changes.order_by("id"))
    assert [(c.before["core_task"], c.after["core_task"]) for c in changes] == [
        ("", "market_share"),
        ("market_share", "new_product_launch"),
    ]
    assert all(c.changed_by == gm for c in changes)
    company.refresh_from_db()
    assert company.strategy_changed_by == gm
    event = Event.objects.filter(company_id=company.pk, data__what="strategy_changed").last()
    assert event.data["core_task"] == ["market_share", "new_product_launch"]


def test_only_an_administrator_sets_the_strategy(user):
    with pytest.raises(Forbidden):
        company_strategy_update(
            actor=user("maple.planner"),
            company=user("maple.gm").membership.company,
            focus="channels",
        )
    with pytest.raises(ValidationError):
        company_strategy_update(
            actor=user("maple.gm"), company=user("maple.gm").membership.company, focus="radio"
        )


# Reclassification.


def test_reclassification_on_resubmission_recomputes_the_lead(user):
    planner, gm, sales = user("maple.planner"), user("maple.gm"), user("maple.sales")
    plan = submitted(planner, lead="marketing_leads")  # brand building: consultative
    assert plan.route["sales_review"] == "consultative"
    decide(plan, sales, "raise_concerns", "This is about share in our stores.")
    # without asking to reclassify, the core task stays fixed
    decide(plan, gm, "request_changes", "Rework the budget.", step="sign_off")
    with pytest.raises(ValidationError):
        plan_services.plan_update(actor=planner, plan=plan, data={"core_task": "market_share"})
    plan = approvals.plan_submit(actor=planner, plan_id=plan.pk)
    decide(plan, sales, "approve")
    task = open_task(plan, step="sign_off")
    approvals.task_decide(
        actor=gm,
        task_id=task.pk,
        outcome="request_changes",
        comment="Sales is right: this is a market share plan.",
        reclassify=True,
    )
    plan.refresh_from_db()
    plan_services.plan_update(
        actor=planner, plan=plan, data={"core_task": "market_share", "focus": "channels"}
    )
    plan = approvals.plan_submit(actor=planner, plan_id=plan.pk)

    assert plan.route["lead"] == "sales"
    assert plan.route["sales_review"] == "binding"
    assert rules.task_outcomes(open_task(plan, step="review")) == [
        "approve",
        "request_changes",
        "reject",
    ]
    edit = Event.objects.filter(plan_id=plan.pk, action="edit").last()
    assert edit.data["reclassified"]["core_task"] == ["brand_building", "market_share"]
    resubmit = Event.objects.filter(plan_id=plan.pk, action="resubmit").last()
    assert resubmit.data["relead"]["lead"] == ["marketing", "sales"]
    assert resubmit.data["relead"]["sales_review"] == ["consultative", "binding"]
    assert Decision.objects.filter(plan=plan, reclassify=True).count() == 1


def test_only_a_request_for_changes_asks_to_reclassify(user):
    planner, sales = user("maple.planner"), user("maple.sales")
    plan = submitted(planner)
    task = open_task(plan, step="review")
    with refused(ValidationError, plan):
        approvals.task_decide(actor=sales, task_id=task.pk, outcome="approve", reclassify=True)


# Sales targets on sales' own forecasts.

TARGET = {
    "period": "2027 H1",
    "target": "125000",
    "market_forecast": "130000",
    "execution_monitoring": "Monthly sell-out reports",
}


def target(author, **extra):
    return submitted(
        author, kind="sales_target", title="Spring target", content=dict(TARGET), **extra
    )


def test_a_sales_target_first_asks_sales_for_its_forecast_in_a_small_company(user):
    planner, seller, head = user("lotus.planner"), user("lotus.seller"), user("lotus.head")
    plan = target(planner, lead="marketing_leads")
    assert steps_of(plan) == [("forecast", "Marketing & Sales")]
    assert plan.route["sales_review"] == "binding"  # a target is set jointly
    assert queued(planner, plan) == []  # the author gives no forecast on their own target
    plan = forecast(plan, seller, "100000", "Our stores sold 95,000 last spring.")
    assert steps_of(plan) == [("review", "Marketing & Sales")]
    assert forecast_gap_pct(plan) == Decimal("25.0")
    decide(plan, seller, "approve")
    task = open_task(plan, step="sign_off")
    with refused(ValidationError, plan) as error:
        approvals.task_decide(actor=head, task_id=task.pk, outcome="approve")
    assert "25.0%" in error.value.message
    plan = decide(
        plan, head, "approve", "A stretch we fund with the spring promotion.", step="sign_off"
    )
    assert plan.status == Status.APPROVED
    signed = Event.objects.filter(plan_id=plan.pk, action="sign_off").get()
    assert signed.comment == "A stretch we fund with the spring promotion."


def test_a_medium_company_sales_forecast_within_tolerance_needs_no_comment(user):
    planner, sales, gm = user("maple.planner"), user("maple.sales"), user("maple.gm")
    plan = target(planner)
    plan = forecast(plan, sales, "120000")
    assert forecast_gap_pct(plan) == Decimal("4.2")
    decide(plan, sales, "approve")
    assert decide(plan, gm, "approve", step="sign_off").status == Status.APPROVED


def test_the_company_tolerance_decides_when_a_comment_is_needed(user):
    planner, sales, gm = user("maple.planner"), user("maple.sales"), user("maple.gm")
    set_strategy(planner.membership.company, tolerance=2)
    plan = forecast(target(planner), sales, "120000")
    decide(plan, sales, "approve")
    with refused(ValidationError, plan):
        decide(plan, gm, "approve", step="sign_off")


def test_regions_forecast_in_parallel_at_northstar(user):
    planner, east, west = user("north.planner"), user("north.sales.east"), user("north.sales.west")
    plan = target(planner)
    assert steps_of(plan) == [("forecast", "Eastern Sales"), ("forecast", "Western Sales")]
    assert queued(east, plan) == [("forecast", "Eastern Sales")]
    plan = forecast(plan, east, "60000", department="Eastern Sales")
    assert steps_of(plan) == [("forecast", "Western Sales")]
    assert forecast_gap_pct(plan) is None  # not every forecast is in
    plan = forecast(plan, west, "40,000.00", department="Western Sales")
    assert sorted(steps_of(plan)) == [("review", "Eastern Sales"), ("review", "Western Sales")]
    assert forecast_gap_pct(plan) == Decimal("25.0")  # 125,000 against 100,000
    assert [(f.department_name, f.amount) for f in plan.forecasts.order_by("id")] == [
        ("Eastern Sales", Decimal("60000.00")),
        ("Western Sales", Decimal("40000.00")),
    ]
    events = Event.objects.filter(plan_id=plan.pk, action="forecast").order_by("id")
    assert [e.data["amount"] for e in events] == ["60000.00", "40000.00"]


def test_a_forecast_needs_an_amount_and_a_rationale(user):
    planner, sales = user("maple.planner"), user("maple.sales")
    plan = target(planner)
    task = open_task(plan, step="forecast")
    for amount, comment in ((None, "Rationale."), ("", "Rationale."), ("-5", "R."), ("90000", "")):
        with refused(ValidationError, plan):
            approvals.task_decide(
                actor=sales, task_id=task.pk, outcome="forecast", amount=amount, comment=comment
            )
    with refused(ValidationError, plan):
        approvals.task_decide(actor=sales, task_id=task.pk, outcome="approve", comment="x")


def test_marketing_cannot_give_sales_forecast(user):
    planner = user("maple.planner")
    plan = target(planner)
    task = open_task(plan, step="forecast")
    with refused(Forbidden, plan):
        approvals.task_decide(
            actor=planner, task_id=task.pk, outcome="forecast", amount="1", comment="Mine."
        )


def test_marketing_no_longer_types_sales_forecast():
    with pytest.raises(ValidationError):
        content_clean("sales_target", {"sales_forecast": "1"}, complete=False)


# Directive and horizon.


def test_a_national_promotion_defaults_to_mandatory_and_sales_must_acknowledge_it(user):
    planner, sales, gm = user("maple.planner"), user("maple.sales"), user("maple.gm")
    plan = draft(planner, directive="", scope="national")
    assert plan.directive == "mandatory"
    regional = draft(planner, directive="", scope="regional")
    assert regional.directive == "guiding"
    plan = approvals.plan_submit(actor=planner, plan_id=plan.pk)
    decide(plan, sales, "approve")
    decide(plan, gm, "approve", step="sign_off")
    task = open_task(plan, step="take_up")
    for outcome in ("decline", "adopt"):
        with refused(ValidationError, plan):
            approvals.task_decide(actor=sales, task_id=task.pk, outcome=outcome, comment="No.")
    assert decide(plan, sales, "acknowledge", step="take_up").status == Status.IN_EXECUTION


def test_only_a_promotion_has_a_scope(user):
    with pytest.raises(ValidationError):
        draft(user("maple.planner"), kind="brand", content={}, scope="national")


def test_a_long_term_promotion_is_flagged_and_signing_it_needs_a_comment(user):
    planner, sales, gm = user("maple.planner"), user("maple.sales"), user("maple.gm")
    plan = submitted(planner, horizon="long_term")
    decide(plan, sales, "approve")
    with refused(ValidationError, plan) as error:
        decide(plan, gm, "approve", step="sign_off")
    assert "long-term" in error.value.message
    assert decide(plan, gm, "approve", "Ran every year.", step="sign_off").status == "approved"


# Four eyes across steps.


def test_nobody_both_reviews_and_signs_off_the_same_plan(user):
    planner, seller, head = user("lotus.planner"), user("lotus.seller"), user("lotus.head")
    grant(seller, "signer")
    plan = submitted(planner)
    decide(plan, seller, "approve")
    assert queued(seller, plan) == []
    task = open_task(plan, step="sign_off")
    with refused(Forbidden, plan) as error:
        approvals.task_decide(actor=seller, task_id=task.pk, outcome="approve")
    assert "You reviewed this plan" in error.value.message
    assert decide(plan, head, "approve", step="sign_off").status == Status.APPROVED


def test_a_signer_who_sent_a_plan_back_does_not_review_its_next_round(user):
    planner, sales, salesdir, gm = (
        user("maple.planner"),
        user("maple.sales"),
        user("maple.salesdir"),
        user("maple.gm"),
    )
    grant(salesdir, "reviewer")  # the sales director also reviews for Sales
    plan = submitted(planner)
    decide(plan, sales, "approve")
    decide(plan, salesdir, "request_changes", "Cut the budget.", step="sign_off")
    plan = approvals.plan_submit(actor=planner, plan_id=plan.pk)
    assert queued(salesdir, plan) == []
    assert queued(sales, plan) == [("review", "Sales")]
    task = open_task(plan, step="review")
    with refused(Forbidden, plan) as error:
        approvals.task_decide(actor=salesdir, task_id=task.pk, outcome="approve")
    assert "someone else reviews it" in error.value.message
    decide(plan, sales, "approve")
    assert decide(plan, gm, "approve", step="sign_off").status == Status.APPROVED


def test_nobody_takes_up_their_own_plan(user):
    planner, seller, head = user("lotus.planner"), user("lotus.seller"), user("lotus.head")
    plan = submitted(planner, directive="guiding")
    decide(plan, seller, "approve")
    decide(plan, head, "approve", step="sign_off")
    task = open_task(plan, step="take_up")
    assert queued(planner, plan) == []
    with refused(Forbidden, plan):
        approvals.task_decide(actor=planner, task_id=task.pk, outcome="adopt")


def test_nobody_feeds_back_on_their_own_plan(user):
    planner, seller, head = user("lotus.planner"), user("lotus.seller"), user("lotus.head")
    plan = submitted(planner)
    decide(plan, seller, "approve")
    decide(plan, head, "approve", step="sign_off")
    decide(plan, seller, "acknowledge", step="take_up")
    with refused(Forbidden, plan):
        approvals.feedback_file(actor=planner, plan_id=plan.pk, kind="opinions", text="Mine.")
    approvals.feedback_file(actor=seller, plan_id=plan.pk, kind="opinions", text="Stores like it.")
