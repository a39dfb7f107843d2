"""Every action on an approval: submit, claim, release, decide, cancel.

Web views, the API and background tasks all come through here. Each service
checks the actor's right to act itself (viewflow's transitions do not), takes
the process lock, saves what it changed, and writes exactly one history event
for the action in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import PROCESS, STATUS

from apps.audit.models import Action
from apps.audit.services import event_record
from apps.core.errors import Busy, Conflict, Forbidden, ValidationError
from apps.core.timeutils import now
from apps.org.models import Department
from apps.org.policy import Outcome, Route, Step, is_head, outcomes_for, route_for
from apps.plans import services as plan_services
from apps.plans.models import Plan, Status
from apps.plans.selectors import plan_access, revision_diff

from . import notifications
from .flows import PlanApprovalFlow
from .models import OPEN_STATUSES, ApprovalTask, PlanProcess
from .policy import task_may_act
from .selectors import task_access

DECISION_ACTIONS = {
    (Step.REVIEW, Outcome.APPROVE): Action.APPROVE,
    (Step.REVIEW, Outcome.RAISE_CONCERNS): Action.RAISE_CONCERNS,
    (Step.SIGN_OFF, Outcome.APPROVE): Action.SIGN_OFF,
}


class _locked:
    """The flow's process lock, with a lost lock reported as a conflict."""

    def __init__(self, process_pk: int) -> None:
        self.scope = PlanApprovalFlow.lock(process_pk)

    def __enter__(self):
        try:
            return self.scope.__enter__()
        except FlowLockFailed:
            raise Busy("Someone else is acting on this plan right now; try again.") from None

    def __exit__(self, *exc):
        return self.scope.__exit__(*exc)


def _lock_plan(plan_id: int) -> Plan:
    return Plan.objects.select_for_update().get(pk=plan_id)


def derived_status(process: PlanProcess) -> str:
    """The plan status that the process's state implies."""
    if process.status == PROCESS.CANCELED:
        return Status.CANCELLED
    tasks = ApprovalTask.objects.filter(process=process)
    if process.status == PROCESS.DONE:
        approved = tasks.filter(flow_task=PlanApprovalFlow.approved, status=STATUS.DONE).exists()
        return Status.APPROVED if approved else Status.REJECTED
    open_tasks = tasks.filter(status__in=OPEN_STATUSES)
    if open_tasks.filter(flow_task=PlanApprovalFlow.revise).exists():
        return Status.CHANGES_REQUESTED
    if open_tasks.filter(flow_task=PlanApprovalFlow.sign_off).exists():
        return Status.AWAITING_SIGNOFF
    return Status.IN_REVIEW


def _sync_status(plan: Plan, process: PlanProcess) -> tuple[str, str]:
    process.refresh_from_db()
    before = plan.status
    after = derived_status(process)
    if after != before:
        plan_services.plan_set_status(plan=plan, status=after)
    return before, after


@transaction.atomic
def plan_submit(*, actor: Any, plan_id: int) -> Plan:
    """Submit a draft (starts the approval) or resubmit after a request for changes."""
    plan = plan_access(user=actor, plan_id=plan_id)
    if plan.author_id != actor.pk:
        raise Forbidden("Only the author submits a plan.")
    process = PlanProcess.objects.filter(plan=plan).first()
    if process is None:
        plan = _lock_plan(plan.pk)
        if plan.status == Status.DRAFT:
            return _first_submit(actor, plan)
    else:
        # the process lock first, then the plan row: the order every service takes them in
        with _locked(process.pk):
            plan = _lock_plan(plan.pk)
            if plan.status == Status.CHANGES_REQUESTED:
                return _resubmit(actor, plan, process)
    raise Conflict(f"The plan is {plan.get_status_display().lower()}; it cannot be submitted.")


def _first_submit(actor: Any, plan: Plan) -> Plan:
    region_ids = list(plan.regions.values_list("pk", flat=True))
    route = route_for(
        company=plan.company,
        core_task=plan.core_task,
        focus=plan.focus,
        author_id=plan.author_id,
        sales_department_ids=region_ids or None,
    )
    revision = plan_services.plan_freeze_revision(plan=plan, actor=actor)
    plan.route = route.as_dict()
    plan.submitted_at = now()
    plan_services.plan_set_status(plan=plan, status=Status.IN_REVIEW)
    process = PlanApprovalFlow.start.run(plan=plan)
    _sync_status(plan, process)
    event_record(
        company_id=plan.company_id,
        plan_id=plan.pk,
        action=Action.SUBMIT,
        actor=actor,
        step="submit",
        from_status=Status.DRAFT,
        to_status=plan.status,
        revision=revision.number,
        data={
            "content_sha256": revision.content_sha256,
            "route": route.as_dict(),
        },
    )
    return plan


def _resubmit(actor: Any, plan: Plan, process: PlanProcess) -> Plan:
    task = (
        ApprovalTask.objects.filter(
            process=process, flow_task=PlanApprovalFlow.revise, status__in=OPEN_STATUSES
        )
        .order_by("-id")
        .first()
    )
    if task is None:
        raise Conflict("There is no open request for changes on this plan.")
    previous = plan.revisions.get(number=plan.revision_count)
    revision = plan_services.plan_freeze_revision(plan=plan, actor=actor)
    plan.save()
    changes = revision_diff(previous, revision)
    task.data["revision"] = revision.number
    task.save()
    activation = task.flow_task.activation_class(task)
    if task.status == STATUS.NEW:
        activation.assign(actor)
    activation.start(None)
    activation.execute()
    before, after = _sync_status(plan, process)
    event_record(
        company_id=plan.company_id,
        plan_id=plan.pk,
        task_id=task.pk,
        action=Action.RESUBMIT,
        actor=actor,
        step=Step.REVISE,
        from_status=before,
        to_status=after,
        revision=revision.number,
        data={
            "content_sha256": revision.content_sha256,
            "changed": [change.field for change in changes],
        },
    )
    return plan


def _open_task(actor: Any, task_id: Any) -> tuple[ApprovalTask, Plan]:
    task = task_access(user=actor, task_id=task_id)
    return task, task.process.planprocess.plan


def _refetch(task_id: int) -> ApprovalTask:
    return ApprovalTask.objects.select_related("process").get(pk=task_id)


def _check_open(task: ApprovalTask) -> None:
    if task.status not in OPEN_STATUSES:
        raise Conflict("This task is already finished.")


@transaction.atomic
def task_claim(*, actor: Any, task_id: Any) -> ApprovalTask:
    task, plan = _open_task(actor, task_id)
    with _locked(task.process_id):
        task = _refetch(task.pk)
        _check_open(task)
        if not task_may_act(actor, task):
            raise Forbidden("You may not act on this task.")
        if task.owner_id == actor.pk:
            raise Conflict("You have already claimed this task.")
        if task.owner_id is not None and not _claim_is_stale(task):
            raise Conflict(f"{task.owner.username} has already claimed this task.")
        extra = _take(task, actor)
        _step_event(actor, plan, task, Action.CLAIM, **extra)
    return task


def _claim_is_stale(task: ApprovalTask) -> bool:
    """A claim whose holder may no longer act (removed, or lost the role) blocks nobody."""
    return task.owner_id is not None and not task_may_act(task.owner, task)


def _take(task: ApprovalTask, actor: Any) -> dict[str, str]:
    """Assign the task to ``actor``; say whose stale claim it replaced, if any."""
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
    with _locked(task.process_id):
        task = _refetch(task.pk)
        _check_open(task)
        if task.owner_id != actor.pk:
            raise Conflict("Only the person who claimed a task releases it.")
        if task.flow_task.step == Step.REVISE:
            raise Conflict("A revision stays with the plan's author.")
        task.flow_task.activation_class(task).unassign()
        _step_event(actor, plan, task, Action.RELEASE)
        notifications.task_released(task)
    return task


def _step_event(actor: Any, plan: Plan, task: ApprovalTask, action: str, **extra: Any) -> None:
    event_record(
        company_id=plan.company_id,
        plan_id=plan.pk,
        task_id=task.pk,
        action=action,
        actor=actor,
        step=task.flow_task.step,
        from_status=plan.status,
        to_status=plan.status,
        revision=plan.revision_count,
        data={"department": task.data.get("department_name", ""), **extra},
    )


def _validate_decision(task: ApprovalTask, plan: Plan, outcome: str, comment: str) -> str:
    route = Route.from_dict(plan.route)
    allowed = outcomes_for(step=task.flow_task.step, sales_review=route.sales_review)
    if outcome not in allowed:
        if task.flow_task.step == Step.REVIEW and not route.is_binding:
            message = (
                "Marketing leads this plan, so the sales review is consultative: approve it, "
                "or approve it with concerns; only the signing director may reject."
            )
        else:
            message = f"Choose one of: {', '.join(allowed)}."
        raise ValidationError(message, fields={"outcome": [message]})
    comment = (comment or "").strip()
    if outcome in Outcome.NEEDS_COMMENT and not comment:
        label = Outcome.LABELS[outcome].lower()
        raise ValidationError(
            f"A comment is required to {label}.",
            fields={"comment": ["Say why: the author and the auditors will read it."]},
        )
    return _clean_comment(comment)


def _clean_comment(comment: str) -> str:
    """A comment of a decision or a cancellation: refused, never cut, when it is too long."""
    comment = (comment or "").strip()
    if "\x00" in comment:
        raise ValidationError("Remove the NUL character.", fields={"comment": ["NUL."]})
    if len(comment) > 5000:
        raise ValidationError("The comment is too long.", fields={"comment": ["At most 5000."]})
    return comment


@transaction.atomic
def task_decide(*, actor: Any, task_id: Any, outcome: str, comment: str = "") -> ApprovalTask:
    """Approve, raise concerns, request changes or reject on a review or sign-off task."""
    task, plan = _open_task(actor, task_id)
    with _locked(task.process_id):
        task = _refetch(task.pk)
        plan = _lock_plan(plan.pk)
        _check_open(task)
        step = task.flow_task.step
        if step == Step.REVISE:
            raise Conflict("A request for changes is answered by resubmitting the plan.")
        if plan.author_id == actor.pk:
            raise Forbidden("Nobody reviews or signs off a plan they wrote.")
        if not task_may_act(actor, task):
            raise Forbidden("You may not decide on this task.")
        if task.owner_id not in (None, actor.pk) and not _claim_is_stale(task):
            raise Conflict(f"{task.owner.username} has claimed this task.")
        comment = _validate_decision(task, plan, outcome, comment)

        claimed_now = task.owner_id != actor.pk
        took_over = _take(task, actor) if claimed_now else {}
        activation = task.flow_task.activation_class(task)
        department = Department.objects.filter(pk=task.data.get("department_id")).first()
        decision = plan_services.decision_record(
            plan=plan,
            task_id=task.pk,
            step=step,
            actor=actor,
            outcome=outcome,
            comment=comment,
            department=department,
        )
        task.data["outcome"] = outcome
        task.save()
        siblings = list(
            ApprovalTask.objects.filter(
                process=task.process, flow_task=task.flow_task, status__in=OPEN_STATUSES
            ).exclude(pk=task.pk)
        )
        activation.start(None)
        activation.execute()
        before, after = _sync_status(plan, task.process)
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
                **took_over,
            },
        )
        _record_closed(plan, siblings, decision)
        notifications.plan_decided(decision=decision, status=after)
    return _refetch(task.pk)


def _record_closed(plan: Plan, siblings: list[ApprovalTask], decision: Any) -> None:
    """A request for changes or a rejection closes the other regions' reviews: say so."""
    for sibling in ApprovalTask.objects.filter(
        pk__in=[s.pk for s in siblings], status=STATUS.CANCELED
    ):
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


@transaction.atomic
def plan_cancel(*, actor: Any, plan_id: Any, comment: str = "") -> Plan:
    """Withdraw a plan: its author, or a head of its company, at any unfinished stage."""
    plan = plan_access(user=actor, plan_id=plan_id)
    if plan.author_id != actor.pk and not is_head(actor, plan.company):
        raise Forbidden("Only the author or a head of the company cancels a plan.")
    comment = _clean_comment(comment)
    process = PlanProcess.objects.filter(plan=plan).first()
    if process is None:
        return _cancel(actor, _lock_plan(plan.pk), comment)
    with _locked(process.pk):
        plan = _lock_plan(plan.pk)
        if plan.is_final:
            raise Conflict(f"The plan is already {plan.get_status_display().lower()}.")
        PlanApprovalFlow.instance.cancel(process)
        return _cancel(actor, plan, comment)


def _cancel(actor: Any, plan: Plan, comment: str) -> Plan:
    if plan.is_final:
        raise Conflict(f"The plan is already {plan.get_status_display().lower()}.")
    before = plan_services.plan_set_status(plan=plan, status=Status.CANCELLED)
    event_record(
        company_id=plan.company_id,
        plan_id=plan.pk,
        action=Action.CANCEL,
        actor=actor,
        from_status=before,
        to_status=Status.CANCELLED,
        comment=comment,
        revision=plan.revision_count or None,
    )
    return plan


__all__ = [
    "plan_cancel",
    "plan_submit",
    "task_claim",
    "task_decide",
    "task_release",
]
