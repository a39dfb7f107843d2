"""The notification outbox: what an action owes, written in its transaction, relayed after.

An action writes one ``OutboxEvent`` row per thing to tell (a task queued, a
plan decided, ...) inside its own transaction: if it rolls back, nobody is
told; if it commits, the row is there whether or not the broker is up. The
relay turns a row into in-app notifications (``workflows.notifications``,
under their idempotency keys) and queues their e-mails, then marks the row
relayed. It runs once per row on commit and again from the beat sweep for
rows whose trigger never got through.

Exactly once: two relays of the same row are harmless. On PostgreSQL the row
is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` so a second relay skips
it while the first works; either way the notifications are keyed (a repeat
creates none) and each e-mail is claimed by a conditional UPDATE before it is
sent. The row is marked relayed only after its e-mails were queued, so a relay
that dies in between leaves the row for the sweep, which queues the e-mails
still pending.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from django.db import transaction

from apps.core import compiled, timeutils

from . import notifications
from .models import OutboxEvent

TASK_QUEUED = "task_queued"
PLAN_DECIDED = "plan_decided"
REVIEW_CLOSED = "review_closed"
FEEDBACK_FILED = "feedback_filed"
FEEDBACK_REPLIED = "feedback_replied"

# kind -> the notification service that relays it (called with the row's args)
RELAYS: dict[str, Callable[..., list[int]]] = {
    TASK_QUEUED: notifications.task_queued_notify,
    PLAN_DECIDED: notifications.plan_decided_notify,
    REVIEW_CLOSED: notifications.review_closed_notify,
    FEEDBACK_FILED: notifications.feedback_filed_notify,
    FEEDBACK_REPLIED: notifications.feedback_replied_notify,
}

RETENTION = timedelta(days=30)  # relayed rows are kept this long as a record, then pruned
SWEEP_BATCH = 500  # rows one sweep relays at most; the next sweep takes the rest


def outbox_row(*, kind: str, **args: Any) -> OutboxEvent:
    """A notification to relay, not saved yet (``outbox_write`` saves one)."""
    if kind not in RELAYS:
        raise ValueError(f"unknown outbox kind {kind!r}")
    return OutboxEvent(kind=kind, args=args, created_at=timeutils.now())


def outbox_write(*, kind: str, **args: Any) -> OutboxEvent:
    """Record, inside the caller's transaction, a notification to relay after it commits."""
    event = outbox_row(kind=kind, **args)
    event.save(force_insert=True)
    return event


def outbox_relay(*, event_id: int, deliver: Callable[[list[int]], Any]) -> bool:
    """Relay one row: its notifications, then ``deliver`` their e-mail ids, then mark it.

    Returns False when the row is relayed already or another relay holds it.
    ``deliver`` queues the e-mails; it runs after the notifications committed,
    so the e-mail task always finds its notification.
    """
    with transaction.atomic():
        # compiled once (``apps.core.compiled``): every row relayed is claimed so
        claimed = compiled.objects("outbox_claim", _claim, event_id)
        if not claimed:
            return False
        event = claimed[0]
        email_ids = RELAYS[event.kind](**event.args)
    deliver(email_ids)
    OutboxEvent.objects.filter(pk=event_id, relayed_at__isnull=True).update(
        relayed_at=timeutils.now()
    )
    return True


def _claim(event_id: int) -> Any:
    return OutboxEvent.objects.select_for_update(skip_locked=True).filter(
        pk=event_id, relayed_at__isnull=True
    )[:1]


def outbox_waiting(*, limit: int = SWEEP_BATCH) -> list[int]:
    """Ids of rows not relayed yet, oldest first."""
    return list(
        OutboxEvent.objects.filter(relayed_at__isnull=True)
        .order_by("id")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep(*, deliver: Callable[[list[int]], Any]) -> dict[str, int]:
    """Relay what waits (a trigger lost with the broker, a relay that died) and prune old rows."""
    relayed = sum(outbox_relay(event_id=pk, deliver=deliver) for pk in outbox_waiting())
    pruned, _ = OutboxEvent.objects.filter(relayed_at__lt=timeutils.now() - RETENTION).delete()
    return {"relayed": relayed, "pruned": pruned}


def outbox_unrelayed_count(*, ids: Iterable[int] | None = None) -> int:
    """How many rows still wait (all, or of ``ids``): what a settle loop waits for."""
    rows = OutboxEvent.objects.filter(relayed_at__isnull=True)
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.count()
