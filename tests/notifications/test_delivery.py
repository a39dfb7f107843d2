"""At-least-once delivery without doubles; nothing for a rolled-back action; failures surface."""

import smtplib

import pytest
from celery.exceptions import Ignore
from django.db import transaction

from apps.notifications import services as notification_services
from apps.notifications.models import EmailStatus, FailedJob, Notification
from config.celery import app as celery_app
from tests.factories import draft, open_task, submitted
from workflows import notifications
from workflows import services as approvals
from workflows.tasks import escalate_deadline, notify_task_queued, send_email

from .conftest import TITLE, mailed, told


def test_a_task_delivered_twice_notifies_and_emails_once(user, committed, mailoutbox):
    with committed():
        plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")

    notify_task_queued.delay(task.pk, f"queued:{task.pk}")  # the broker hands it out again
    note = Notification.objects.get(key=f"queued:{task.pk}")
    assert send_email.delay(note.pk).get() is False  # and the email task too

    assert told("task_queued") == ["maple.sales"]
    assert mailed(mailoutbox) == ["maple.sales@example.com"]


def test_a_task_that_died_before_queueing_its_emails_sends_them_when_run_again(user, mailoutbox):
    plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")
    key = f"queued:{task.pk}"
    # the first run committed its notifications, then its worker died: no email went out
    notifications.task_queued_notify(task_id=task.pk, key=key)
    assert mailoutbox == []

    notify_task_queued.delay(task.pk, key)  # redelivered
    notify_task_queued.delay(task.pk, key)  # and once more

    assert told("task_queued") == ["maple.sales"]
    assert mailed(mailoutbox) == ["maple.sales@example.com"]


def test_nothing_is_sent_when_the_submission_rolls_back(user, committed, mailoutbox):
    author = user("maple.planner")
    plan = draft(author)
    before = Notification.objects.count()

    with committed() as callbacks, pytest.raises(RuntimeError), transaction.atomic():
        approvals.plan_submit(actor=author, plan_id=plan.pk)
        raise RuntimeError("something after the submission failed")

    assert callbacks == []
    assert Notification.objects.count() == before
    assert mailoutbox == []


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_when_a_real_transaction_rolls_back(user, mailoutbox):
    """The same with real commits: the seed's own notifications went out, ours do not."""
    author = user("maple.planner")
    plan = draft(author, title=TITLE)
    before = Notification.objects.count()
    mailoutbox.clear()

    with pytest.raises(RuntimeError), transaction.atomic():
        approvals.plan_submit(actor=author, plan_id=plan.pk)
        raise RuntimeError("something after the submission failed")
    assert Notification.objects.count() == before
    assert mailoutbox == []

    approvals.plan_submit(actor=author, plan_id=plan.pk)  # committed: now it is announced
    assert mailed(mailoutbox, TITLE) == ["maple.sales@example.com"]


@pytest.fixture
def as_worker(monkeypatch):
    """Eager tasks that fail as in a worker (recorded) instead of raising into the caller."""
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)


def test_an_email_that_keeps_failing_is_retried_then_shown_to_admins(
    user, committed, monkeypatch, mailoutbox, as_worker
):
    attempts = []

    def refuse(message):
        attempts.append(message)
        raise smtplib.SMTPServerDisconnected("mail server went away")

    original_send = notification_services.EmailMessage.send
    monkeypatch.setattr(notification_services.EmailMessage, "send", refuse)
    with committed():
        plan = submitted(user("maple.planner"), title=TITLE)
    note = Notification.objects.get(key=f"queued:{open_task(plan, step='review').pk}")

    assert len(attempts) == 1 + send_email.max_retries
    assert note.email_status == EmailStatus.PENDING  # the claim rolled back with each attempt
    job = FailedJob.objects.get()
    assert (job.task_name, job.args) == ("workflows.tasks.send_email", [note.pk])
    assert job.reason == "SMTPServerDisconnected: mail server went away"
    assert job.resolved_at is None

    monkeypatch.setattr(notification_services.EmailMessage, "send", original_send)
    # the mail server is back; an administrator runs the job again
    assert send_email.delay(*job.args).get() is True
    assert mailed(mailoutbox) == ["maple.sales@example.com"]


def test_a_bug_fails_at_once_and_repeats_count_on_one_row(user, monkeypatch, as_worker):
    plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")

    def broken(**kwargs):
        raise KeyError("department_id")

    monkeypatch.setattr(notifications, "task_queued_notify", broken)
    results = [notify_task_queued.delay(task.pk, "queued:x") for _ in range(2)]

    assert [result.state for result in results] == ["FAILURE", "FAILURE"]  # no retries

    job = FailedJob.objects.get()
    assert (job.occurrences, job.args) == (2, [task.pk, "queued:x"])
    assert job.reason == "KeyError: 'department_id'"
    assert "task_queued_notify" in job.traceback


def test_a_message_that_keeps_killing_its_worker_is_given_up_and_shown(db):
    task = escalate_deadline
    task.push_request(id="poison-1", delivery_info={"redelivered": True})
    try:
        for _ in range(task.max_redeliveries):
            task.before_start("poison-1", [7], {})  # still worth another try
        with pytest.raises(Ignore):
            task.before_start("poison-1", [7], {})
    finally:
        task.pop_request()

    job = FailedJob.objects.get()
    assert (job.task_name, job.args) == ("workflows.tasks.escalate_deadline", [7])
    assert "redeliveries" in job.reason
