"""What the engine queues when an approval moves: deadlines and notifications after commit.

These run inside the transaction of the action (a node opening a task, a
service releasing or deciding one) and only queue a Celery task for after the
commit, so a rolled-back action tells nobody.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction

from apps.core.timeutils import add_working_days
from apps.org.policy import Route, Step, deadlines_of

from . import tasks
from .models import TaskDeadline
from .notifications import DECIDED_WORDS


def task_opened(task: Any) -> None:
    """A human task opens: its deadline from the plan's frozen route, and word to its queue.

    A revision is the author's: ``plan_decided`` tells them.
    """
    plan = task.process.planprocess.plan
    step = task.flow_task.step
    # routes frozen before a step existed (take-up) fall back to the company's setting now
    days = Route.from_dict(plan.route).deadlines.get(step) or deadlines_of(plan.company)[step]
    TaskDeadline.objects.create(
        task=task, company_id=plan.company_id, due_at=add_working_days(task.created, days)
    )
    if step != Step.REVISE:
        _after_commit(tasks.notify_task_queued, task.pk, f"queued:{task.pk}")


def task_released(task: Any) -> None:
    """Back in the queue: a fresh key per release, fixed before the message is sent."""
    key = f"released:{task.pk}:{uuid.uuid4().hex[:12]}"
    _after_commit(tasks.notify_task_queued, task.pk, key)


def plan_decided(*, decision: Any, status: str) -> None:
    """Tell the author when a decision approved, rejected or sent back the plan."""
    if status in DECIDED_WORDS:
        _after_commit(tasks.notify_plan_decided, decision.pk, status)


def review_closed(task: Any, decision: Any) -> None:
    """A region's review closed by another's decision: its reviewers hear it closed, and why."""
    _after_commit(tasks.notify_review_closed, task.pk, decision.pk)


def _after_commit(task: Any, *args: Any) -> None:
    def enqueue() -> None:
        task.delay(*args)

    enqueue.__qualname__ = f"{task.name}.delay"  # for Django's log line should it fail
    # robust: the action has committed; a broker hiccup is logged, not shown as a failed action.
    transaction.on_commit(enqueue, robust=True)


def feedback_filed(feedback: Any) -> None:
    """Marketing hears of new market feedback: the plan's author and the company's planners."""
    _after_commit(tasks.notify_feedback, feedback.pk)


def feedback_replied(reply: Any) -> None:
    """Whoever filed the feedback, and the plan's author, hear of a reply."""
    _after_commit(tasks.notify_reply, reply.pk)
