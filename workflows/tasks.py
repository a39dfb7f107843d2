"""Celery tasks for notifications and deadlines: ids in, one service call, safe to run twice.

Delivery is at-least-once: ``acks_late`` keeps a message on the broker until its
task returns, and ``reject_on_worker_lost`` hands it back when a worker dies
mid-task. That is safe because every side effect here is claimed in the
database first (a unique key or a conditional UPDATE), so a second run finds
the work done. Transient errors (database, flow lock, broker, mail server) are
retried with exponential backoff a bounded number of times; a task that still
fails, or that keeps killing its worker, becomes a ``FailedJob`` in the admin.
"""

from __future__ import annotations

import logging
import smtplib

from celery import Task, shared_task
from celery.exceptions import Ignore
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError
from viewflow.workflow.exceptions import FlowLockFailed

from apps.core import timeutils
from apps.notifications.services import email_deliver, failed_job_record, redelivery_count

from . import deadlines, notifications, outbox, rhythm

logger = logging.getLogger(__name__)

TRANSIENT = (OperationalError, InterfaceError, FlowLockFailed, BrokerError)


class ReliableTask(Task):
    """Late acknowledgement, bounded retries, and failures an administrator can see."""

    acks_late = True
    reject_on_worker_lost = True
    autoretry_for = TRANSIENT
    retry_backoff = 2
    retry_backoff_max = 600
    retry_jitter = True
    max_retries = 5
    max_redeliveries = 3
    time_limit = 300

    def before_start(self, task_id, args, kwargs):
        """Stop a message that keeps taking its worker down (a poison message) from looping."""
        if not (self.request.delivery_info or {}).get("redelivered"):
            return
        count = redelivery_count(task_id=task_id, task_name=self.name)
        if count > self.max_redeliveries:
            failed_job_record(
                task_name=self.name,
                task_id=task_id,
                args=args,
                kwargs=kwargs,
                reason=f"Given up after {count} redeliveries: the worker was lost each time.",
            )
            raise Ignore()

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        try:
            failed_job_record(
                task_name=self.name,
                task_id=task_id,
                args=args,
                kwargs=kwargs,
                reason=f"{type(exc).__name__}: {exc}",
                traceback=str(einfo),
            )
        except Exception:
            logger.exception("Could not record failed task %s[%s]", self.name, task_id)


@shared_task(base=ReliableTask)
def relay_outbox(event_id: int) -> bool:
    """Queued on commit of the action that wrote the outbox row: its notifications and e-mails."""
    return outbox.outbox_relay(event_id=event_id, deliver=_send_emails)


@shared_task(base=ReliableTask)
def sweep_outbox() -> dict[str, int]:
    """Run by beat: relay the rows whose trigger was lost (broker down) and prune old ones."""
    return outbox.outbox_sweep(deliver=_send_emails)


# The actions write outbox rows now; these stay so that messages queued before the
# outbox (still on the broker during a deploy) are delivered, not dropped as unknown.


@shared_task(base=ReliableTask)
def notify_task_queued(task_id: int, key: str) -> int:
    """A task waits in a queue: tell the people who may act."""
    return _send_emails(notifications.task_queued_notify(task_id=task_id, key=key))


@shared_task(base=ReliableTask)
def notify_plan_decided(decision_id: int, status: str) -> int:
    """A plan was approved, rejected or sent back: tell its author."""
    return _send_emails(notifications.plan_decided_notify(decision_id=decision_id, status=status))


@shared_task(base=ReliableTask)
def notify_review_closed(task_id: int, decision_id: int) -> int:
    """A review closed without its reviewers' decision: tell them why."""
    return _send_emails(
        notifications.review_closed_notify(task_id=task_id, decision_id=decision_id)
    )


@shared_task(base=ReliableTask)
def remind_deadline(deadline_id: int) -> int:
    return _send_emails(deadlines.deadline_remind(deadline_id=deadline_id))


@shared_task(base=ReliableTask)
def escalate_deadline(deadline_id: int) -> int:
    return _send_emails(deadlines.deadline_escalate(deadline_id=deadline_id))


@shared_task(base=ReliableTask)
def scan_deadlines() -> dict[str, int]:
    """Run by beat every few minutes: queue one task per due reminder and escalation."""
    remind, escalate = deadlines.deadlines_due(moment=timeutils.now())
    for deadline_id in remind:
        remind_deadline.delay(deadline_id)
    for deadline_id in escalate:
        escalate_deadline.delay(deadline_id)
    return {"remind": len(remind), "escalate": len(escalate)}


@shared_task(base=ReliableTask)
def notify_feedback(feedback_id: int) -> int:
    """Market feedback was filed: tell marketing."""
    return _send_emails(notifications.feedback_filed_notify(feedback_id=feedback_id))


@shared_task(base=ReliableTask)
def notify_reply(reply_id: int) -> int:
    """Marketing replied to feedback: tell whoever filed it and the plan's author."""
    return _send_emails(notifications.feedback_replied_notify(reply_id=reply_id))


@shared_task(base=ReliableTask)
def remind_rhythm(row_id: int) -> int:
    return _send_emails(rhythm.rhythm_remind(row_id=row_id))


@shared_task(base=ReliableTask)
def escalate_rhythm(row_id: int) -> int:
    return _send_emails(rhythm.rhythm_escalate(row_id=row_id))


@shared_task(base=ReliableTask)
def scan_rhythm() -> dict[str, int]:
    """Run by beat: queue one task per department whose market feedback is overdue."""
    remind, escalate = rhythm.rhythm_due(moment=timeutils.now())
    for row_id in remind:
        remind_rhythm.delay(row_id)
    for row_id in escalate:
        escalate_rhythm.delay(row_id)
    return {"remind": len(remind), "escalate": len(escalate)}


@shared_task(base=ReliableTask, autoretry_for=TRANSIENT + (smtplib.SMTPException, OSError))
def send_email(notification_id: int) -> bool:
    """Email one notification, at most once unless the worker dies mid-send (then again)."""
    return email_deliver(notification_id=notification_id)


def _send_emails(notification_ids: list[int]) -> int:
    """Queue the emails after the service committed; each one is sent or retried on its own."""
    for notification_id in notification_ids:
        send_email.delay(notification_id)
    return len(notification_ids)
