"""The feedback rhythm through a real broker and a real worker: one reminder per period.

Needs Redis (CELERY_BROKER_URL) and PostgreSQL (DATABASE_URL); skips otherwise.
"""

from datetime import timedelta

import pytest

from apps.audit.models import Action, Event
from apps.core.timeutils import now
from apps.notifications.models import Notification
from apps.plans.models import ExecutingDepartment
from tests.factories import decide
from tests.reliability.harness import medium_company
from tests.workflows.test_execution import signed_off
from workflows.tasks import remind_rhythm, scan_rhythm

pytestmark = [
    pytest.mark.broker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.timeout(180),
]


def test_a_quiet_department_is_reminded_once_by_a_real_worker(broker, workers):
    world = medium_company("rhythmworker")
    plan = signed_off(world, title="Rhythm through Redis")
    decide(plan, world.reviewers["Sales"][0], "acknowledge", step="take_up")
    row = ExecutingDepartment.objects.get(plan=plan)
    due = (now() - timedelta(days=2)).date()  # the period passed without feedback
    ExecutingDepartment.objects.filter(pk=row.pk).update(feedback_due=due)
    key = f"rhythm-remind:{row.pk}:{due}"

    workers.start("rhythm")
    scan_rhythm.delay()
    scan_rhythm.delay()  # two beats by mistake
    remind_rhythm.delay(row.pk)  # and a duplicated message
    workers.wait_for(lambda: Notification.objects.filter(key=key).exists(), "the reminder")
    workers.settle("every rhythm task")

    assert list(Notification.objects.filter(key=key).values_list("user__username", flat=True)) == [
        world.reviewers["Sales"][0].username
    ]
    reminders = Event.objects.filter(plan_id=plan.pk, action=Action.REMIND, step="feedback")
    assert reminders.count() == 1
    row.refresh_from_db()
    assert row.reminded_for == due
