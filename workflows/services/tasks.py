"""Actions on one approval task: claim, release, decide."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import IntegerField, OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from viewflow.workflow.status import STATUS

from apps.audit.models import Action
from apps.audit.services import event_record
from apps.core import compiled
from apps.core.errors import Conflict, Forbidden, ValidationError
from apps.org.models import Department
from apps.org.policy import Outcome, Route, Step
from apps.plans.models import Decision, Plan, Status

from .. import conditions, hooks, rules
from ..events import step_event
from ..flows import PlanApprovalFlow
from ..models import ApprovalTask
from ..moves import Moves, noting
from ..selectors import task_access
from ._common import (
    check_open,
    clean_comment,
    lock_plan,
    locked,
    record_decision,
    sync_status,
)
from .execution import close_superseded, executors_open, take_up_record
from .strategy import check_decision, check_may_decide, forecast_record

DECISION_ACTIONS = {
    (Step.FORECAST, Outcome.FORECAST): Action.FORECAST,
    (Step.REVIEW, Outcome.APPROVE): Action.APPROVE,
    (Step.REVIEW, Outcome.RAISE_CONCERNS): Action.RAISE_CONCERNS,
    (Step.SIGN_OFF, Outcome.APPROVE): Action.SIGN_OFF,
    (Step.TAKE_UP, Outcome.ACKNOWLEDGE): Action.ACKNOWLEDGE,
    (Step.TAKE_UP, Outcome.ADOPT): Action.ADOPT,
    (Step.TAKE_UP, Outcome.ADAPT): Action.ADAPT,
    (Step.TAKE_UP, Outcome.DECLINE): Action.DECLINE,
}


def _open_task(actor: Any, task_id: Any) -> tuple[ApprovalTask, Plan]:
    task = task_access(user=actor, task_id=task_id)
    return task, task.process.planprocess.plan


def _refetch(task_id: int) -> ApprovalTask:
    return ApprovalTask.objects.select_related("process").get(pk=task_id)


def _task_with_process(task_id: int) -> Any:
    # a department's task names its department in its data: its current name comes along
    department = Department.objects.filter(
        pk=Cast(KeyTextTransform("department_id", OuterRef("data")), IntegerField())
    )
    return (
        ApprovalTask.objects.select_related("process__planprocess")
        .annotate(_department_name=Subquery(department.values("name")[:1]))
        .filter(pk=task_id)[:1]
    )


def _lock_task(task_id: int, plan_id: int) -> tuple[ApprovalTask, Plan]:
    """Under the process lock: the task as it is now and its plan locked, tied together.

    The activations of the action read the plan through the task's process
    (``rules.plan_of``); they find this one, locked and current, instead of loading it.
    """
    task = compiled.objects("lock_task", _task_with_process, task_id)[0]
    plan = lock_plan(plan_id, with_revision=True)
    task.process.planprocess.plan = plan
    return task, plan


@transaction.atomic
def task_claim(*, actor: Any, task_id: Any) -> ApprovalTask:
    task, plan = _open_task(actor, task_id)
    with locked(task.process_id):
        task = _refetch(task.pk)
        check_open(task)
        if not rules.may_act(actor, task):
            raise Forbidden("You may not act on this task.")
        if task.owner_id == actor.pk:
            raise Conflict("You have already claimed this task.")
        if task.owner_id is not None and not rules.claim_is_stale(task):
            raise Conflict(f"{task.owner.username} has already claimed this task.")
        extra = _take(task, actor)
        step_event(actor, plan, task, Action.CLAIM, **extra)
    return task


def _take(task: ApprovalTask, actor: Any, *, saved_later: bool = False) -> dict[str, str]:
    """Assign the task to ``actor``; say whose stale claim it replaced, if any.

    ``saved_later``: the caller completes the task in the same transaction, and the
    completion's save writes the owner with the rest; viewflow's ``assign`` would
    save the row once more only to have it saved again (what it does to the task,
    owner and status, is done here without that save).
    """
    if task.owner_id is None and saved_later:
        task.owner = actor
        task.status = STATUS.ASSIGNED
        return {}
    activation = task.flow_task.activation_class(task)
    if task.owner_id is None:
        activation.assign(actor)
        return {}
    previous = task.owner.username
    activation.reassign(actor)
    return {"took_over_from": previous}


@transaction.atomic
def task_release(*, actor: Any, task_id: Any) -> ApprovalTask:
    task, plan = _open_task(actor, task_id)
    with locked(task.process_id):
        task = _refetch(task.pk)
        check_open(task)
        if task.owner_id != actor.pk:
            raise Conflict("Only the person who claimed a task releases it.")
        if task.flow_task.step == Step.REVISE:
            raise Conflict("A revision stays with the plan's author.")
        task.flow_task.activation_class(task).unassign()
        step_event(actor, plan, task, Action.RELEASE)
        hooks.task_released(task)
    return task


def _validate_decision(task: ApprovalTask, plan: Plan, outcome: str, comment: str) -> str:
    allowed = rules.task_outcomes(task)
    if outcome not in allowed:
        route = Route.from_dict(plan.route)
        if task.flow_task.step == Step.REVIEW and not route.is_binding:
            message = (
                "Marketing leads this plan, so the sales review is consultative: approve it, "
                "or approve it with concerns; only the signing director may reject."
            )
        elif task.flow_task.step == Step.TAKE_UP and allowed == [Outcome.ACKNOWLEDGE]:
            message = "The plan is mandatory: sales carries it out and acknowledges it."
        else:
            message = f"Choose one of: {', '.join(allowed)}."
        raise ValidationError(message, fields={"outcome": [message]})
    comment = clean_comment(comment)
    if outcome in Outcome.NEEDS_COMMENT and not comment:
        label = Outcome.LABELS[outcome].lower()
        hint = (
            "Say what sales will do differently."
            if outcome == Outcome.ADAPT
            else "Say why: the author and the auditors will read it."
        )
        raise ValidationError(f"A comment is required to {label}.", fields={"comment": [hint]})
    return comment


@transaction.atomic
def task_decide(
    *,
    actor: Any,
    task_id: Any,
    outcome: str,
    comment: str = "",
    amount: Any = None,
    reclassify: bool = False,
) -> ApprovalTask:
    """Decide a review or sign-off task, give a sales target's forecast (``amount``), or take
    a signed-off plan up for a sales department. ``reclassify`` (with a request for changes)
    reopens the plan's focus and core task for its resubmission."""
    task, plan = _open_task(actor, task_id)
    # the notifications it owes go into the outbox together, at the end
    with locked(task.process_id), hooks.owing():
        task, plan = _lock_task(task.pk, plan.pk)
        check_open(task)
        step = task.flow_task.step
        if step == Step.REVISE:
            raise Conflict("A request for changes is answered by resubmitting the plan.")
        if plan.author_id == actor.pk:
            raise Forbidden("Nobody reviews or signs off a plan they wrote.")
        check_may_decide(actor, task, step)
        if task.owner_id not in (None, actor.pk) and not rules.claim_is_stale(task):
            raise Conflict(f"{task.owner.username} has claimed this task.")
        comment = _validate_decision(task, plan, outcome, comment)
        amount = check_decision(plan, step, outcome, comment, amount, reclassify)

        claimed_now = task.owner_id != actor.pk
        took_over = _take(task, actor, saved_later=True) if claimed_now else {}
        activation = task.flow_task.activation_class(task)
        decision = record_decision(plan, task, actor, outcome, comment, reclassify=reclassify)
        if amount is not None:
            forecast_record(plan, task, decision, amount)
        task.data["outcome"] = outcome  # saved with the task when the activation completes it
        with noting() as moved:
            activation.start(None)
            with conditions.deciding(decision):
                activation.execute()
        before, after = sync_status(plan, task.process, moves=moved)
        event_record(
            company_id=plan.company_id,
            plan_id=plan.pk,
            task_id=task.pk,
            action=DECISION_ACTIONS.get((step, outcome), outcome),
            actor=actor,
            step=step,
            from_status=before,
            to_status=after,
            comment=comment,
            revision=decision.revision.number,
            data={
                "outcome": outcome,
                "department": decision.department_name,
                "content_sha256": decision.revision.content_sha256,
                "claimed_with_decision": claimed_now,
                **({"amount": str(amount)} if amount is not None else {}),
                **({"reclassify": True} if reclassify else {}),
                **took_over,
            },
        )
        # a request for changes or a rejection closes the other regions' reviews
        _record_closed(plan, moved.cancelled(task.flow_task), decision)
        _after_decision(actor, plan, step, decision, after, moved)
        hooks.plan_decided(decision=decision, status=after)
    return task  # as the activation left it: done, with its outcome


def _after_decision(
    actor: Any, plan: Plan, step: str, decision: Decision, status: str, moved: Moves
) -> None:
    """Signed off: sales must take the plan up, and a plan it follows up is superseded."""
    if step == Step.SIGN_OFF and status == Status.APPROVED:
        executors_open(plan, moved.opened(PlanApprovalFlow.take_up))
        if plan.follows_id:
            close_superseded(actor=actor, followed_id=plan.follows_id, follow_up=plan)
    elif step == Step.TAKE_UP:
        take_up_record(plan, decision, status)


def _record_closed(plan: Plan, closed: list[ApprovalTask], decision: Decision) -> None:
    """Say so of each review the decision closed."""
    for sibling in closed:
        event_record(
            company_id=plan.company_id,
            plan_id=plan.pk,
            task_id=sibling.pk,
            action=Action.CLOSE,
            actor=None,
            step=Step.REVIEW,
            from_status=plan.status,
            to_status=plan.status,
            revision=decision.revision.number,
            comment=(
                f"Closed without a decision: {decision.department_name or 'a reviewer'} "
                f"chose to {Outcome.LABELS[decision.outcome].lower()}."
            ),
            data={"department": sibling.data.get("department_name", "")},
        )
        hooks.review_closed(sibling, decision)
