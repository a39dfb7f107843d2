"""The lean gateways (workflows.gateways) leave the same tasks behind as viewflow's own.

Inside a service, Greenlight's start, switches, splits and joins write fewer rows and
skip viewflow's savepoints. The same journeys run twice, once with them and once with
viewflow's gateways, and must leave the same process behind: every task with its node,
status, token, owner, the tasks before it and whether it was started and finished, and
the plan with the same status and history. The journeys cover what a gateway decides:
parallel regions joined, a request for changes that closes the other region's review,
forecasts, sign-off, take-up into execution, the close, and a rejection that ends the
flow.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from apps.audit.models import Event
from apps.plans.models import Status
from tests.factories import decide, draft, forecast, submitted
from tests.reliability.harness import large_company, medium_company
from workflows import gateways
from workflows import services as approvals
from workflows.models import ApprovalTask

pytestmark = pytest.mark.django_db


def _process_shape(plan) -> list[tuple]:
    """The plan's tasks as comparable rows: ids become positions, in tokens too."""
    tasks = list(
        ApprovalTask.objects.filter(process__planprocess__plan=plan)
        .select_related("owner")
        .prefetch_related("previous")
        .order_by("id")
    )
    position = {task.pk: n for n, task in enumerate(tasks)}

    def token(value) -> str:
        return re.sub(r"/(\d+)_", lambda m: f"/#{position[int(m.group(1))]}_", str(value))

    return [
        (
            task.flow_task.name,
            task.status,
            token(task.token),
            sorted(position[p.pk] for p in task.previous.all()),
            task.started is not None,
            task.finished is not None,
            task.owner.username if task.owner else None,
        )
        for task in tasks
    ]


def _outcome(plan) -> dict:
    plan.refresh_from_db()
    return {
        "status": plan.status,
        "process": plan.process.status,
        "tasks": _process_shape(plan),
        "history": [
            (e.action, e.actor_name, e.step, e.from_status, e.to_status)
            for e in Event.objects.filter(plan_id=plan.pk).order_by("seq")
        ],
    }


def _regions_then_execution(world, title: str):
    east, west = (people[0] for people in world.reviewers.values())
    plan = submitted(world.planner, title=title)
    decide(plan, east, "request_changes", "Prices for the east.", department="Eastern Sales")
    approvals.plan_submit(actor=world.planner, plan_id=plan.pk)
    decide(plan, east, "approve", department="Eastern Sales")
    decide(plan, west, "approve", department="Western Sales")
    decide(plan, world.signers[0], "approve", step="sign_off")
    for department, people in world.reviewers.items():
        decide(plan, people[0], "acknowledge", step="take_up", department=department)
    approvals.plan_close(actor=world.planner, plan_id=plan.pk, summary="Sold through.")
    return plan


def _forecasts_then_rejection(world, title: str):
    (sales,) = (people[0] for people in world.reviewers.values())
    plan = draft(
        world.planner,
        title=title,
        kind="sales_target",
        content={
            "period": "2027 H2",
            "target": "125000",
            "market_forecast": "130000",
            "execution_monitoring": "Monthly sell-out reports",
        },
    )
    approvals.plan_submit(actor=world.planner, plan_id=plan.pk)
    forecast(plan, sales, "120000")
    decide(plan, sales, "approve")
    decide(plan, world.signers[0], "reject", "Not this season.", step="sign_off")
    return plan


JOURNEYS: dict[str, tuple[Callable, Callable]] = {
    "large: regions, changes, execution, close": (large_company, _regions_then_execution),
    "medium: forecasts, sign-off rejects": (medium_company, _forecasts_then_rejection),
}


@pytest.mark.parametrize("journey", JOURNEYS)
def test_the_lean_gateways_leave_the_process_viewflow_would(journey, monkeypatch):
    build, walk = JOURNEYS[journey]
    world = build("lean")
    lean = walk(world, "With the lean gateways")
    monkeypatch.setattr(gateways, "_lean", lambda: False)
    plain = walk(world, "With viewflow's gateways")

    assert _outcome(lean) == _outcome(plain)
    assert _outcome(lean)["status"] in (Status.CLOSED, Status.REJECTED)
    assert any(row[0] == "join_reviews" for row in _outcome(lean)["tasks"])


def test_a_join_waiting_for_a_region_is_saved_started_and_done_when_the_last_arrives():
    world = large_company("waits")
    east, west = (people[0] for people in world.reviewers.values())
    plan = submitted(world.planner)
    decide(plan, east, "approve", department="Eastern Sales")

    join = ApprovalTask.objects.get(
        process__planprocess__plan=plan, flow_task__endswith="join_reviews"
    )
    assert (join.status, join.started is not None, join.finished) == ("STARTED", True, None)
    assert plan.status == Status.IN_REVIEW

    decide(plan, west, "approve", department="Western Sales")
    join.refresh_from_db()
    assert join.status == "DONE" and join.finished is not None
    assert sorted(t.data["department_name"] for t in join.previous.all()) == [
        "Eastern Sales",
        "Western Sales",
    ]
    assert plan.status == Status.AWAITING_SIGNOFF
