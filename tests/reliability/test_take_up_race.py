"""Two reviewers of one department take the same plan up at the same instant: one wins.

The loser gets a clean ``Conflict`` (a finished task), never a server error; the plan has one
take-up, one history event for it, and is in execution exactly once.
"""

from __future__ import annotations

import pytest

from apps.audit.models import Event
from apps.core.errors import Conflict
from apps.plans.models import Decision, ExecutingDepartment, Status
from tests.factories import open_task
from tests.workflows.test_execution import signed_off
from workflows import services as approvals

from .figures import record
from .harness import POSTGRES_ONLY, medium_company, rounds

pytestmark = [pytest.mark.reliability, POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]

ROUNDS = rounds(10)


def _take_up(user, task_id):
    def job():
        try:
            approvals.task_decide(actor=user, task_id=task_id, outcome="acknowledge")
        except Conflict as error:
            return "conflict", error.message
        return "win", ""

    return job


def test_two_reviewers_taking_up_at_once_leave_one_winner(crew):
    world = medium_company("takeuprace", reviewers=2)
    first, second = world.reviewers["Sales"]
    threads = crew(2)
    bad, tally = [], {"win": 0, "conflict": 0}
    for number in range(ROUNDS):
        plan = signed_off(world, title=f"Race {number}")
        task = open_task(plan, step="take_up")
        outcomes = threads.run([_take_up(first, task.pk), _take_up(second, task.pk)])
        kinds = sorted(o.value[0] if o.ok else f"error {o.error!r}" for o in outcomes)
        plan.refresh_from_db()
        takeups = Event.objects.filter(plan_id=plan.pk, action="acknowledge").count()
        row = ExecutingDepartment.objects.get(plan=plan)
        if (
            kinds != ["conflict", "win"]
            or plan.status != Status.IN_EXECUTION
            or takeups != 1
            or Decision.objects.filter(task_id=task.pk).count() != 1
            or row.take_up != "acknowledge"
        ):
            bad.append((number, kinds, plan.status, takeups))
        for kind in kinds:
            tally[kind] = tally.get(kind, 0) + 1
    record(
        "take-up race",
        rounds=ROUNDS,
        winners=tally["win"],
        conflicts=tally["conflict"],
        bad_rounds=len(bad),
    )
    assert bad == []
