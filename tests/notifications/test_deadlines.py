"""Reminders before a deadline and escalations after it: once each, and in the history."""

import io
from datetime import UTC, datetime, timedelta

from django.core.management import call_command
from django.utils import timezone

from apps.audit.models import Action, Event
from apps.core import timeutils
from apps.core.timeutils import working_time_between
from apps.notifications.models import Notification
from apps.org import services as org_services
from apps.org.models import Department
from config.celery import app as celery_app
from tests.factories import decide, open_task, submitted
from workflows import services as approvals
from workflows.deadlines import deadline_escalate, deadlines_due, reminder_due
from workflows.models import TaskDeadline
from workflows.selectors import current_steps, task_queue
from workflows.tasks import escalate_deadline, remind_deadline, scan_deadlines

from .conftest import TITLE, mailed, told


def _events(plan, action):
    return list(Event.objects.filter(plan_id=plan.pk, action=action))


def _proposed(task):
    """What a scan now would queue for this task: "remind", "escalate" or nothing ([])."""
    remind, escalate = deadlines_due(moment=timeutils.now())
    return (
        "remind" if task.deadline.pk in remind else [],
        "escalate" if task.deadline.pk in escalate else [],
    )


def _overdue(task, by=timedelta(hours=1)):
    TaskDeadline.objects.filter(task=task).update(due_at=timezone.now() - by)


def test_reviewer_is_reminded_once_before_the_deadline(user, clock, mailoutbox):
    plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")
    moment = clock(task.deadline.due_at - timedelta(hours=2))

    assert _proposed(task) == ("remind", [])
    scan_deadlines()
    assert _proposed(task) == ([], [])
    scan_deadlines()
    remind_deadline.delay(task.deadline.pk)  # the same message delivered again

    task.deadline.refresh_from_db()
    assert task.deadline.reminded_at == moment
    assert task.deadline.escalated_at is None
    [event] = _events(plan, Action.REMIND)
    assert (event.task_id, event.step, event.actor_id) == (task.pk, "review", None)
    assert event.data["reminded"] == ["maple.sales"]
    assert told("reminder", key=f"remind:{task.deadline.pk}") == ["maple.sales"]
    note = Notification.objects.get(key=f"remind:{task.deadline.pk}")
    assert note.message.startswith("Reminder: Sales review of “Velvet scarves” (Sales) is due ")
    assert mailed(mailoutbox, TITLE) == ["maple.sales@example.com"]


def test_a_claimed_task_reminds_only_its_assignee(user, clock):
    plan = submitted(user("north.planner"), title=TITLE)
    task = open_task(plan, step="review", department="Eastern Sales")
    approvals.task_claim(actor=user("north.sales.east"), task_id=task.pk)
    clock(task.deadline.due_at - timedelta(hours=2))
    scan_deadlines()

    west = open_task(plan, step="review", department="Western Sales")
    assert told("reminder", key=f"remind:{task.deadline.pk}") == ["north.sales.east"]
    assert told("reminder", key=f"remind:{west.deadline.pk}") == ["north.sales.west"]
    [note] = Notification.objects.filter(key=f"remind:{west.deadline.pk}")
    assert note.url.endswith(f"/tasks/{west.pk}/")


def test_a_claim_whose_holder_left_reminds_those_who_may_take_it_over(user, clock):
    gm = user("maple.gm")
    sales = Department.objects.get(company=gm.membership.company, name="Sales")
    org_services.member_create(
        actor=gm,
        company=sales.company,
        username="maple.sales2",
        email="maple.sales2@example.com",
        first_name="Sue",
        last_name="Lin",
        password="a-long-enough-password-9",
        department=sales,
        roles={"reviewer"},
    )
    plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")
    approvals.task_claim(actor=user("maple.sales"), task_id=task.pk)
    org_services.member_remove(actor=gm, membership=user("maple.sales").membership)
    clock(task.deadline.due_at - timedelta(hours=2))

    scan_deadlines()

    assert told("reminder") == ["maple.sales2"]


def test_nobody_is_reminded_while_plenty_of_time_is_left(user, clock):
    plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")
    clock(task.created + timedelta(hours=1))

    assert _proposed(task) == ([], [])
    scan_deadlines()
    assert _events(plan, Action.REMIND) == []
    assert told("reminder", key=f"remind:{task.deadline.pk}") == []


def test_overdue_step_is_escalated_once_to_the_heads_who_sign_off(user, mailoutbox):
    plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")
    _overdue(task)

    assert _proposed(task) == ([], "escalate")
    scan_deadlines()
    assert _proposed(task) == ([], [])
    scan_deadlines()
    escalate_deadline.delay(task.deadline.pk)  # a duplicated message
    escalate_deadline.apply(args=[task.deadline.pk])  # and a second worker running it

    task.deadline.refresh_from_db()
    assert task.deadline.escalated_at is not None
    [event] = _events(plan, Action.ESCALATE)
    assert event.data["escalated_to"] == ["maple.gm", "maple.salesdir"]
    assert event.data["held_by"] == "nobody (unclaimed)"
    assert _events(plan, Action.REMIND) == []  # too late for a reminder
    assert told("escalation", key=f"escalate:{task.deadline.pk}") == ["maple.gm", "maple.salesdir"]
    assert (
        Notification.objects.filter(kind="escalation")
        .first()
        .message.startswith("Overdue: Sales review of “Velvet scarves” (Sales) was due ")
    )
    assert mailed(mailoutbox, TITLE) == [
        "maple.gm@example.com",
        "maple.salesdir@example.com",
    ]
    # flagged overdue where people look for work
    [step] = current_steps(plan=plan)
    assert step.overdue
    assert task_queue(user=user("maple.sales")).first().pk == task.pk


def test_an_escalated_step_is_never_escalated_again_however_long_it_stays_overdue(user, clock):
    plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")
    _overdue(task)
    start = timeutils.now()
    deadline_escalate(deadline_id=task.deadline.pk)
    assert len(_events(plan, Action.ESCALATE)) == 1
    for later in (timedelta(hours=1), timedelta(days=3), timedelta(days=40)):
        moment = clock(start + later)
        assert task.deadline.pk not in deadlines_due(moment=moment)[1], later
        deadline_escalate(deadline_id=task.deadline.pk)  # a late or repeated message
    task.deadline.refresh_from_db()
    assert task.deadline.escalated_at < start + timedelta(hours=1)  # the first time only
    assert [e.data["escalated_to"] for e in _events(plan, Action.ESCALATE)] == [
        ["maple.gm", "maple.salesdir"]
    ]
    assert told("escalation") == ["maple.gm", "maple.salesdir"]


def test_a_step_decided_in_time_is_not_escalated(user):
    plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")
    decide(plan, user("maple.sales"), "approve")
    _overdue(task)

    assert _proposed(task) == ([], [])
    escalate_deadline.delay(task.deadline.pk)  # a late message for the finished task

    task.deadline.refresh_from_db()
    assert task.deadline.escalated_at is None
    assert _events(plan, Action.ESCALATE) == []
    assert told("escalation") == []


def test_a_step_is_not_escalated_before_its_deadline(user, clock):
    plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")
    clock(task.deadline.due_at - timedelta(minutes=1))

    escalate_deadline.delay(task.deadline.pk)  # a stale or mistaken message

    assert _events(plan, Action.ESCALATE) == []


def at(day: int, hour: int = 10) -> datetime:
    """A moment in the week of Monday 2 March 2026 (day 0 is that Monday)."""
    return datetime(2026, 3, 2, hour, tzinfo=UTC) + timedelta(days=day)


def test_working_time_skips_the_weekend():
    assert working_time_between(at(4), at(7)) == timedelta(days=1)  # Friday to Monday
    assert working_time_between(at(5), at(6)) == timedelta()  # Saturday to Sunday
    assert working_time_between(at(0), at(2)) == timedelta(days=2)


def _deadline(created, due, **fields):
    from workflows.models import ApprovalTask

    return TaskDeadline(task=ApprovalTask(created=created), due_at=due, **fields)


def test_reminder_comes_in_the_last_working_day_not_over_the_weekend():
    three_days = _deadline(created=at(2), due=at(7))  # Wednesday to Monday
    assert not reminder_due(three_days, at(4, 9))  # Friday 09:00: 25 working hours left
    assert reminder_due(three_days, at(4, 10))  # Friday 10:00: one working day left
    assert not reminder_due(three_days, at(7, 10))  # due now: escalation's turn


def test_a_one_day_step_is_not_reminded_the_moment_it_opens():
    one_day = _deadline(created=at(0), due=at(1))
    assert not reminder_due(one_day, at(0, 11))
    assert reminder_due(one_day, at(0, 22))  # half its time gone


def test_reminded_or_escalated_steps_are_not_reminded_again():
    assert not reminder_due(_deadline(at(2), at(7), reminded_at=at(4)), at(5))
    assert not reminder_due(_deadline(at(2), at(7), escalated_at=at(4)), at(5))


def test_beat_schedules_the_scan_every_few_minutes():
    entry = celery_app.conf.beat_schedule["scan-deadlines"]
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] <= 600
    assert entry["options"]["expires"] < entry["schedule"]


def test_the_scan_command_runs_one_scan(user):
    plan = submitted(user("maple.planner"), title=TITLE)
    _overdue(open_task(plan, step="review"))
    out = io.StringIO()

    call_command("scan_deadlines", stdout=out)

    assert "escalations: 1." in out.getvalue()
    assert len(_events(plan, Action.ESCALATE)) == 1
