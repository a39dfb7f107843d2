"""Plans built through the services, so that every test starts from a real state."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from apps.audit.models import Event
from apps.org import services as org_services
from apps.plans import services as plan_services
from apps.plans.models import Decision, Plan
from workflows import services as approvals
from workflows.models import ApprovalTask
from workflows.selectors import current_steps, task_inbox, task_queue

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


def decide(plan, actor, outcome: str, comment: str = "", *, step: str = "review", department=None):
    """Decide the plan's open ``step`` task (of ``department``) as ``actor``; return the plan."""
    task = open_task(plan, step=step, department=department)
    approvals.task_decide(actor=actor, task_id=task.pk, outcome=outcome, comment=comment)
    plan.refresh_from_db()
    return plan


def steps_of(plan) -> list[tuple[str, str]]:
    """Who may act next on the plan, as (step, department) pairs."""
    return [(current.step, current.department) for current in current_steps(plan=plan)]


def queued(user, plan) -> list[tuple[str, str]]:
    """The plan's tasks in ``user``'s queue, as (step, department) pairs."""
    tasks = task_queue(user=user).filter(process__planprocess__plan=plan).order_by("id")
    return [(task.step, task.data.get("department_name", "")) for task in tasks]


def inbox(user, plan) -> list[str]:
    """The plan's tasks in ``user``'s inbox, by step."""
    tasks = task_inbox(user=user).filter(process__planprocess__plan=plan).order_by("id")
    return [task.step for task in tasks]


def history(plan) -> list[tuple]:
    """The plan's events as (action, actor_name, step, from_status, to_status, revision)."""
    return [
        (e.action, e.actor_name, e.step, e.from_status, e.to_status, e.revision)
        for e in Event.objects.filter(plan_id=plan.pk).order_by("id")
    ]


def decisions(plan) -> list[tuple]:
    """The plan's decisions as (step, department_name, actor, outcome, revision number)."""
    return [
        (d.step, d.department_name, d.actor.username, d.outcome, d.revision.number)
        for d in Decision.objects.filter(plan=plan).order_by("id").select_related("actor")
    ]


def snapshot(plan) -> dict[str, Any]:
    """Everything an action on the plan could change, to show that a refused one changed nothing."""
    plan = Plan.objects.get(pk=plan.pk)
    tasks = ApprovalTask.objects.filter(process__planprocess__plan=plan).order_by("id")
    return {
        "plan": {name: getattr(plan, name) for name in SNAPSHOT_FIELDS},
        "regions": sorted(plan.regions.values_list("pk", flat=True)),
        "events": Event.objects.filter(plan_id=plan.pk).count(),
        "tasks": [(t.pk, t.status, t.owner_id) for t in tasks],
        "revisions": list(plan.revisions.values_list("number", "content_sha256")),
        "decisions": Decision.objects.filter(plan=plan).count(),
    }


SNAPSHOT_FIELDS = (
    "status",
    "title",
    "kind",
    "focus",
    "core_task",
    "directive",
    "horizon",
    "content",
    "route",
    "revision_count",
    "submitted_at",
    "finished_at",
)


def grant(user, *roles: str, department=None):
    """Give a demo member extra roles, through the service a company administrator uses."""
    membership = user.membership
    return org_services.member_save(
        actor=None,
        company=membership.company,
        user=user,
        department=department or membership.department,
        roles=membership.role_names | set(roles),
        title=membership.title,
    )


def member(company, username: str, *roles: str, department=None):
    """A new member of ``company`` with ``roles``, added through the organisation service."""
    person = get_user_model().objects.create_user(username=username, password="x")
    org_services.member_save(
        actor=None, company=company, user=person, department=department, roles=set(roles)
    )
    return get_user_model().objects.get(pk=person.pk)


@contextmanager
def refused(error_class, plan):
    """Expect ``error_class`` from the block, and the plan exactly as it was before."""
    before = snapshot(plan)
    with pytest.raises(error_class) as info:
        yield info
    assert snapshot(plan) == before
