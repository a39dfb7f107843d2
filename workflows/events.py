"""The history event of a step: one shape for the services and the deadline scan."""

from __future__ import annotations

from typing import Any

from apps.audit.services import event_record


def step_event(actor: Any, plan: Any, task: Any, action: str, **extra: Any) -> None:
    """Record ``action`` on ``task``'s step; the plan's status is what it was.

    ``actor`` is None for what the system does (a reminder, an escalation).
    """
    event_record(
        company_id=plan.company_id,
        plan_id=plan.pk,
        task_id=task.pk,
        action=action,
        actor=actor,
        step=task.flow_task.step,
        from_status=plan.status,
        to_status=plan.status,
        revision=plan.revision_count or None,
        data={"department": task.data.get("department_name", ""), **extra},
    )
