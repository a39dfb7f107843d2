"""What an action did to the flow's tasks, noted as viewflow saves them.

A service that moves the flow (submit, resubmit, decide) opens a ``Moves``; every
task saved while it is open is noted there with its state after the save. The
service then knows, without asking the database again, which tasks the action
opened (a plan's status follows from them), which it closed (the other regions'
reviews a request for changes ended) and which take-ups it created.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from viewflow.workflow.nodes import End
from viewflow.workflow.status import STATUS

from .rules import OPEN_STATUSES

_current: ContextVar[Moves | None] = ContextVar("greenlight_moves", default=None)


class Moves:
    def __init__(self) -> None:
        self._tasks: dict[int, Any] = {}  # by id, as last saved
        self._created: set[int] = set()

    def saw(self, task: Any, created: bool) -> None:
        self._tasks[task.pk] = task
        if created:
            self._created.add(task.pk)

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


def task_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    """``post_save`` of the flow's tasks: noted while an action notes its moves."""
    moves = _current.get()
    if moves is not None:
        moves.saw(instance, created)
