"""The baselines of a lifecycle: bare viewflow on the same route, and the floor (plain ORM).

Both do what Greenlight's lifecycle does in shape and nothing of its project logic:
create a document, submit it (start a process that opens one review task), the review
approves, the sign-off approves, and the take-up task opens. No access checks, no
revisions, no decisions, no history, no notifications.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.lock import SelectForUpdateLock
from viewflow.workflow.models import Process, Task

from .models import FloorEvent, FloorPlan


def _no_page(request, **kwargs):
    return HttpResponse()


class BareFlow(flow.Flow):
    """Greenlight's route, node for node up to the take-up, with viewflow's defaults."""

    process_class = Process
    task_class = Task
    # a waiting row lock on the process, as Greenlight's (viewflow's default NOWAIT retries)
    lock_impl = SelectForUpdateLock(nowait=False)

    start = flow.StartHandle(this.start_process).Next(this.split_reviews)
    split_reviews = flow.Split().Next(this.review)
    review = flow.View(_no_page).Next(this.join_reviews)
    join_reviews = flow.Join().Next(this.check_reviews)
    check_reviews = flow.Switch().Case(this.sign_off, this.review_approved).Default(this.rejected)
    sign_off = flow.View(_no_page).Next(this.check_sign_off)
    check_sign_off = flow.Switch().Case(this.split_take_up, this.signed_off).Default(this.rejected)
    split_take_up = flow.Split().Next(this.take_up)
    take_up = flow.View(_no_page).Next(this.join_take_up)
    join_take_up = flow.Join().Next(this.execution)
    execution = flow.Handle().Next(this.closed)
    closed = flow.End()
    rejected = flow.End()

    def start_process(self, activation, plan_id):
        activation.process.data = {"plan_id": plan_id}
        return activation.process

    def _last_outcome(self, activation, node) -> str:
        task = Task.objects.filter(process=activation.process, flow_task=node).last()
        return task.data.get("outcome", "") if task else ""

    def review_approved(self, activation):
        return self._last_outcome(activation, BareFlow.review) == "approve"

    def signed_off(self, activation):
        return self._last_outcome(activation, BareFlow.sign_off) == "approve"


# Bare viewflow: the document is a plain row; the route is viewflow's.


def bare_create(*, title: str) -> int:
    return FloorPlan.objects.create(title=title, status="draft", updated_at=timezone.now()).pk


def bare_submit(*, plan_id: int) -> Any:
    with transaction.atomic():
        return BareFlow.start.run(plan_id=plan_id)


def bare_open_task(process: Any, node: Any) -> int:
    return Task.objects.get(process=process, flow_task=node, status="NEW").pk


def bare_decide(*, process_pk: int, task_pk: int, actor: Any, outcome: str) -> None:
    with transaction.atomic(), BareFlow.lock(process_pk):
        task = Task.objects.get(pk=task_pk)
        activation = task.flow_task.activation_class(task)
        activation.assign(actor)
        task.data["outcome"] = outcome
        activation.start(None)
        activation.execute()


# The floor: what a status pipeline with history costs on the plain ORM.


def floor_create(*, title: str, actor_id: int) -> int:
    moment = timezone.now()
    plan = FloorPlan.objects.create(title=title, status="draft", updated_at=moment)
    FloorEvent.objects.create(
        plan=plan,
        action="create",
        actor_id=actor_id,
        from_status="",
        to_status="draft",
        created_at=moment,
    )
    return plan.pk


def floor_step(*, plan_id: int, actor_id: int, action: str, source: str, target: str) -> None:
    with transaction.atomic():
        plan = FloorPlan.objects.select_for_update().get(pk=plan_id)
        if plan.status != source:
            raise RuntimeError(f"plan {plan_id} is {plan.status}, not {source}")
        plan.status, plan.updated_at = target, timezone.now()
        plan.save(update_fields=["status", "updated_at"])
        FloorEvent.objects.create(
            plan=plan,
            action=action,
            actor_id=actor_id,
            from_status=source,
            to_status=target,
            created_at=plan.updated_at,
        )
