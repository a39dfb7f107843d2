"""Who hears about an approval, and what they are told.

The Celery tasks call these services when they run, after the action committed
(``workflows.hooks`` queues them): they decide the recipients and the wording
then, and hand them to ``apps.notifications`` under an idempotency key, so a
redelivered task tells nobody twice.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet, Value
from django.urls import reverse
from django.utils import timezone

from apps.core import compiled
from apps.notifications.selectors import emails_pending
from apps.notifications.services import notifications_create, notifications_settle
from apps.org.models import Company
from apps.org.policy import Outcome, Step, planners_of, signers_of
from apps.plans.models import Decision, Feedback, FeedbackReply, Status

from . import rules
from .models import ApprovalTask

TASK_QUEUED = "task_queued"
REMINDER = "reminder"
ESCALATION = "escalation"
PLAN_DECIDED = "plan_decided"
REVIEW_CLOSED = "review_closed"

DECIDED_WORDS = {
    Status.APPROVED: "was approved",
    Status.REJECTED: "was rejected",
    Status.CHANGES_REQUESTED: "was sent back for changes",
    Status.IN_EXECUTION: "is in execution: every sales department took it up",
}


# Services: called by the Celery tasks.


def task_queued_notify(*, task_id: int, key: str) -> list[int]:
    """Tell the people who may act that the task waits in their queue; return unsent emails."""
    task = _task(task_id)
    if task is None or not rules.is_open(task) or task.owner_id is not None:
        return emails_pending(key=key)  # claimed or closed meanwhile: nobody new to tell
    plan = task.process.planprocess.plan
    again = " again" if key.startswith("released:") else ""
    return notifications_create(
        key=key,
        users=rules.users_who_may_act_list(task),  # unclaimed: ``candidates`` are these
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


def notices_settle(*, plan: Any) -> int:
    """The notices that asked someone to act, once acted on, are read.

    Called whenever the engine moves a plan on (``sync_status``): a notice about a task
    that is no longer open (decided, resubmitted, closed with a sibling's decision), and
    the author's "sent back for changes" once the plan is resubmitted, no longer wait.
    """
    # compiled once per case (``apps.core.compiled``): asked after every action
    sent_back = plan.status != Status.CHANGES_REQUESTED
    urls, keys = [], []
    for source, pk in _settle_rows(plan.pk, sent_back):
        if source == "task":
            urls.append(reverse("task-detail", kwargs={"task_id": pk}))
        else:
            keys.append(f"decided:{pk}")
    return notifications_settle(urls=urls, keys=keys)


def _settle_rows(plan_id: int, sent_back: bool) -> list[tuple[str, int]]:
    return compiled.values(
        ("notices_to_settle", sent_back), lambda pk: _to_settle(pk, sent_back), plan_id
    )


def _to_settle(plan_id: int, sent_back: bool) -> QuerySet:
    """The plan's closed human tasks, and (``sent_back``) its requests for changes."""
    closed = (
        ApprovalTask.objects.filter(flow_task_type="HUMAN", process__planprocess__plan=plan_id)
        .exclude(rules.open_q())
        .annotate(source=Value("task"))
        .values_list("source", "pk")
        .order_by()
    )
    if not sent_back:
        return closed
    requests = (
        Decision.objects.filter(plan=plan_id, outcome=Outcome.REQUEST_CHANGES)
        .annotate(source=Value("decision"))
        .values_list("source", "pk")
        .order_by()
    )
    return closed.union(requests, all=True)  # one statement for both


def review_closed_notify(*, task_id: int, decision_id: int) -> list[int]:
    """A review closed by another region's decision: its reviewers hear that, and why."""
    task = _task(task_id)
    decision = Decision.objects.select_related("actor").get(pk=decision_id)
    if task is None:
        return []
    plan = task.process.planprocess.plan
    words = Outcome.LABELS[decision.outcome].lower()
    return notifications_create(
        key=f"closed:{task.pk}",
        users=candidates(task),
        kind=REVIEW_CLOSED,
        message=(
            f"{describe(task)} closed without your decision: "
            f"{decision.department_name or _name(decision.actor)} chose to {words}."
        ),
        detail=f"{_name(decision.actor)}: {decision.comment}" if decision.comment else "",
        url=reverse("plan-detail", kwargs={"plan_id": plan.pk}),
    )


# Shared with the deadline services.


def candidates(task: Any) -> QuerySet:
    """Who may act on the task now: its owner while they still may, else everyone who may.

    A claim whose holder may no longer act (left, or lost the role) can be taken
    over, so then the people who may take it over are the ones to hear.
    """
    users = rules.users_who_may_act(task)
    if task.owner_id is not None and users.filter(pk=task.owner_id).exists():
        return users.filter(pk=task.owner_id)
    return users


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
    # compiled once (``apps.core.compiled``): every relayed task notification reads it
    found = compiled.objects("notified_task", _task_row, task_id)
    return found[0] if found else None


def _task_row(task_id: int) -> QuerySet:
    return ApprovalTask.objects.select_related(
        "process__planprocess__plan__author", "owner"
    ).filter(pk=task_id)[:1]


def _name(user: Any) -> str:
    return (user.get_full_name() or user.username) if user else "someone"


FEEDBACK_FILED = "feedback"
FEEDBACK_REPLIED = "feedback_reply"


def feedback_filed_notify(*, feedback_id: int) -> list[int]:
    """Marketing hears of new market feedback: the plan's author and the company's planners."""
    feedback = Feedback.objects.select_related("plan__author", "author", "department").get(
        pk=feedback_id
    )
    plan = feedback.plan
    users = (planners_of(plan.company) | _users(plan.author_id)).exclude(pk=feedback.author_id)
    return notifications_create(
        key=f"feedback:{feedback.pk}",
        users=users.distinct(),
        kind=FEEDBACK_FILED,
        message=(
            f"{feedback.department.name} reports {feedback.get_kind_display().lower()} "
            f"on “{plan.title}”."
        ),
        detail=f"{_name(feedback.author)}: {feedback.text[:500]}",
        url=reverse("plan-detail", kwargs={"plan_id": plan.pk}) + "#feedback",
    )


def feedback_replied_notify(*, reply_id: int) -> list[int]:
    """Whoever filed the feedback, and the plan's author, hear of a reply."""
    reply = FeedbackReply.objects.select_related("feedback__plan", "author").get(pk=reply_id)
    feedback = reply.feedback
    users = _users(feedback.author_id, feedback.plan.author_id).exclude(pk=reply.author_id)
    return notifications_create(
        key=f"reply:{reply.pk}",
        users=users,
        kind=FEEDBACK_REPLIED,
        message=f"{_name(reply.author)} replied to feedback on “{feedback.plan.title}”.",
        detail=reply.text[:500],
        url=reverse("plan-detail", kwargs={"plan_id": feedback.plan_id}) + "#feedback",
    )


def _users(*ids: int) -> QuerySet:
    return get_user_model().objects.filter(pk__in=ids, is_active=True)
