"""What an action did to the flow's tasks, noted as viewflow saves them.

A service that moves the flow (submit, resubmit, decide) opens a ``Moves``; every
task saved while it is open is noted there with its state after the save. The
service then knows, without asking the database again, which tasks the action
opened (a plan's status follows from them), which it closed (the other regions'
reviews a request for changes ended) and which take-ups it created.

A human task's closing also closes its deadline row (``TaskDeadline.closed_at``), in
the same transaction: at once when no action notes its moves (viewflow's own views,
the admin), else in one UPDATE for all the tasks the action closed, when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db.models import Q
from viewflow.workflow.nodes import End
from viewflow.workflow.status import STATUS

from apps.core.timeutils import now

from .models import ApprovalTask, TaskDeadline
from .rules import OPEN_STATUSES, open_q

_current: ContextVar[Moves | None] = ContextVar("greenlight_moves", default=None)


class Moves:
    def __init__(self) -> None:
        self._tasks: dict[int, Any] = {}  # by id, as last saved
        self._created: set[int] = set()
        self._closed: set[int] = set()  # human tasks saved closed

    def saw(self, task: Any, created: bool) -> None:
        self._tasks[task.pk] = task
        if created:
            self._created.add(task.pk)
        if _closes(task):
            self._closed.add(task.pk)

    def opened(self, node: Any = None) -> list[Any]:
        """The tasks the action created that are still open (of ``node``), in creation order."""
        return [
            task
            for pk, task in sorted(self._tasks.items())
            if pk in self._created
            and task.status in OPEN_STATUSES
            and (node is None or task.flow_task == node)
        ]

    def reached_an_end(self) -> bool:
        """The action reached an end of the flow (which ends the process once nothing runs)."""
        return any(isinstance(task.flow_task, End) for task in self._tasks.values())

    def closed_ids(self) -> list[int]:
        """The human tasks the action closed (done or cancelled), by id."""
        return sorted(self._closed)

    def processes(self) -> set[int]:
        """The processes whose tasks the action saved."""
        return {task.process_id for task in self._tasks.values()}

    def cancelled(self, node: Any) -> list[Any]:
        """The tasks of ``node`` that the action cancelled, in creation order."""
        return [
            task
            for _pk, task in sorted(self._tasks.items())
            if task.status == STATUS.CANCELED and task.flow_task == node
        ]


@contextmanager
def noting() -> Iterator[Moves]:
    """Note the tasks saved in the body."""
    moves = Moves()
    token = _current.set(moves)
    try:
        yield moves
    finally:
        _current.reset(token)
    # only when the body succeeded: an error rolls its closings back with it
    deadlines_close(moves.closed_ids())
    if settings.GREENLIGHT_CHECK_MOVES and moves.processes():
        _check_deadlines(moves.processes())


def task_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """``post_save`` of the flow's tasks: noted while an action notes its moves; a human
    task saved closed outside an action closes its deadline at once. Tasks of other flows
    (saved as viewflow's own ``Task``, the bench's bare flow) are not ours to note."""
    flow_class = getattr(instance.flow_task, "flow_class", None)
    if flow_class is None or flow_class.task_class is not ApprovalTask:
        return
    moves = _current.get()
    if moves is not None:
        moves.saw(instance, created)
    elif not created and _closes(instance):
        deadlines_close([instance.pk])


def _closes(task: Any) -> bool:
    return task.flow_task_type == "HUMAN" and task.status not in OPEN_STATUSES


def deadlines_close(task_ids: list[int]) -> None:
    """The deadlines of these (closed) tasks leave the lists' indexes; once: a closed task
    saved again (its data) changes nothing."""
    if task_ids:
        TaskDeadline.objects.filter(task_id__in=task_ids, closed_at__isnull=True).update(
            closed_at=now()
        )


def _check_deadlines(process_ids: set[int]) -> None:
    """The test settings (``GREENLIGHT_CHECK_MOVES``): every deadline of the processes the
    action moved is closed exactly when its task is."""
    wrong = TaskDeadline.objects.filter(task__process_id__in=process_ids).filter(
        (Q(closed_at__isnull=True) & ~open_q("task__"))
        | (Q(closed_at__isnull=False) & open_q("task__"))
    )
    if wrong.exists():
        raise AssertionError(f"deadlines closed out of step with their tasks: {list(wrong)}")
