"""Actions after sign-off: take-up records, market feedback, replies, and the close.

The take-up itself is a decision on a ``take_up`` task (``task_decide``); the
helpers here keep the plan's executing departments in step with it. Feedback,
replies and the close are services of their own: each checks the actor's right,
takes the process lock before the plan row, and writes one history event.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from apps.audit.models import Action
from apps.audit.services import event_record
from apps.core import timeutils
from apps.core.errors import Conflict, Forbidden, ValidationError
from apps.core.timeutils import add_working_days
from apps.org.policy import Outcome, has_company_perm, is_head
from apps.plans.models import (
    Decision,
    ExecutingDepartment,
    Feedback,
    FeedbackKind,
    FeedbackReply,
    Plan,
    Status,
)
from apps.plans.selectors import feedback_access, plan_access

from .. import hooks, rules
from ..flows import PlanApprovalFlow
from ..models import ApprovalTask, PlanProcess
from ._common import lock_plan, locked, sync_status

MAX_TEXT = 5000
SALES_KINDS = ("sales_target", "promotional")  # the kinds whose close reports actual sales


def _clean_text(value: Any, field: str, *, required: bool = True) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError(f"The {field} is required.", fields={field: ["This is required."]})
    if "\x00" in text:
        raise ValidationError("Remove the NUL character.", fields={field: ["NUL."]})
    if len(text) > MAX_TEXT:
        raise ValidationError(f"The {field} is too long.", fields={field: [f"At most {MAX_TEXT}."]})
    return text


def _clean_amount(value: Any, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount >= Decimal("1e12"):
        raise ValidationError("Enter an amount.", fields={field: ["Enter a positive number."]})
    return amount.quantize(Decimal("0.01"))


def _process(plan: Plan) -> PlanProcess:
    process = PlanProcess.objects.filter(plan=plan).first()
    if process is None:
        raise Conflict(f"The plan is {plan.get_status_display().lower()}; it is not in execution.")
    return process


def _require_execution(plan: Plan) -> None:
    if plan.status != Status.IN_EXECUTION:
        raise Conflict(f"The plan is {plan.get_status_display().lower()}; it is not in execution.")


def next_due(moment: Any, plan: Plan) -> date:
    """The day by which a department owes its next feedback."""
    return add_working_days(moment, plan.company.feedback_days).date()


# Take-up: called by task_decide inside its transaction and lock.


def executors_open(plan: Plan, take_ups: list[ApprovalTask]) -> None:
    """The plan was signed off: one row per department that must take it up.

    ``take_ups``: the take-up tasks the sign-off opened, one per executing department.
    """
    # one INSERT; a department that already has its row (``executing_once``) keeps it
    ExecutingDepartment.objects.bulk_create(
        [
            ExecutingDepartment(
                plan=plan,
                department_id=task.data["department_id"],
                department_name=task.data.get("department_name", ""),
            )
            for task in take_ups
        ],
        ignore_conflicts=True,
    )


def take_up_record(plan: Plan, decision: Decision, status: str) -> None:
    """Write the department's take-up; once every department has, the feedback clock starts."""
    ExecutingDepartment.objects.filter(plan=plan, department_id=decision.department_id).update(
        take_up=decision.outcome,
        taken_up_by=decision.actor,
        taken_up_at=decision.created_at,
        comment=decision.comment,
    )
    if status == Status.IN_EXECUTION:
        # a department that declined a guiding plan does not carry it out: it owes no rhythm
        ExecutingDepartment.objects.filter(plan=plan).exclude(take_up=Outcome.DECLINE).update(
            feedback_due=next_due(decision.created_at, plan)
        )


# Feedback and replies.


@transaction.atomic
def feedback_file(
    *, actor: Any, plan_id: Any, kind: str, text: str, sales_to_date: Any = None
) -> Feedback:
    """A reviewer of an executing department reports what the market does."""
    plan = plan_access(user=actor, plan_id=plan_id)
    with locked(_process(plan).pk):
        plan = lock_plan(plan.pk)
        _require_execution(plan)
        executor = rules.executing_department_of(actor, plan)
        if executor is None:
            raise Forbidden(
                "Only reviewers of the departments that carry the plan out file feedback."
            )
        if kind not in FeedbackKind.values:
            raise ValidationError(
                "Choose a kind of market information.",
                fields={"kind": [f"Choose one of: {', '.join(FeedbackKind.values)}."]},
            )
        text = _clean_text(text, "text")
        amount = _clean_amount(sales_to_date, "sales_to_date")
        moment = timeutils.now()
        feedback = Feedback.objects.create(
            plan=plan,
            company_id=plan.company_id,
            department_id=executor.department_id,
            author=actor,
            kind=kind,
            text=text,
            sales_to_date=amount,
            created_at=moment,
        )
        executor.last_feedback_at = moment
        if executor.take_up != Outcome.DECLINE:
            executor.feedback_due = next_due(moment, plan)
        executor.save(update_fields=["last_feedback_at", "feedback_due"])
        _feedback_event(
            plan,
            actor,
            Action.FEEDBACK,
            text,
            feedback_id=feedback.pk,
            kind=kind,
            department=executor.department_name,
            sales_to_date=str(amount) if amount is not None else None,
        )
        hooks.feedback_filed(feedback)
    return feedback


def _feedback_event(plan: Plan, actor: Any, action: str, text: str, **data: Any) -> None:
    """The history event of a feedback or a reply: the plan's status stays as it was."""
    event_record(
        company_id=plan.company_id,
        plan_id=plan.pk,
        action=action,
        actor=actor,
        step="feedback",
        from_status=plan.status,
        to_status=plan.status,
        comment=text,
        revision=plan.revision_count or None,
        data=data,
    )


def may_reply(user: Any, plan: Plan) -> bool:
    """The plan's author and the company's planners answer the market."""
    return user.pk == plan.author_id or has_company_perm(user, plan.company, "draft_plans")


@transaction.atomic
def feedback_reply(*, actor: Any, feedback_id: Any, text: str) -> FeedbackReply:
    feedback = feedback_access(user=actor, feedback_id=feedback_id)
    plan = feedback.plan
    if not may_reply(actor, plan):
        raise Forbidden("The plan's author and the company's planners reply to feedback.")
    with locked(_process(plan).pk):
        plan = lock_plan(plan.pk)
        text = _clean_text(text, "text")
        reply = FeedbackReply.objects.create(
            feedback=feedback, author=actor, text=text, created_at=timeutils.now()
        )
        _feedback_event(plan, actor, Action.REPLY, text, feedback_id=feedback.pk, reply_id=reply.pk)
        hooks.feedback_replied(reply)
    return reply


# The close.


@transaction.atomic
def plan_close(*, actor: Any, plan_id: Any, summary: str, actual_sales: Any = None) -> Plan:
    """The author or a head closes a plan in execution with a summary (and actual sales)."""
    plan = plan_access(user=actor, plan_id=plan_id)
    if plan.author_id != actor.pk and not is_head(actor, plan.company):
        raise Forbidden("Only the author or a head of the company closes a plan.")
    with locked(_process(plan).pk):
        plan = lock_plan(plan.pk)
        _require_execution(plan)
        summary = _clean_text(summary, "summary")
        amount = _clean_amount(actual_sales, "actual_sales")
        if plan.kind == "sales_target" and amount is None:
            raise ValidationError(
                "A sales target is closed with the actual sales.",
                fields={"actual_sales": ["Required for a sales target."]},
            )
        if amount is not None and plan.kind not in SALES_KINDS:
            raise ValidationError(
                "Only sales targets and promotions report actual sales.",
                fields={"actual_sales": ["Not for this kind of plan."]},
            )
        return _close(actor, plan, summary=summary, actual_sales=amount)


def close_superseded(*, actor: Any, followed_id: int, follow_up: Plan) -> None:
    """A follow-up was signed off: the plan it follows is closed as superseded, if in execution.

    Runs inside the sign-off's transaction, after the follow-up's own lock.
    """
    process = PlanProcess.objects.filter(plan_id=followed_id).first()
    if process is None:
        return
    with locked(process.pk):
        plan = lock_plan(followed_id)
        if plan.status != Status.IN_EXECUTION:
            return
        summary = f"Superseded by the follow-up plan “{follow_up.title}” (#{follow_up.pk})."
        _close(actor, plan, summary=summary, actual_sales=None, superseded_by=follow_up.pk)


def _close(
    actor: Any,
    plan: Plan,
    *,
    summary: str,
    actual_sales: Decimal | None,
    superseded_by: int | None = None,
) -> Plan:
    task = ApprovalTask.objects.filter(
        rules.open_q(), process__planprocess__plan=plan, flow_task=PlanApprovalFlow.execution
    ).first()
    if task is None:
        raise Conflict("The plan is not in execution.")
    PlanApprovalFlow.execution.run(task)
    plan.summary = summary
    plan.actual_sales = actual_sales
    plan.closed_at = timeutils.now()
    plan.save()
    before, _after = sync_status(plan, task.process, ended=True)
    event_record(
        company_id=plan.company_id,
        plan_id=plan.pk,
        task_id=task.pk,
        action=Action.CONCLUDE,
        actor=actor,
        step="close",
        from_status=before,
        to_status=Status.CLOSED,
        comment=summary,
        revision=plan.revision_count or None,
        data={
            "actual_sales": str(actual_sales) if actual_sales is not None else None,
            "superseded_by": superseded_by,
        },
    )
    return plan
