"""What the flow's gateways ask: answers read from the plan's frozen route and decisions.

While a decision moves the flow on (``deciding``), the gateways read that decision
instead of querying the round: a round ends at its first request for changes or
rejection (the join closes the other reviews), so the decision that reaches a
gateway is the only one in its round that can close it, and a sign-off round's
last decision is the one just recorded. Outside a decision they query.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from apps.org.policy import Outcome, Route, Step
from apps.org.policy import executing_departments as route_executors
from apps.plans.selectors import decisions_on_revision

_recorded: ContextVar[Any] = ContextVar("greenlight_decision_recorded", default=None)


@contextmanager
def deciding(decision: Any) -> Iterator[None]:
    """The gateways run while ``decision`` (just recorded, in this transaction) moves the flow."""
    token = _recorded.set(decision)
    try:
        yield
    finally:
        _recorded.reset(token)


def _just_recorded(process: Any, step: str) -> Any:
    """The decision moving the flow, if it belongs to the current round of ``step``."""
    decision = _recorded.get()
    plan = process.plan
    if (
        decision is None
        or decision.plan_id != plan.pk
        or decision.step != step
        or decision.revision.number != plan.revision_count
    ):
        return None
    return decision


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
    decision = _just_recorded(process, Step.REVIEW)
    if decision is not None:
        return decision.outcome in (Outcome.REQUEST_CHANGES, Outcome.REJECT)
    return (
        _round(process, Step.REVIEW)
        .filter(outcome__in=[Outcome.REQUEST_CHANGES, Outcome.REJECT])
        .exists()
    )


def review_rejected(process: Any) -> bool:
    route = Route.from_dict(process.plan.route)
    if not route.is_binding:
        return False
    decision = _just_recorded(process, Step.REVIEW)
    if decision is not None:
        return decision.outcome == Outcome.REJECT
    return _round(process, Step.REVIEW).filter(outcome=Outcome.REJECT).exists()


def review_wants_changes(process: Any) -> bool:
    decision = _just_recorded(process, Step.REVIEW)
    if decision is not None:
        return decision.outcome == Outcome.REQUEST_CHANGES
    return _round(process, Step.REVIEW).filter(outcome=Outcome.REQUEST_CHANGES).exists()


def last_sign_off_is(process: Any, outcome: str) -> bool:
    decision = _just_recorded(process, Step.SIGN_OFF)
    if decision is not None:
        return decision.outcome == outcome
    last = _round(process, Step.SIGN_OFF).order_by("-id").first()
    return last is not None and last.outcome == outcome
