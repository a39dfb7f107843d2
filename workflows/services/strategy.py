"""What the company's strategy adds to a decision: forecasts, four eyes, sign-off comments.

Called by ``task_decide`` and ``plan_submit`` inside their transaction and lock; the
rules themselves live in ``apps.org.policy`` (the lead) and ``apps.plans.strategy``
(the figures and flags), so the flow, the API and the pages read the same answers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from apps.core.errors import Forbidden, ValidationError
from apps.core.timeutils import now
from apps.org.policy import Outcome, Route, Step, plan_lead
from apps.plans.kinds import amount_clean
from apps.plans.models import Decision, Plan, SalesForecast
from apps.plans.services import may_reclassify
from apps.plans.strategy import sign_off_needs_comment

from .. import rules
from ..models import ApprovalTask

# The other step of the four eyes: who decided one of them does not decide the other.
FOUR_EYES = {Step.SIGN_OFF: Step.REVIEW, Step.REVIEW: Step.SIGN_OFF}


def check_may_decide(actor: Any, task: ApprovalTask, step: str) -> None:
    """Four eyes first (nobody both reviews and signs off the same plan, whatever roles they
    hold), then the rules of who may act; both asked in one statement."""
    may, decided_other = rules.may_act_and_decided(actor, task, FOUR_EYES.get(step))
    if decided_other and step == Step.SIGN_OFF:
        raise Forbidden(
            "You reviewed this plan, so someone else signs it off (four eyes across steps)."
        )
    if decided_other and step == Step.REVIEW:
        raise Forbidden(
            "You decided this plan's sign-off, so someone else reviews it (four eyes across steps)."
        )
    if not may:
        raise Forbidden("You may not decide on this task.")


def check_decision(
    plan: Plan, step: str, outcome: str, comment: str, amount: Any, reclassify: bool
) -> Decimal | None:
    """What a decision must carry besides its outcome; returns the forecast's amount."""
    if reclassify and not (
        outcome == Outcome.REQUEST_CHANGES and step in (Step.REVIEW, Step.SIGN_OFF)
    ):
        raise ValidationError(
            "Only a request for changes asks to reclassify a plan.",
            fields={"reclassify": ["Request changes to ask for it."]},
        )
    if step == Step.FORECAST:
        value = amount_clean(amount)
        if value <= 0:
            raise ValidationError(
                "A forecast is an amount above zero.", fields={"amount": ["Above zero."]}
            )
        return value
    if amount not in (None, ""):
        raise ValidationError(
            "Only a sales forecast carries an amount.", fields={"amount": ["Not for this step."]}
        )
    if step == Step.SIGN_OFF and outcome == Outcome.APPROVE and not comment:
        reasons = sign_off_needs_comment(plan)
        if reasons:
            message = " ".join(reasons) + " Say why you sign it off anyway."
            raise ValidationError(message, fields={"comment": [message]})
    return None


def forecast_record(plan: Plan, task: ApprovalTask, decision: Decision, amount: Decimal) -> None:
    SalesForecast.objects.create(
        plan=plan,
        department=decision.department,
        department_name=decision.department_name,
        amount=amount,
        rationale=decision.comment,
        author=decision.actor,
        task_id=task.pk,
        created_at=decision.created_at or now(),
    )


def relead(plan: Plan) -> dict[str, list] | None:
    """A reclassified plan's next round follows the lead its new header gives; say what moved."""
    if not may_reclassify(plan):
        return None
    route = Route.from_dict(plan.route)
    rerouted = route.with_lead(plan_lead(plan, strict=True))
    plan.route = rerouted.as_dict()
    return {
        "lead": [route.lead, rerouted.lead],
        "sales_review": [route.sales_review, rerouted.sales_review],
        "off_strategy": [route.off_strategy, rerouted.off_strategy],
    }
