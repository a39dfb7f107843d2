"""What the flow's gateways ask: answers read from the plan's frozen route and decisions."""

from __future__ import annotations

from typing import Any

from apps.org.policy import Outcome, Route, Step
from apps.org.policy import executing_departments as route_executors
from apps.plans.selectors import decisions_on_revision


def _round(process: Any, step: str):
    plan = process.plan
    return decisions_on_revision(plan_id=plan.pk, number=plan.revision_count, step=step)


def needs_forecasts(process: Any) -> bool:
    """A sales target rests on the sales departments' own forecasts, asked before review."""
    return process.plan.kind == "sales_target"


def review_departments(process: Any) -> list[dict]:
    return Route.from_dict(process.plan.route).review_departments


def executing_departments(process: Any) -> list[dict]:
    return route_executors(Route.from_dict(process.plan.route))


def review_round_closed(process: Any) -> bool:
    """A request for changes, or a binding rejection, closes the other open reviews."""
    return (
        _round(process, Step.REVIEW)
        .filter(outcome__in=[Outcome.REQUEST_CHANGES, Outcome.REJECT])
        .exists()
    )


def review_rejected(process: Any) -> bool:
    route = Route.from_dict(process.plan.route)
    return route.is_binding and _round(process, Step.REVIEW).filter(outcome=Outcome.REJECT).exists()


def review_wants_changes(process: Any) -> bool:
    return _round(process, Step.REVIEW).filter(outcome=Outcome.REQUEST_CHANGES).exists()


def last_sign_off_is(process: Any, outcome: str) -> bool:
    last = _round(process, Step.SIGN_OFF).order_by("-id").first()
    return last is not None and last.outcome == outcome
