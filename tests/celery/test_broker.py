"""Escalation through a real broker and real workers: exactly once, even across a SIGKILL.

Needs Redis (CELERY_BROKER_URL) and PostgreSQL (DATABASE_URL); skips otherwise.
"""

import os
import signal
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.audit.models import Action, Event
from apps.notifications.models import EmailStatus, FailedJob, Notification, Redelivery
from tests.factories import open_task, submitted
from workflows.models import TaskDeadline
from workflows.tasks import escalate_deadline, scan_deadlines

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]

HEADS = ["maple.gm@example.com", "maple.salesdir@example.com"]
# The first escalation email hangs for a minute: time to kill whoever sends it.
SLOW_FIRST_ESCALATION_EMAIL = {
    "GREENLIGHT_TEST_SLOW_SUBJECT": "Overdue",
    "GREENLIGHT_TEST_MAIL_DELAY": "60",
}


def _overdue(task) -> TaskDeadline:
    TaskDeadline.objects.filter(task=task).update(due_at=timezone.now() - timedelta(hours=1))
    return TaskDeadline.objects.get(task=task)


def _escalations(plan) -> int:
    return Event.objects.filter(plan_id=plan.pk, action=Action.ESCALATE).count()


def _emailed(key: str) -> list[str]:
    notes = Notification.objects.filter(key=key, email_status=EmailStatus.SENT)
    return sorted(note.user.email for note in notes)


def test_overdue_review_is_escalated_once_by_a_real_worker(broker, user, workers):
    worker = workers.start("first")
    plan = submitted(user("maple.planner"), title="Velvet scarves")
    task = open_task(plan, step="review")
    workers.wait_for(
        lambda: _emailed(f"queued:{task.pk}") == ["maple.sales@example.com"],
        "the reviewer's email about the new review",
    )

    deadline = _overdue(task)
    scan_deadlines.delay()
    scan_deadlines.delay()  # two beats by mistake
    escalate_deadline.delay(deadline.pk)  # and a duplicated message
    workers.wait_for(lambda: _emailed(f"escalate:{deadline.pk}") == HEADS, "escalation emails")
    workers.settle("the worker to finish the duplicates")

    assert _escalations(plan) == 1
    assert workers.mail("sent", "Velvet scarves") == sorted(["maple.sales@example.com", *HEADS])
    assert Notification.objects.filter(key=f"escalate:{deadline.pk}").count() == 2
    assert not FailedJob.objects.exists()
    workers.stop(worker)


def test_work_cut_off_by_a_killed_worker_is_done_once_after_a_restart(broker, user, workers):
    """solo: the whole worker dies; its unacknowledged message goes to the next worker."""
    plan = submitted(user("maple.planner"), title="Linen shirts")  # queued; no worker yet
    deadline = _overdue(open_task(plan, step="review"))
    key = f"escalate:{deadline.pk}"
    doomed = workers.start("doomed", **SLOW_FIRST_ESCALATION_EMAIL)
    scan_deadlines.delay()

    # The escalation commits, then its first email hangs in the mail server: kill the worker.
    workers.wait_for(lambda: workers.records("attempt", "Overdue"), "an escalation email")
    doomed.kill()
    doomed.wait(timeout=10)
    [cut_off] = workers.mail("attempt", "Overdue")
    assert workers.mail("sent", "Overdue") == []
    assert _escalations(plan) == 1
    note = Notification.objects.get(key=key, user__email=cut_off)
    assert note.email_status == EmailStatus.PENDING  # the claim died with the worker

    workers.start("restarted")
    workers.wait_for(lambda: _emailed(key) == HEADS, "the emails after the restart", timeout=45)
    scan_deadlines.delay()  # a later beat finds nothing left to do
    workers.settle("the restarted worker to go idle")

    assert _escalations(plan) == 1
    assert workers.mail("sent", "Overdue") == HEADS  # each head once
    assert workers.mail("attempt", "Overdue").count(cut_off) == 2  # killed once, then redelivered
    assert Redelivery.objects.filter(task_name="workflows.tasks.send_email", count=1).exists()
    assert not FailedJob.objects.exists()


def test_a_pool_process_killed_mid_task_is_replaced_and_the_work_done_once(broker, user, workers):
    """prefork: the worker sees its child die and hands the message back (reject_on_worker_lost)."""
    plan = submitted(user("maple.planner"), title="Wool socks")
    deadline = _overdue(open_task(plan, step="review"))
    key = f"escalate:{deadline.pk}"
    worker = workers.start("prefork", pool="prefork", **SLOW_FIRST_ESCALATION_EMAIL)
    scan_deadlines.delay()

    workers.wait_for(lambda: workers.records("attempt", "Overdue"), "an escalation email")
    [cut_off] = workers.records("attempt", "Overdue")
    assert cut_off["pid"] != worker.pid  # the pool's child process, not the worker
    os.kill(cut_off["pid"], signal.SIGKILL)

    workers.wait_for(lambda: _emailed(key) == HEADS, "the emails after the child died")
    workers.settle("the worker to go idle")

    assert _escalations(plan) == 1
    assert workers.mail("sent", "Overdue") == HEADS  # each head once
    assert workers.mail("attempt", "Overdue").count(cut_off["to"][0]) == 2
    assert worker.poll() is None  # the worker itself lived on and replaced its child
    assert Redelivery.objects.filter(task_name="workflows.tasks.send_email", count=1).exists()
    assert not FailedJob.objects.exists()
