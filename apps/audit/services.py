"""The one place that writes history events."""

from __future__ import annotations

from typing import Any

from django.db import connection

from apps.core.timeutils import now

from .models import Action, Event


def event_record(
    *,
    company_id: int,
    action: Action | str,
    actor: Any = None,
    plan_id: int | None = None,
    task_id: int | None = None,
    step: str = "",
    from_status: str = "",
    to_status: str = "",
    comment: str = "",
    revision: int | None = None,
    data: dict[str, Any] | None = None,
) -> Event:
    """Append one event. Must run inside the transaction of the change it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("event_record must run inside the transaction of the change")
    return Event.objects.create(
        company_id=company_id,
        plan_id=plan_id,
        task_id=task_id,
        actor_id=getattr(actor, "pk", None),
        actor_name=getattr(actor, "username", "") or "",
        action=str(action),
        step=step,
        from_status=str(from_status or ""),
        to_status=str(to_status or ""),
        comment=comment or "",
        revision=revision,
        data=data or {},
        created_at=now(),
    )
