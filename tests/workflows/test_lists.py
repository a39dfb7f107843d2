"""The queue and the inbox: overdue first, then by due date, and the indexes they walk."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.utils import timezone

from tests.factories import open_task, submitted
from workflows import services as approvals
from workflows.models import TaskDeadline
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
    assert "deadline_company_due" in indexes["workflows_taskdeadline"]
    assert "plan_company_recent" in indexes["plans_plan"]
