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

Two shapes of the same lock. Taken by viewflow outside a Greenlight service (its
own frontend views, which may catch a refusal and go on using the transaction),
the lock brings its own savepoints, so a failed lock or a refused step leaves the
caller's transaction usable. Inside a service (``service_lock``) it is one
``SELECT ... FOR UPDATE`` in the service's transaction and nothing more: the
service is an atomic block of its own, every error it raises leaves that block,
and the block's rollback (to its savepoint when nested) is the clean-up, so the
savepoints would only cost two round trips each.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DatabaseError, connection, transaction
from viewflow.workflow.exceptions import FlowLockFailed

from .models import PlanProcess

# Set while a service's atomic block runs: the locks taken in it need no savepoints.
_in_service: ContextVar[bool] = ContextVar("greenlight_in_service", default=False)


def _select_for_update(process_class: Any, process_pk: int) -> None:
    try:
        process_class._default_manager.filter(pk=process_pk).select_for_update().exists()
    except DatabaseError as error:
        raise FlowLockFailed(f"Lock failed for process {process_pk}") from error


@contextmanager
def _row_lock(process_class: Any, process_pk: int) -> Iterator[None]:
    """``SELECT ... FOR UPDATE`` on the process row, held until the transaction ends."""
    if in_service_now():
        _select_for_update(process_class, process_pk)
        yield
        return
    with transaction.atomic():
        # Its own savepoint: a deadlock or timeout leaves the caller's transaction usable.
        with transaction.atomic():
            _select_for_update(process_class, process_pk)
        yield


def in_service_now() -> bool:
    """Inside a service's atomic block (``in_service``), whose rollback cleans up after errors."""
    return _in_service.get() and connection.in_atomic_block


@contextmanager
def in_service() -> Iterator[None]:
    """The body runs inside a service's atomic block, whose rollback cleans up after errors.

    Only for code whose every exception leaves that atomic block: nothing in it may
    catch a database error and go on using the transaction.
    """
    if not connection.in_atomic_block:
        raise RuntimeError("in_service() needs the service's atomic block around it.")
    token = _in_service.set(True)
    try:
        yield
    finally:
        _in_service.reset(token)


@contextmanager
def service_lock(flow_class: Any, process_pk: int) -> Iterator[None]:
    """The flow's lock as a service takes it: a plain row lock, and locks inside it plain too."""
    with in_service(), flow_class.lock(process_pk):
        yield


class ProcessRowLock:
    """The flow's ``lock_impl``: viewflow calls it with the flow class."""

    def __call__(self, flow_class: Any, process_pk: int):
        return _row_lock(flow_class.process_class, process_pk)


process_row_lock = ProcessRowLock()


def lock_process(process_pk: int):
    """The same lock for the deadline scan and the rhythm, which act outside the services."""
    return _row_lock(PlanProcess, process_pk)
