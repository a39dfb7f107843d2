"""Deadlines of human tasks: when the assignee is reminded and when a step is escalated.

DOMAIN.md "Time": before a deadline the people who may act are reminded once;
after it the step is escalated to the heads who sign off, and both events enter
the plan's history. The periodic scan only proposes work. Each service decides
again under the flow's lock and claims its side effect with a conditional
UPDATE in the same transaction as the history event and the notifications, so
a duplicated scan or a redelivered task does nothing twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse

from apps.audit.models import Action
from apps.core import timeutils
from apps.core.timeutils import working_time_between
from apps.notifications.selectors import emails_pending
from apps.notifications.services import notifications_create

from . import rules
from .events import step_event
from .lock import lock_process
from .models import ApprovalTask, TaskDeadline
from .notifications import ESCALATION, REMINDER, candidates, describe, heads, when

REMIND_WITHIN = timedelta(days=1)  # of working time left
SCAN_HORIZON = timedelta(days=4)  # one working day left is at most three calendar days away


def reminder_due(deadline: TaskDeadline, moment: datetime) -> bool:
    """Once at most one working day is left, and never in the first half of the allotted time.

    The second rule keeps a one-day step from being reminded the moment it opens.
    """
    if deadline.reminded_at or deadline.escalated_at or deadline.due_at <= moment:
        return False
    left = working_time_between(moment, deadline.due_at)
    allotted = working_time_between(deadline.task.created, deadline.due_at)
    return left <= min(REMIND_WITHIN, allotted / 2)


def deadlines_due(*, moment: datetime) -> tuple[list[int], list[int]]:
    """Deadlines of open tasks to remind and to escalate now, as two lists of ids."""
    unescalated = TaskDeadline.objects.filter(
        rules.open_q("task__"), closed_at__isnull=True, escalated_at__isnull=True
    )
    overdue = unescalated.filter(due_at__lte=moment).order_by("due_at", "id")
    soon = unescalated.filter(
        reminded_at__isnull=True, due_at__gt=moment, due_at__lte=moment + SCAN_HORIZON
    ).select_related("task")
    remind = [
        deadline.pk for deadline in soon.order_by("due_at", "id") if reminder_due(deadline, moment)
    ]
    return remind, list(overdue.values_list("pk", flat=True))


@transaction.atomic
def deadline_remind(*, deadline_id: int) -> list[int]:
    """Remind the people who may act, once; return the reminder emails still to send."""
    key = f"remind:{deadline_id}"
    deadline = TaskDeadline.objects.select_related("task").filter(pk=deadline_id).first()
    if deadline is None:
        return []
    with lock_process(deadline.task.process_id):
        moment = timeutils.now()
        deadline.refresh_from_db()
        task = _open_task(deadline.task_id)
        if task is None or not reminder_due(deadline, moment):
            return emails_pending(key=key)
        claimed = TaskDeadline.objects.filter(pk=deadline.pk, reminded_at__isnull=True).update(
            reminded_at=moment
        )
        if not claimed:
            return emails_pending(key=key)
        users = list(candidates(task))
        step_event(
            None,
            task.process.planprocess.plan,
            task,
            Action.REMIND,
            due_at=deadline.due_at.isoformat(),
            reminded=_names(users),
        )
        return notifications_create(
            key=key,
            users=users,
            kind=REMINDER,
            message=f"Reminder: {describe(task)} is due {when(deadline.due_at)}.",
            url=reverse("task-detail", kwargs={"task_id": task.pk}),
        )


@transaction.atomic
def deadline_escalate(*, deadline_id: int) -> list[int]:
    """Escalate an overdue step to the heads who sign off, once; return emails still to send."""
    key = f"escalate:{deadline_id}"
    deadline = TaskDeadline.objects.select_related("task").filter(pk=deadline_id).first()
    if deadline is None:
        return []
    with lock_process(deadline.task.process_id):
        moment = timeutils.now()
        task = _open_task(deadline.task_id)
        if task is None:
            return emails_pending(key=key)
        claimed = TaskDeadline.objects.filter(
            pk=deadline.pk, escalated_at__isnull=True, due_at__lte=moment
        ).update(escalated_at=moment)
        if not claimed:
            return emails_pending(key=key)
        users = list(heads(task))
        holder = task.owner.username if task.owner_id else "nobody (unclaimed)"
        step_event(
            None,
            task.process.planprocess.plan,
            task,
            Action.ESCALATE,
            due_at=deadline.due_at.isoformat(),
            escalated_to=_names(users),
            held_by=holder,
        )
        plan = task.process.planprocess.plan
        return notifications_create(
            key=key,
            users=users,
            kind=ESCALATION,
            message=f"Overdue: {describe(task)} was due {when(deadline.due_at)}.",
            detail=f"Held by {holder}. The plan is by {plan.author.username}.",
            url=reverse("plan-detail", kwargs={"plan_id": plan.pk}),
        )


def _open_task(task_id: int) -> ApprovalTask | None:
    return (
        ApprovalTask.objects.select_related("process__planprocess__plan__author", "owner")
        .filter(rules.open_q(), pk=task_id)
        .first()
    )


def _names(users: list[Any]) -> list[str]:
    return [user.username for user in users]
