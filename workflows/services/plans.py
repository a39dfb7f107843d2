"""Actions on a whole plan: submit (the first time, or after a request for changes) and cancel."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from viewflow.workflow.status import STATUS

from apps.audit.models import Action
from apps.audit.services import event_record
from apps.core.errors import Conflict, Forbidden
from apps.core.timeutils import now
from apps.org.models import Size
from apps.org.policy import Step, is_head, route_for
from apps.plans.models import Plan, Status
from apps.plans.selectors import plan_access, revision_diff

from .. import hooks, rules
from ..flows import PlanApprovalFlow
from ..lock import in_service
from ..models import ApprovalTask, PlanProcess
from ..moves import noting
from ._common import clean_comment, freeze_revision, lock_plan, locked, set_status, sync_status
from .strategy import relead


@transaction.atomic
def plan_submit(*, actor: Any, plan_id: Any) -> Plan:
    """Submit a draft (starts the approval) or resubmit after a request for changes."""
    plan = plan_access(user=actor, plan_id=plan_id, related=("process",))
    if plan.author_id != actor.pk:
        raise Forbidden("Only the author submits a plan.")
    process = getattr(plan, "process", None)  # read with the plan: None before the first submit
    if process is None:
        plan = lock_plan(plan.pk)
        if plan.status == Status.DRAFT:
            with hooks.owing():  # one INSERT for the queues of every reviewing department
                return _first_submit(actor, plan)
    else:
        # the process lock first, then the plan row: the order every service takes them in
        with locked(process.pk), hooks.owing():
            plan = lock_plan(plan.pk)
            if plan.status == Status.CHANGES_REQUESTED:
                return _resubmit(actor, plan, process)
    raise Conflict(f"The plan is {plan.get_status_display().lower()}; it cannot be submitted.")


def _first_submit(actor: Any, plan: Plan) -> Plan:
    # regions choose the reviewing departments of a large company only (only it has any)
    region_ids = (
        list(plan.regions.values_list("pk", flat=True)) if plan.company.size == Size.LARGE else []
    )
    route = route_for(
        company=plan.company,
        core_task=plan.core_task,
        focus=plan.focus,
        author_id=plan.author_id,
        sales_department_ids=region_ids or None,
        core_task_reason=plan.core_task_reason,
        kind=plan.kind,
    )
    revision = freeze_revision(plan, actor)
    plan.route = route.as_dict()
    plan.submitted_at = now()
    set_status(plan, Status.IN_REVIEW)
    # the process is new: no savepoints, no lock (nobody else sees it before the commit)
    with in_service(), noting() as moved:
        process = PlanApprovalFlow.start.run(plan=plan)
    sync_status(plan, process, settle=False, moves=moved)  # a draft had no task or decision
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
            rules.open_q(), process=process, flow_task=PlanApprovalFlow.revise
        )
        .order_by("-id")
        .first()
    )
    if task is None:
        raise Conflict("There is no open request for changes on this plan.")
    previous = plan.revisions.get(number=plan.revision_count)
    releaded = relead(plan)
    revision = freeze_revision(plan, actor)
    plan.save()
    changes = revision_diff(previous, revision)
    task.data["revision"] = revision.number
    task.save()
    activation = task.flow_task.activation_class(task)
    with noting() as moved:
        if task.status == STATUS.NEW:
            activation.assign(actor)
        activation.start(None)
        activation.execute()
    before, after = sync_status(plan, process, moves=moved)
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
            **({"relead": releaded} if releaded else {}),
        },
    )
    return plan


@transaction.atomic
def plan_cancel(*, actor: Any, plan_id: Any, comment: str = "") -> Plan:
    """Withdraw a plan: its author, or a head of its company, at any unfinished stage."""
    plan = plan_access(user=actor, plan_id=plan_id)
    if plan.author_id != actor.pk and not is_head(actor, plan.company):
        raise Forbidden("Only the author or a head of the company cancels a plan.")
    comment = clean_comment(comment)
    process = PlanProcess.objects.filter(plan=plan).first()
    if process is None:
        return _cancel(actor, lock_plan(plan.pk), comment)
    with locked(process.pk):
        plan = lock_plan(plan.pk)
        if plan.is_final:
            raise Conflict(f"The plan is already {plan.get_status_display().lower()}.")
        PlanApprovalFlow.instance.cancel(process)
        return _cancel(actor, plan, comment, process)


def _cancel(actor: Any, plan: Plan, comment: str, process: PlanProcess | None = None) -> Plan:
    if plan.is_final:
        raise Conflict(f"The plan is already {plan.get_status_display().lower()}.")
    if process is None:  # a draft: no task ever asked anyone to act
        before = set_status(plan, Status.CANCELLED)
    else:
        # the cancelled process derives the status, and its closed tasks' notices settle
        before, _ = sync_status(plan, process, ended=True)
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
