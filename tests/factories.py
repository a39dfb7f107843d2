"""Plans built through the services, so that every test starts from a real state."""

from __future__ import annotations

from typing import Any

from apps.plans import services as plan_services
from workflows import services as approvals
from workflows.selectors import current_steps

PROMO_CONTENT = {
    "campaign_start": "2027-05-01",
    "campaign_end": "2027-05-31",
    "regions": "All",
    "channels": "Stores and online",
    "budget": "50000",
}

HEADERS = {
    "sales_leads": dict(focus="channels", core_task="market_share"),
    "marketing_leads": dict(focus="promotion", core_task="brand_building"),
    "conflict_sales": dict(focus="promotion", core_task="market_share"),
    "conflict_marketing": dict(focus="channels", core_task="new_product_launch"),
}


def draft(author, *, lead: str = "sales_leads", title: str = "Test plan", **extra: Any):
    fields = dict(
        kind="promotional",
        title=title,
        directive="mandatory",
        horizon="short_term",
        content=dict(PROMO_CONTENT),
        **HEADERS[lead],
    )
    fields.update(extra)
    return plan_services.plan_create(actor=author, **fields)


def submitted(author, **kwargs):
    plan = draft(author, **kwargs)
    return approvals.plan_submit(actor=author, plan_id=plan.pk)


def open_task(plan, *, step: str, department: str | None = None):
    """The plan's open task of ``step`` (and department), or fail loudly."""
    for current in current_steps(plan=plan):
        if current.step == step and (department is None or current.department == department):
            return current.task
    raise AssertionError(f"no open {step} task for {department or 'any department'} on {plan}")
