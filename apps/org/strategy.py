"""The company's strategy: its marketing focus, its current core task and the forecast tolerance.

Set by the company's administrator and kept with its history (``StrategyChange`` rows and
an organisation event). New plans take the focus and core task as defaults; who leads a
plan is then decided in ``apps.org.policy.lead_for``.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from apps.audit.models import Action
from apps.audit.services import event_record
from apps.core.errors import Forbidden, NotFound, ValidationError
from apps.core.timeutils import now

from .models import Company, CoreTask, Focus, StrategyChange
from .policy import has_company_perm, membership_of

STRATEGY_FIELDS = ("focus", "core_task", "forecast_tolerance_pct")
MAX_TOLERANCE = 1000


def strategy_of(company: Company) -> dict[str, Any]:
    return {name: getattr(company, name) for name in STRATEGY_FIELDS}


def company_of(*, user: Any) -> Company:
    """The user's own company; anybody else (a superuser, a stranger) finds none."""
    membership = membership_of(user)
    if membership is None or user.is_superuser:
        raise NotFound()
    return membership.company


def _clean(focus: Any, core_task: Any, tolerance: Any) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if focus is not None:
        if focus not in Focus.values:
            errors["focus"] = [f"Choose one of: {', '.join(Focus.values)}."]
        else:
            cleaned["focus"] = focus
    if core_task is not None:
        if core_task not in CoreTask.values:
            errors["core_task"] = [f"Choose one of: {', '.join(CoreTask.values)}."]
        else:
            cleaned["core_task"] = core_task
    if tolerance is not None:
        if isinstance(tolerance, bool) or not isinstance(tolerance, int):
            errors["forecast_tolerance_pct"] = ["A whole number of percent."]
        elif not 0 <= tolerance <= MAX_TOLERANCE:
            errors["forecast_tolerance_pct"] = [f"Between 0 and {MAX_TOLERANCE}."]
        else:
            cleaned["forecast_tolerance_pct"] = tolerance
    if errors:
        raise ValidationError("Please correct the highlighted fields.", fields=errors)
    return cleaned


@transaction.atomic
def company_strategy_update(
    *,
    actor: Any,
    company: Company,
    focus: str | None = None,
    core_task: str | None = None,
    forecast_tolerance_pct: int | None = None,
) -> Company:
    """Set the strategy (administrators; ``actor=None`` is the system, as when seeding).

    Plans already submitted keep the lead frozen in their route; new plans and
    reclassified ones follow the new strategy.
    """
    if actor is not None and not has_company_perm(actor, company, "administer_company"):
        raise Forbidden("Only a company administrator sets the company's strategy.")
    cleaned = _clean(focus, core_task, forecast_tolerance_pct)
    company = Company.objects.select_for_update().get(pk=company.pk)
    before = strategy_of(company)
    for name, value in cleaned.items():
        setattr(company, name, value)
    after = strategy_of(company)
    if after == before:
        return company
    moment = now()
    company.strategy_changed_by = actor
    company.strategy_changed_at = moment
    company.save()
    StrategyChange.objects.create(
        company=company, changed_by=actor, changed_at=moment, before=before, after=after
    )
    event_record(
        company_id=company.pk,
        action=Action.ORG_CHANGE,
        actor=actor,
        data={
            "what": "strategy_changed",
            **{name: [before[name], after[name]] for name in STRATEGY_FIELDS},
        },
    )
    return company


def strategy_history(*, company: Company) -> QuerySet[StrategyChange]:
    return StrategyChange.objects.filter(company=company).select_related("changed_by")
