"""A fast bulk loader: N plans in one company, cloned from plans made through the services.

A handful of template plans go through Greenlight's real services (a draft, a plan in
review, one claimed by the reviewer, one awaiting sign-off, one signed off and waiting
for its take-up), so every row has the shape the engine writes. Then each template is
copied in bulk, batch by batch: the plan, its process, tasks, deadlines (with their
template's facts and the copy's plan: the same company, author, step and permission),
revision, decisions, executing departments and its history, topped up with draft edits to
``events_per_plan`` events (appended to the company's hash chain with COPY on
PostgreSQL). A fifth of the open tasks are overdue.
"""

from __future__ import annotations

import random
import time
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from viewflow.workflow.models import Process

from apps.audit.models import Action, Event
from apps.audit.services import events_record_many
from apps.plans import services as plan_services
from apps.plans.models import Decision, ExecutingDepartment, Plan, PlanRevision
from workflows import rules, services
from workflows.flows import PlanApprovalFlow
from workflows.models import ApprovalTask, PlanProcess, TaskDeadline

# (template, share of the plans)
MIX = (
    ("draft", 0.10),
    ("in_review", 0.35),
    ("claimed", 0.05),
    ("awaiting_signoff", 0.15),
    ("take_up", 0.35),
)
BATCH = 2000


def _open(plan: Plan, node: Any) -> ApprovalTask:
    return ApprovalTask.objects.get(rules.open_q(), process__planprocess__plan=plan, flow_task=node)


def templates(world: Any) -> dict[str, Plan]:
    """One plan of each shape, through the services."""
    made = {}
    for name, _ in MIX:
        plan = plan_services.plan_create(
            actor=world.planner, title=f"Template {name}", **world.fields
        )
        made[name] = plan
        if name == "draft":
            continue
        services.plan_submit(actor=world.planner, plan_id=plan.pk)
        review = _open(plan, PlanApprovalFlow.review)
        if name == "claimed":
            services.task_claim(actor=world.sales, task_id=review.pk)
        if name in ("awaiting_signoff", "take_up"):
            services.task_decide(actor=world.sales, task_id=review.pk, outcome="approve")
        if name == "take_up":
            sign_off = _open(plan, PlanApprovalFlow.sign_off)
            signer = rules.users_who_may_act(sign_off).order_by("id").first()
            services.task_decide(actor=signer, task_id=sign_off.pk, outcome="approve")
    return made


def _copy(instance: Any, **changes: Any) -> Any:
    """A new unsaved instance with the same concrete field values, ``changes`` applied."""
    model = type(instance)
    values = {
        f.attname: getattr(instance, f.attname)
        for f in model._meta.concrete_fields
        if not f.primary_key
    }
    values.update(changes)
    return model(**values)


@contextmanager
def _own_timestamps():
    """Let the loader set ``created_at``/``updated_at`` (auto_now would stamp them all alike)."""
    fields = [Plan._meta.get_field("created_at"), Plan._meta.get_field("updated_at")]
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


class Template:
    """Everything one template plan has in the database, read once."""

    def __init__(self, plan: Plan) -> None:
        self.plan = Plan.objects.get(pk=plan.pk)
        self.process = Process.objects.filter(planprocess__plan=plan).first()
        self.tasks = list(ApprovalTask.objects.filter(process=self.process).order_by("id"))
        self.deadlines = list(TaskDeadline.objects.filter(task__in=self.tasks))
        self.revisions = list(PlanRevision.objects.filter(plan=plan))
        self.decisions = list(Decision.objects.filter(plan=plan))
        self.executing = list(ExecutingDepartment.objects.filter(plan=plan))
        self.events = list(Event.objects.filter(plan_id=plan.pk).order_by("id"))


def load(world: Any, *, plans: int, events_per_plan: int = 11, seed: int = 13) -> dict:
    """Fill the database up to ``plans`` plans (templates included) in the world's company."""
    rng = random.Random(seed + plans)
    began = time.perf_counter()
    made = {name: Template(plan) for name, plan in templates(world).items()}
    users = {u.pk: u for u in (world.planner, world.sales, *world.others)}
    shapes = [name for name, share in MIX for _ in range(round(share * 100))]
    remaining = max(plans - Plan.objects.count(), 0)
    events = 0
    with _own_timestamps():
        while remaining:
            size = min(BATCH, remaining)
            events += _batch(
                made, [rng.choice(shapes) for _ in range(size)], users, rng, events_per_plan
            )
            remaining -= size
    if connection.vendor == "postgresql":
        # what autovacuum would have done to tables this size before anyone read them:
        # statistics, and the visibility map that index-only scans read
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    return {
        "plans": Plan.objects.count(),
        "events": Event.objects.count(),
        "seconds": round(time.perf_counter() - began, 1),
    }


def _batch(made: dict, shapes: list[str], users: dict, rng: random.Random, per_plan: int) -> int:
    moment = timezone.now()
    with transaction.atomic():
        plan_rows = []
        for n, shape in enumerate(shapes):
            created = moment - timedelta(days=rng.uniform(0, 700), seconds=n)
            plan_rows.append(
                _copy(
                    made[shape].plan,
                    title=f"{made[shape].plan.title} {rng.randrange(10**9)}",
                    created_at=created,
                    updated_at=created + timedelta(hours=rng.uniform(0, 90)),
                )
            )
        Plan.objects.bulk_create(plan_rows)
        pairs = [(made[shape], plan) for shape, plan in zip(shapes, plan_rows, strict=True)]
        with_process = [(t, p) for t, p in pairs if t.process is not None]
        processes = Process.objects.bulk_create(
            [_copy(t.process, created=p.created_at) for t, p in with_process]
        )
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {PlanProcess._meta.db_table} (process_ptr_id, plan_id) "  # noqa: S608
                "VALUES (%s, %s)",
                [(proc.pk, p.pk) for proc, (_, p) in zip(processes, with_process, strict=True)],
            )
        task_rows, task_keys = [], []
        for proc, (t, _) in zip(processes, with_process, strict=True):
            for task in t.tasks:
                task_rows.append(_copy(task, process_id=proc.pk))
                task_keys.append((proc.pk, task.pk))
        ApprovalTask.objects.bulk_create(task_rows)
        new_task = {key: row for key, row in zip(task_keys, task_rows, strict=True)}
        proc_of = {p.pk: proc.pk for proc, (_, p) in zip(processes, with_process, strict=True)}
        deadlines, revisions, executing = [], [], []
        for t, p in pairs:
            for d in t.deadlines:
                task = new_task[(proc_of[p.pk], d.task_id)]
                due = moment + timedelta(days=rng.uniform(-3, 12))
                deadlines.append(_copy(d, task_id=task.pk, due_at=due, plan_id=p.pk))
            revisions += [_copy(r, plan_id=p.pk) for r in t.revisions]
            executing += [_copy(e, plan_id=p.pk) for e in t.executing]
        TaskDeadline.objects.bulk_create(deadlines)
        PlanRevision.objects.bulk_create(revisions)
        ExecutingDepartment.objects.bulk_create(executing)
        revision_of = {r.plan_id: r.pk for r in revisions}
        Decision.objects.bulk_create(
            [
                _copy(
                    d,
                    plan_id=p.pk,
                    revision_id=revision_of[p.pk],
                    task_id=new_task[(proc_of[p.pk], d.task_id)].pk,
                )
                for t, p in pairs
                for d in t.decisions
            ]
        )
        rows = list(_events(pairs, proc_of, new_task, users, per_plan))
        company_id = pairs[0][1].company_id
        events_record_many(company_id=company_id, events=iter(rows))
    return len(rows)


def _events(pairs, proc_of, new_task, users, per_plan):
    for t, p in pairs:
        base = p.created_at
        padding = max(per_plan - len(t.events), 0)
        for n in range(padding):
            yield {
                "action": Action.EDIT,
                "actor": users.get(p.author_id),
                "plan_id": p.pk,
                "comment": f"Draft edit {n + 1}",
                "data": {"fields": ["content"]},
                "created_at": base + timedelta(minutes=n),
            }
        for n, e in enumerate(t.events):
            task_id = None
            if e.task_id is not None and p.pk in proc_of:
                task = new_task.get((proc_of[p.pk], e.task_id))
                task_id = task.pk if task else None
            yield {
                "action": e.action,
                "actor": users.get(e.actor_id),
                "plan_id": p.pk,
                "task_id": task_id,
                "step": e.step,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "comment": e.comment,
                "revision": e.revision,
                "data": e.data,
                "created_at": base + timedelta(minutes=padding + n),
            }
