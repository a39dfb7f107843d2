"""The feedback rhythm: a quiet department is reminded once per period, then the author and the
signers are told; the scan may run twice and a message may be delivered twice."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from apps.audit.models import Action, Event
from apps.core.timeutils import add_working_days
from apps.notifications.models import Notification
from apps.plans.models import ExecutingDepartment
from tests.factories import decide, open_task
from tests.reliability.harness import medium_company
from tests.workflows.test_execution import signed_off
from workflows import services as approvals
from workflows.rhythm import escalation_day, rhythm_due
from workflows.tasks import escalate_rhythm, remind_rhythm, scan_deadlines, scan_rhythm

pytestmark = pytest.mark.django_db


def noon(day):
    return timezone.make_aware(datetime.combine(day, time(12)))


def in_execution(slug):
    world = medium_company(slug)
    plan = signed_off(world, title=f"Rhythm {slug}")
    decide(plan, world.reviewers["Sales"][0], "acknowledge", step="take_up")
    return world, plan, ExecutingDepartment.objects.get(plan=plan)


def proposed(row, moment) -> tuple[bool, bool]:
    """Would a scan at ``moment`` remind this department, and escalate it?"""
    remind, escalate = rhythm_due(moment=moment)
    return row.pk in remind, row.pk in escalate


def rhythm_notes(plan, kind):
    notes = Notification.objects.filter(kind=kind, message__contains=plan.title)
    return sorted((n.key, n.user.username) for n in notes)


def test_a_quiet_department_is_reminded_once_per_period_then_heads_are_told(clock):
    world, plan, row = in_execution("rhythm")
    reviewer, signer = world.reviewers["Sales"][0].username, world.signers[0].username
    due = row.feedback_due

    clock(noon(due))  # the due day itself: nothing owed yet
    assert proposed(row, noon(due)) == (False, False)

    clock(noon(due + timedelta(days=1)))
    assert proposed(row, noon(due + timedelta(days=1))) == (True, False)
    scan_rhythm()
    scan_rhythm()  # the scan runs twice
    remind_rhythm.delay(row.pk)  # and a message is delivered again
    assert rhythm_notes(plan, "feedback_reminder") == [(f"rhythm-remind:{row.pk}:{due}", reviewer)]
    [event] = Event.objects.filter(plan_id=plan.pk, action=Action.REMIND)
    assert (event.step, event.actor_id, event.data["reminded"]) == ("feedback", None, [reviewer])

    late = noon(escalation_day(row) + timedelta(days=1))
    clock(late)
    assert proposed(row, late) == (False, True)
    scan_rhythm()
    scan_rhythm()
    escalate_rhythm.delay(row.pk)
    key = f"rhythm-escalate:{row.pk}:{due}"
    assert rhythm_notes(plan, "feedback_overdue") == sorted(
        [(key, world.planner.username), (key, signer)]
    )
    assert Event.objects.filter(plan_id=plan.pk, action=Action.ESCALATE).count() == 1
    assert rhythm_notes(plan, "feedback_reminder") == [(f"rhythm-remind:{row.pk}:{due}", reviewer)]

    # feedback starts a new period: the next quiet period is reminded again, once
    approvals.feedback_file(
        actor=world.reviewers["Sales"][0], plan_id=plan.pk, kind="competitors", text="Quiet."
    )
    row.refresh_from_db()
    assert row.feedback_due > due
    clock(noon(row.feedback_due + timedelta(days=1)))
    scan_rhythm()
    scan_rhythm()
    assert len(rhythm_notes(plan, "feedback_reminder")) == 2


def test_feedback_in_time_means_no_reminder(clock):
    world, plan, row = in_execution("ontime")
    approvals.feedback_file(
        actor=world.reviewers["Sales"][0], plan_id=plan.pk, kind="opinions", text="Fine."
    )
    row.refresh_from_db()
    clock(noon(row.feedback_due))
    assert proposed(row, noon(row.feedback_due)) == (False, False)
    scan_rhythm()
    assert rhythm_notes(plan, "feedback_reminder") == []


def test_a_closed_plan_owes_no_feedback(clock):
    world, plan, row = in_execution("closedrhythm")
    approvals.plan_close(actor=world.planner, plan_id=plan.pk, summary="Done.")
    late = noon(escalation_day(row) + timedelta(days=5))
    clock(late)
    assert proposed(row, late) == (False, False)
    remind_rhythm.delay(row.pk)
    escalate_rhythm.delay(row.pk)
    assert rhythm_notes(plan, "feedback_reminder") == rhythm_notes(plan, "feedback_overdue") == []


def test_marketing_hears_of_feedback_and_the_reporter_hears_of_the_reply(committed):
    world, plan, _ = in_execution("feednote")
    reviewer = world.reviewers["Sales"][0]
    with committed():
        feedback = approvals.feedback_file(
            actor=reviewer, plan_id=plan.pk, kind="competitors", text="A rival opened next door."
        )
    [note] = Notification.objects.filter(key=f"feedback:{feedback.pk}")
    assert note.user == world.planner
    assert note.message == f"Sales reports competitors on “{plan.title}”."
    assert "A rival opened next door." in note.detail
    with committed():
        reply = approvals.feedback_reply(
            actor=world.planner, feedback_id=feedback.pk, text="Noted."
        )
    assert [n.user for n in Notification.objects.filter(key=f"reply:{reply.pk}")] == [reviewer]


def test_take_up_has_the_company_deadline_and_is_escalated_like_a_review(clock):
    world = medium_company("takeupdue")
    world.company.takeup_days = 4
    world.company.save()
    plan = signed_off(world, title="Take-up deadline")
    task = open_task(plan, step="take_up")
    assert task.deadline.due_at == add_working_days(task.created, 4)
    clock(task.deadline.due_at + timedelta(hours=1))
    scan_deadlines()
    [event] = Event.objects.filter(plan_id=plan.pk, action=Action.ESCALATE)
    assert (event.step, event.data["escalated_to"]) == ("take_up", [world.signers[0].username])
