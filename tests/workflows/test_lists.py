"""The queue and the inbox: overdue first, then by due date, and the indexes they walk."""

from __future__ import annotations

import importlib
from datetime import timedelta

from django.apps import apps
from django.db import connection
from django.utils import timezone

from tests.factories import decide, open_task, submitted
from workflows import services as approvals
from workflows.models import ApprovalTask, TaskDeadline
from workflows.selectors import task_inbox, task_queue


def _due_in(task, hours: float) -> None:
    TaskDeadline.objects.filter(task=task).update(due_at=timezone.now() + timedelta(hours=hours))


def test_the_queue_and_the_inbox_show_overdue_tasks_first_then_the_soonest_due(user):
    planner, sales = user("maple.planner"), user("maple.sales")
    hours = {"later": 30, "long overdue": -20, "soon": 2, "just overdue": -1}
    tasks = {}
    for title, offset in hours.items():
        tasks[title] = open_task(submitted(planner, title=title), step="review")
        _due_in(tasks[title], offset)
    expected = ["long overdue", "just overdue", "soon", "later"]

    queue = [t.process.planprocess.plan.title for t in task_queue(user=sales)]
    assert queue == expected
    assert [t.is_overdue for t in task_queue(user=sales)] == [True, True, False, False]

    for task in tasks.values():
        approvals.task_claim(actor=sales, task_id=task.pk)
    assert [t.process.planprocess.plan.title for t in task_inbox(user=sales)] == expected
    assert not task_queue(user=sales).exists()


def test_the_read_path_indexes_exist(db):
    with connection.cursor() as cursor:
        indexes = {
            table: connection.introspection.get_constraints(cursor, table)
            for table in ("viewflow_task", "workflows_taskdeadline", "plans_plan")
        }
    assert "task_open_by_owner" in indexes["viewflow_task"]
    assert "task_open_by_permission" in indexes["viewflow_task"]
    deadline_indexes = indexes["workflows_taskdeadline"]
    assert {"deadline_open_company_due", "deadline_open_author_own"} <= set(deadline_indexes)
    # the indexes of every row, closed or not, are gone (migration 0007)
    assert not {"deadline_company_due", "deadline_author_own"} & set(deadline_indexes)
    assert "plan_company_recent" in indexes["plans_plan"]


def _deadlines(plan) -> list[tuple[str, str, str, bool]]:
    """The plan's human tasks as (step, department, status, whether its deadline is closed)."""
    tasks = ApprovalTask.objects.filter(
        process__planprocess__plan=plan, flow_task_type="HUMAN"
    ).select_related("deadline")
    return [
        (t.step, t.data.get("department_name", ""), t.status, t.deadline.closed_at is not None)
        for t in tasks.order_by("id")
    ]


def test_a_deadline_closes_with_its_task_decided_or_closed_by_another_regions_decision(user):
    planner, east = user("north.planner"), user("north.sales.east")
    plan = submitted(planner)
    assert _deadlines(plan) == [
        ("review", "Eastern Sales", "NEW", False),
        ("review", "Western Sales", "NEW", False),
    ]
    decided_at = timezone.now()

    decide(plan, east, "request_changes", "No budget for the east.", department="Eastern Sales")

    assert _deadlines(plan) == [
        ("review", "Eastern Sales", "DONE", True),
        ("review", "Western Sales", "CANCELED", True),
        ("revise", "", "ASSIGNED", False),
    ]
    closed = TaskDeadline.objects.filter(plan_id=plan.pk, closed_at__isnull=False)
    assert all(d.closed_at >= decided_at for d in closed)
    # a closed task saved again (its data) leaves its deadline as it closed
    task = ApprovalTask.objects.get(pk=closed[0].task_id)
    task.data["seen"] = True
    task.save()
    assert TaskDeadline.objects.get(pk=closed[0].pk).closed_at == closed[0].closed_at


def test_a_cancelled_plan_closes_every_deadline_outside_any_decision(user):
    planner = user("north.planner")
    plan = submitted(planner)

    approvals.plan_cancel(actor=planner, plan_id=plan.pk, comment="Season moved.")

    assert [row[2:] for row in _deadlines(plan)] == [("CANCELED", True), ("CANCELED", True)]


def test_migration_0006_closes_the_deadlines_of_closed_tasks_only(user):
    planner, east = user("north.planner"), user("north.sales.east")
    plan = decide(submitted(planner), east, "approve", department="Eastern Sales")
    expected = _deadlines(plan)
    assert [row[3] for row in expected] == [True, False]
    TaskDeadline.objects.update(closed_at=None)  # as the rows were before the migration

    importlib.import_module("workflows.migrations.0006_deadline_closed_at").fill(apps, None)

    assert _deadlines(plan) == expected
    done = TaskDeadline.objects.get(plan_id=plan.pk, closed_at__isnull=False)
    assert done.closed_at == done.task.finished
