"""Reads of approval tasks and processes, scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from apps.core.errors import NotFound
from apps.core.ids import object_id
from apps.core.timeutils import now
from apps.org.policy import Step, membership_of
from apps.plans.models import ExecutingDepartment, Plan, Status
from apps.plans.selectors import plan_list_for

from . import rules
from .models import ApprovalTask, PlanProcess


def _tasks() -> QuerySet[ApprovalTask]:
    return ApprovalTask.objects.filter(flow_task_type="HUMAN").select_related(
        "owner", "deadline", "process__planprocess__plan__author"
    )


def task_access(*, user: Any, task_id: Any) -> ApprovalTask:
    """A human task of a plan the user may see; anything else is not found."""
    task_id = object_id(task_id)
    visible_plans = plan_list_for(user=user).values("pk")
    task = _tasks().filter(pk=task_id, process__planprocess__plan__in=visible_plans).first()
    if task is None:
        raise NotFound()
    return task


def process_access(*, user: Any, process_id: Any) -> PlanProcess:
    process_id = object_id(process_id)
    visible_plans = plan_list_for(user=user).values("pk")
    process = PlanProcess.objects.filter(pk=process_id, plan__in=visible_plans).first()
    if process is None:
        raise NotFound()
    return process


def _overdue_first(queryset: QuerySet[ApprovalTask], user: Any) -> QuerySet[ApprovalTask]:
    """Open tasks, overdue first and then by due date, walked from the deadlines.

    For open tasks "overdue first, then by due date" is the due date's own order (overdue
    means due before now), so the company's deadlines index (company_id, due_at, task)
    yields the rows in order and a page stops after its rows instead of sorting every
    match. Every human task gets its deadline in the transaction that opens it
    (``hooks.task_opened``) and the deadline carries the plan's company, so the filter
    below only restates the company scope for that index.
    """
    membership = membership_of(user)
    if membership is None:
        return queryset.none()
    return queryset.filter(deadline__company_id=membership.company_id).order_by(
        "deadline__due_at", "id"
    )


def task_inbox(*, user: Any) -> QuerySet[ApprovalTask]:
    """Open tasks assigned to the user that the user may still act on, overdue first."""
    return _overdue_first(
        ApprovalTask.objects.may_act(user)
        .filter(rules.open_q(), owner=user)
        .select_related("owner", "deadline", "process__planprocess__plan__author"),
        user,
    )


def task_queue(*, user: Any) -> QuerySet[ApprovalTask]:
    """Unclaimed tasks the user may claim, overdue first."""
    return _overdue_first(
        ApprovalTask.objects.user_queue(user)
        .filter(rules.open_q())
        .select_related("owner", "deadline", "process__planprocess__plan__author"),
        user,
    )


def task_done(*, user: Any) -> QuerySet[ApprovalTask]:
    return (
        _tasks()
        .for_company_of(user)
        .filter(owner=user, finished__isnull=False)
        .order_by("-finished", "-id")
    )


@dataclass(frozen=True)
class CurrentStep:
    task: ApprovalTask
    step: str
    title: str
    department: str
    assignee: Any
    candidates: str
    due_at: datetime | None
    overdue: bool


def current_steps(*, plan: Plan) -> list[CurrentStep]:
    """The plan's open human tasks: who may act next, and by when."""
    tasks = _tasks().filter(rules.open_q(), process__planprocess__plan=plan).order_by("id")
    moment = now()
    steps = []
    for task in tasks:
        step = task.flow_task.step
        department = task.data.get("department_name", "")
        if step in (Step.REVIEW, Step.TAKE_UP):
            candidates = f"reviewers of {department}"
        elif step == Step.SIGN_OFF:
            candidates = f"signers of {plan.company.name}"
        else:
            candidates = "the author"
        deadline = getattr(task, "deadline", None)
        due_at = deadline.due_at if deadline else None
        steps.append(
            CurrentStep(
                task=task,
                step=step,
                title=Step.LABELS.get(step, step),
                department=department,
                assignee=task.owner,
                candidates=candidates,
                due_at=due_at,
                overdue=rules.is_overdue(task, moment),
            )
        )
    return steps


def feedback_owed(*, user: Any) -> QuerySet[ExecutingDepartment]:
    """The executing departments through which the user reports on plans in execution,
    soonest due first: the feedback they owe."""
    membership = membership_of(user)
    if membership is None:
        return ExecutingDepartment.objects.none()
    return (
        ExecutingDepartment.objects.filter(
            plan__company_id=membership.company_id, plan__status=Status.IN_EXECUTION
        )
        .filter(rules.executing_q(user.pk))
        .select_related("plan")
        .order_by("feedback_due", "id")
    )
