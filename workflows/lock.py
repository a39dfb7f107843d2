"""The flow's process lock: a row lock on the process that works inside a service's transaction.

viewflow's ``select_for_update_lock`` asks for the row with NOWAIT and retries,
but it catches the lock error inside its own atomic block. Nested in a
service's transaction (every Greenlight service is one) the failed statement
leaves the savepoint unusable, so every loser of a race ended in "current
transaction is aborted", a server error, instead of a conflict; and two
regional reviews decided at the same moment could not both count.

This lock waits for the holder to commit instead. Concurrent actions on one
plan line up: the second sees what the first did (a finished task is a clean
``Conflict``), and actions that do not exclude each other both succeed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, transaction
from viewflow.workflow.exceptions import FlowLockFailed

from .models import PlanProcess


@contextmanager
def _row_lock(process_class: Any, process_pk: int) -> Iterator[None]:
    """``SELECT ... FOR UPDATE`` on the process row, held until the transaction ends."""
    with transaction.atomic():
        try:
            # Its own savepoint: a deadlock or timeout leaves the caller's transaction usable.
            with transaction.atomic():
                process = process_class._default_manager.filter(pk=process_pk)
                process.select_for_update().exists()
        except DatabaseError as error:
            raise FlowLockFailed(f"Lock failed for process {process_pk}") from error
        yield


class ProcessRowLock:
    """The flow's ``lock_impl``: viewflow calls it with the flow class."""

    def __call__(self, flow_class: Any, process_pk: int):
        return _row_lock(flow_class.process_class, process_pk)


process_row_lock = ProcessRowLock()


def lock_process(process_pk: int):
    """The same lock for the services and the deadline scan, which act outside activations."""
    return _row_lock(PlanProcess, process_pk)
