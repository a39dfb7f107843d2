"""Who hears about an approval, and what they are told.

Two halves. The hooks (``task_created``, ``task_released``, ``plan_decided``)
run inside the transaction of the action and only queue a Celery task for
after the commit, so a rolled-back action tells nobody. The services the tasks
call (``*_notify``) decide the recipients and the wording when the task runs,
and hand them to ``apps.notifications`` under an idempotency key, so a
redelivered task tells nobody twice.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from apps.notifications.selectors import emails_pending
from apps.notifications.services import notifications_create
from apps.org.models import Company, Department
from apps.org.policy import Step, reviewers_of, signers_of
from apps.plans.models import Decision, Status

from .models import OPEN_STATUSES, ApprovalTask
from .policy import task_may_act

TASK_QUEUED = "task_queued"
REMINDER = "reminder"
ESCALATION = "escalation"
PLAN_DECIDED = "plan_decided"

DECIDED_WORDS = {
    Status.APPROVED: "was approved",
    Status.REJECTED: "was rejected",
    Status.CHANGES_REQUESTED: "was sent back for changes",
}


# Hooks: called inside the action's transaction.


def task_created(task: Any) -> None:
    """A review or sign-off lands in a queue. A revision is the author's: ``plan_decided``."""
    if getattr(task.flow_task, "step", None) != Step.REVISE:
        _after_commit("notify_task_queued", task.pk, f"queued:{task.pk}")


def task_released(task: Any) -> None:
    """Back in the queue: a fresh key per release, fixed before the message is sent."""
    _after_commit("notify_task_queued", task.pk, f"released:{task.pk}:{uuid.uuid4().hex[:12]}")


def plan_decided(*, decision: Any, status: str) -> None:
    """Tell the author when a decision approved, rejected or sent back the plan."""
    if status in DECIDED_WORDS:
        _after_commit("notify_plan_decided", decision.pk, status)


def _after_commit(task_name: str, *args: Any) -> None:
    # Imported here: the tasks import the flow, and the flow imports the callers of these hooks.
    from . import tasks

    task = getattr(tasks, task_name)

    def enqueue() -> None:
        task.delay(*args)

    enqueue.__qualname__ = f"{task.name}.delay"  # for Django's log line should it fail
    # robust: the action has committed; a broker hiccup is logged, not shown as a failed action.
    transaction.on_commit(enqueue, robust=True)


# Services: called by the Celery tasks.


def task_queued_notify(*, task_id: int, key: str) -> list[int]:
    """Tell the people who may act that the task waits in their queue; return unsent emails."""
    task = _task(task_id)
    if task is None or task.status not in OPEN_STATUSES or task.owner_id is not None:
        return emails_pending(key=key)  # claimed or closed meanwhile: nobody new to tell
    plan = task.process.planprocess.plan
    again = " again" if key.startswith("released:") else ""
    return notifications_create(
        key=key,
        users=candidates(task),
        kind=TASK_QUEUED,
        message=f"{describe(task)} is waiting{again} in your queue.",
        detail=f"Submitted by {_name(plan.author)}.",
        url=reverse("task-detail", kwargs={"task_id": task.pk}),
    )


def plan_decided_notify(*, decision_id: int, status: str) -> list[int]:
    """Tell the author what became of the plan, with the decider's comment."""
    decision = Decision.objects.select_related("plan__author", "actor").get(pk=decision_id)
    plan = decision.plan
    detail = f"{_name(decision.actor)}: {decision.comment}" if decision.comment else ""
    return notifications_create(
        key=f"decided:{decision.pk}",
        users=[plan.author],
        kind=PLAN_DECIDED,
        message=f"Your plan “{plan.title}” {DECIDED_WORDS[status]}.",
        detail=detail,
        url=reverse("plan-detail", kwargs={"plan_id": plan.pk}),
    )


# Shared with the deadline services.


def candidates(task: Any) -> QuerySet:
    """Who may act on the task now: its owner, or everyone who may claim it.

    A claim whose holder may no longer act (left, or lost the role) can be taken
    over, so then the people who may take it over are the ones to hear.
    """
    users = get_user_model().objects.filter(is_active=True)
    plan = task.process.planprocess.plan
    if task.owner_id is not None and task_may_act(task.owner, task):
        return users.filter(pk=task.owner_id)
    step = task.flow_task.step
    if step == Step.REVIEW:
        department = Department.objects.filter(pk=task.data.get("department_id")).first()
        if department is None:
            return users.none()
        return reviewers_of(department).exclude(pk=plan.author_id)
    if step == Step.SIGN_OFF:
        return signers_of(Company.objects.get(pk=plan.company_id)).exclude(pk=plan.author_id)
    return users.filter(pk=plan.author_id)


def heads(task: Any) -> QuerySet:
    """The heads who sign off in the plan's company: escalations go to them."""
    plan = task.process.planprocess.plan
    return signers_of(Company.objects.get(pk=plan.company_id)).exclude(pk=plan.author_id)


def describe(task: Any) -> str:
    """“Sales review of “Spring promo” (Eastern Sales)”."""
    plan = task.process.planprocess.plan
    step = Step.LABELS.get(task.flow_task.step, task.flow_task.step)
    department = task.data.get("department_name")
    return f"{step} of “{plan.title}”" + (f" ({department})" if department else "")


def when(moment: Any) -> str:
    return timezone.localtime(moment).strftime("%a %d %b %Y, %H:%M %Z")


def _task(task_id: int) -> ApprovalTask | None:
    return (
        ApprovalTask.objects.select_related("process__planprocess__plan__author", "owner")
        .filter(pk=task_id)
        .first()
    )


def _name(user: Any) -> str:
    return (user.get_full_name() or user.username) if user else "someone"
