"""What the engine records when an approval moves: deadlines, and notifications owed.

These run inside the transaction of the action (a node opening a task, a
service releasing or deciding one). Each notification is one row in the
outbox (``workflows.outbox``), written in that transaction, so a rolled-back
action tells nobody and a committed one is told even if the broker is down;
the relay is triggered after the commit and the beat sweep catches the rest.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction

from apps.core.timeutils import add_working_days
from apps.org.policy import Route, Step, deadlines_of

from . import outbox, rules, tasks
from .models import OutboxEvent, TaskDeadline
from .notifications import DECIDED_WORDS


def task_opened(task: Any) -> None:
    """A human task opens: its deadline from the plan's frozen route, and word to its queue.

    A revision is the author's: ``plan_decided`` tells them.
    """
    plan = rules.plan_of(task)
    step = task.flow_task.step
    # routes frozen before a step existed (take-up) fall back to the company's setting now
    days = Route.from_dict(plan.route).deadlines.get(step) or deadlines_of(plan.company)[step]
    TaskDeadline.objects.create(
        task=task,
        due_at=add_working_days(task.created, days),
        **TaskDeadline.facts_of(task, plan),
    )
    if step != Step.REVISE:
        _owe(outbox.TASK_QUEUED, task_id=task.pk, key=f"queued:{task.pk}")


def task_released(task: Any) -> None:
    """Back in the queue: a fresh key per release, fixed in the outbox row."""
    key = f"released:{task.pk}:{uuid.uuid4().hex[:12]}"
    _owe(outbox.TASK_QUEUED, task_id=task.pk, key=key)


def plan_decided(*, decision: Any, status: str) -> None:
    """Tell the author when a decision approved, rejected or sent back the plan."""
    if status in DECIDED_WORDS:
        _owe(outbox.PLAN_DECIDED, decision_id=decision.pk, status=str(status))


def review_closed(task: Any, decision: Any) -> None:
    """A region's review closed by another's decision: its reviewers hear it closed, and why."""
    _owe(outbox.REVIEW_CLOSED, task_id=task.pk, decision_id=decision.pk)


_owed: ContextVar[list[OutboxEvent] | None] = ContextVar("greenlight_owed", default=None)


@contextmanager
def owing() -> Iterator[None]:
    """The body's outbox rows go in together, in one INSERT when it ends (still inside the
    action's transaction); an error in the body writes none, as its rollback would."""
    rows: list[OutboxEvent] = []
    token = _owed.set(rows)
    try:
        yield
    finally:
        _owed.reset(token)
    for event in OutboxEvent.objects.bulk_create(rows):
        _relay_after_commit(event)


def _owe(kind: str, **args: Any) -> None:
    """One outbox row, in the action's transaction; its relay queued after the commit."""
    rows = _owed.get()
    if rows is None:
        _relay_after_commit(outbox.outbox_write(kind=kind, **args))
    else:
        rows.append(outbox.outbox_row(kind=kind, **args))


def _relay_after_commit(event: OutboxEvent) -> None:
    def trigger() -> None:
        tasks.relay_outbox.delay(event.pk)

    trigger.__qualname__ = "relay_outbox.delay"  # for Django's log line should it fail
    # robust: the action has committed and its row is safe; a broker that is down is
    # logged, not shown as a failed action, and the beat sweep relays the row later.
    transaction.on_commit(trigger, robust=True)


def feedback_filed(feedback: Any) -> None:
    """Marketing hears of new market feedback: the plan's author and the company's planners."""
    _owe(outbox.FEEDBACK_FILED, feedback_id=feedback.pk)


def feedback_replied(reply: Any) -> None:
    """Whoever filed the feedback, and the plan's author, hear of a reply."""
    _owe(outbox.FEEDBACK_REPLIED, reply_id=reply.pk)
