"""What the company's strategy and a plan's own header mean for its review and sign-off.

One place for the figures and flags that the flow, the services, the API and the
pages show: whether a plan is off-strategy, sales' own forecasts for a sales target
and the gap between the target and their total, the long-term promotion flag, and
what a sign-off must therefore say (DOMAIN.md "Who leads", "Sales targets are set
jointly", "Directive and horizon matter").
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from apps.org.policy import Route, plan_lead

from .models import Directive, Horizon, Plan, SalesForecast, Scope

SALES_TARGET = "sales_target"
PROMOTIONAL = "promotional"


def off_strategy(plan: Plan) -> bool:
    """Frozen in the route once submitted; for a draft, what it would be today."""
    return plan_lead(plan).off_strategy


def forecasts_of(plan: Plan) -> list[SalesForecast]:
    """Sales' forecasts of a sales target. Only a sales target is forecast, and a plan's kind
    is fixed once it is submitted (before any forecast), so other plans are not looked up."""
    if plan.kind != SALES_TARGET:
        return []
    return list(SalesForecast.objects.filter(plan=plan).select_related("author").order_by("id"))


def expected_forecasts(plan: Plan) -> int:
    if plan.kind != SALES_TARGET or not plan.route:
        return 0
    return len(Route.from_dict(plan.route).review_departments)


def target_of(plan: Plan) -> Decimal | None:
    try:
        return Decimal(str(plan.content.get("target") or ""))
    except (InvalidOperation, ValueError):
        return None


def complete_total(amounts: list[Decimal], expected: int) -> Decimal | None:
    """The total of the forecasts given, once every expected one is in."""
    if not expected or len(amounts) < expected:
        return None
    return sum(amounts, Decimal(0))


def forecast_total(plan: Plan) -> Decimal | None:
    """The total of the sales departments' forecasts, once every one is in."""
    expected = expected_forecasts(plan)
    if not expected:  # not a sales target (or not submitted): no total, whatever is stored
        return None
    amounts = [forecast.amount for forecast in forecasts_of(plan)]
    return complete_total(amounts, expected)


def gap_pct(target: Decimal | None, total: Decimal | None) -> Decimal | None:
    """(target − forecasts' total) ÷ total × 100, one decimal; None without both figures.

    The one formula of the gap: the plan's API, its pages, the sign-off rule and the
    company overview (which reads many plans' forecasts at once) all call it.
    """
    if total is None or target is None or total <= 0:
        return None
    gap = (target - total) / total * 100
    return gap.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def forecast_gap_pct(plan: Plan) -> Decimal | None:
    """The plan's gap (``gap_pct``); None until every forecast is in."""
    return gap_pct(target_of(plan), forecast_total(plan))


def above_tolerance(gap: Decimal | None, tolerance_pct: int) -> bool:
    return gap is not None and gap > tolerance_pct


def target_above_tolerance(plan: Plan) -> bool:
    return above_tolerance(forecast_gap_pct(plan), plan.company.forecast_tolerance_pct)


def long_term_tactic(plan: Plan) -> bool:
    """A promotion (a competitive tactic) planned as long-term strategy."""
    return plan.kind == PROMOTIONAL and plan.horizon == Horizon.LONG_TERM


def sign_off_needs_comment(plan: Plan) -> list[str]:
    """Why approving this plan at sign-off needs the signer's comment (empty: it does not)."""
    reasons = []
    if target_above_tolerance(plan):
        reasons.append(
            f"The target is {forecast_gap_pct(plan)}% above the sales departments' own "
            f"forecasts (tolerance {plan.company.forecast_tolerance_pct}%)."
        )
    if long_term_tactic(plan):
        reasons.append(
            "A promotion is a competitive tactic, and this one is planned as long-term strategy."
        )
    return reasons


def default_directive(scope: str | None) -> str:
    """National promotions are decided by the professionals: mandatory unless said otherwise."""
    return Directive.MANDATORY if scope == Scope.NATIONAL else Directive.GUIDING


def strategy_summary(plan: Plan) -> dict:
    """What the plan, review and sign-off pages show about strategy, forecasts and flags."""
    forecasts = forecasts_of(plan)
    lead = plan_lead(plan)
    return {
        "off_strategy": lead.off_strategy,
        "core_task_reason": plan.core_task_reason,
        "company_core_task": plan.company.get_core_task_display() if plan.company.core_task else "",
        "is_target": plan.kind == SALES_TARGET,
        "target": target_of(plan),
        "market_forecast": plan.content.get("market_forecast") or None,
        "forecasts": forecasts,
        "forecasts_expected": expected_forecasts(plan),
        "forecast_total": forecast_total(plan),
        "gap_pct": forecast_gap_pct(plan),
        "tolerance_pct": plan.company.forecast_tolerance_pct,
        "above_tolerance": target_above_tolerance(plan),
        "long_term_tactic": long_term_tactic(plan),
        "sign_off_needs_comment": sign_off_needs_comment(plan),
    }
