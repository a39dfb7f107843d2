"""Decisions that exclude each other, and decisions that must all count, at the same instant."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from viewflow.workflow.status import PROCESS

from apps.audit.models import Action, Event
from apps.core.errors import Conflict
from apps.plans.models import Decision, Status
from tests.factories import open_task, submitted
from workflows import services as approvals
from workflows.flows import PlanApprovalFlow
from workflows.models import ApprovalTask, PlanProcess
from workflows.rules import OPEN_STATUSES

from .figures import record
from .harness import POSTGRES_ONLY, large_company, medium_company, rounds

pytestmark = [pytest.mark.reliability, POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]

FINAL_ROUNDS = rounds(20)
JOIN_ROUNDS = rounds(200)
CLOSING_ROUNDS = rounds(20)
# Rounds run side by side, one per company (each plan's East and West still decide at the same
# instant); the database works on one while Python prepares another.
PARALLEL = 4


def _attempt(action):
    def job():
        try:
            action()
        except Conflict as error:
            return "refused", error.message
        return "done", ""

    return job


def _census(plan) -> Counter:
    """How many tasks of each node the plan has: ``review``, and ``review open``."""
    census: Counter = Counter()
    for task in ApprovalTask.objects.filter(process__planprocess__plan=plan).only(
        "flow_task", "status"
    ):
        census[task.flow_task.name] += 1
        census[f"{task.flow_task.name} open"] += task.status in OPEN_STATUSES
    return census


def _tasks(plan, node=None, *, open_only=False):
    tasks = ApprovalTask.objects.filter(process__planprocess__plan=plan)
    if node is not None:
        tasks = tasks.filter(flow_task=node)
    if open_only:
        tasks = tasks.filter(status__in=OPEN_STATUSES)
    return tasks


FINAL = {
    # signed off, the plan goes on to sales' take-up (issue 11): the process stays open
    "approve": (Status.APPROVED, Action.SIGN_OFF, PROCESS.NEW),
    "reject": (Status.REJECTED, Action.REJECT, PROCESS.DONE),
    "cancel": (Status.CANCELLED, Action.CANCEL, PROCESS.CANCELED),
}


def test_approve_reject_and_cancel_at_the_same_moment_end_the_plan_once(crew, queued):
    """Two signers (one approves, one rejects) and the author (cancels) act on a plan awaiting
    sign-off at the same instant: each of the three would end the plan, so one does and the
    other two are refused."""
    company = medium_company("final", signers=2)
    approver, rejecter = company.signers
    reviewer = company.reviewers_of("Sales")[0]
    threads = crew(3)
    winners: Counter = Counter()
    bad = []
    for number in range(FINAL_ROUNDS):
        plan = submitted(company.planner)
        approvals.task_decide(
            actor=reviewer, task_id=open_task(plan, step="review").pk, outcome="approve"
        )
        sign_off = open_task(plan, step="sign_off")
        events_before = Event.objects.filter(plan_id=plan.pk).count()
        jobs = {
            "approve": lambda t=sign_off.pk: approvals.task_decide(
                actor=approver, task_id=t, outcome="approve"
            ),
            "reject": lambda t=sign_off.pk: approvals.task_decide(
                actor=rejecter, task_id=t, outcome="reject", comment="Not this season."
            ),
            "cancel": lambda p=plan.pk: approvals.plan_cancel(
                actor=company.planner, plan_id=p, comment="Withdrawn."
            ),
        }
        outcomes = threads.run([_attempt(job) for job in jobs.values()])
        results = dict(zip(jobs, outcomes, strict=True))
        done = [name for name, o in results.items() if o.ok and o.value[0] == "done"]
        refused = [name for name, o in results.items() if o.ok and o.value[0] == "refused"]
        plan.refresh_from_db()
        new_events = list(
            Event.objects.filter(plan_id=plan.pk)
            .order_by("id")[events_before:]
            .values_list("action", flat=True)
        )
        process = PlanProcess.objects.get(plan=plan)
        winner = done[0] if len(done) == 1 else None
        if winner:
            winners[winner] += 1
        expected = FINAL.get(winner)
        observed = (
            len(done),
            len(refused),
            (plan.status, new_events, process.status),
            _tasks(plan, open_only=True).count(),
            Decision.objects.filter(task_id=sign_off.pk).count(),
        )
        wanted = (
            1,
            2,
            (expected[0], [expected[1]], expected[2]) if expected else None,
            1 if winner == "approve" else 0,  # the take-up of the one sales department
            0 if winner == "cancel" else 1,
        )
        if observed != wanted:
            bad.append((number, {k: (o.value, o.error) for k, o in results.items()}, observed))
    record(
        "approve vs reject vs cancel",
        threads=3,
        rounds=FINAL_ROUNDS,
        outcomes=dict(winners),
        refused=2 * sum(winners.values()),
        bad_rounds=len(bad),
    )
    assert bad == []


def _join_jobs(company, outcomes):
    """A fresh plan of ``company``, and its East and West reviews to decide at once."""
    plan = submitted(company.planner)
    reviews = {t.data["department_name"]: t for t in _tasks(plan, PlanApprovalFlow.review)}
    comment = {"request_changes": "Add the East fair.", "approve": ""}
    jobs = []
    for department, outcome in zip(("Eastern Sales", "Western Sales"), outcomes, strict=True):
        reviewer = company.reviewers_of(department)[0]
        task_id = reviews[department].pk
        jobs.append(
            _attempt(
                lambda r=reviewer, t=task_id, o=outcome: approvals.task_decide(
                    actor=r, task_id=t, outcome=o, comment=comment[o]
                )
            )
        )
    return plan, jobs


def _join_rounds(threads, companies, outcomes):
    """One round per company, all released at the same instant: East and West of each plan
    decide together (the companies' rounds overlap, which only adds to the contention)."""
    rounds = [_join_jobs(company, outcomes) for company in companies]
    results = threads.run([job for _, jobs in rounds for job in jobs])
    for index, (plan, _) in enumerate(rounds):
        plan.refresh_from_db()
        yield plan, results[2 * index : 2 * index + 2]


def test_regional_reviews_finishing_at_the_same_instant_open_exactly_one_sign_off(crew, queued):
    companies = [large_company(f"join{i}") for i in range(PARALLEL)]
    threads = crew(2 * PARALLEL)
    bad = []
    started = time.monotonic()
    for number in range(max(1, JOIN_ROUNDS // PARALLEL)):
        for plan, results in _join_rounds(threads, companies, ("approve", "approve")):
            census = _census(plan)
            observed = (
                [o.value[0] if o.ok else repr(o.error) for o in results],
                census["sign_off"],
                census["sign_off open"],
                census["join_reviews"],
                census["review open"],
                plan.status,
                Event.objects.filter(plan_id=plan.pk, action=Action.APPROVE).count(),
            )
            if observed != (["done", "done"], 1, 1, 1, 0, Status.AWAITING_SIGNOFF, 2):
                bad.append((number, observed))
    done = max(1, JOIN_ROUNDS // PARALLEL) * PARALLEL
    record(
        "parallel join",
        threads=f"2 per plan, {PARALLEL} plans at a time",
        rounds=done,
        both_reviews_counted=done - len(bad),
        sign_off_tasks_per_round=1 if not bad else "see failure",
        bad_rounds=len(bad),
        seconds=round(time.monotonic() - started, 1),
    )
    assert bad == []


def test_a_request_for_changes_racing_an_approval_closes_the_round_once(crew, queued):
    """East asks for changes while West approves: whichever lands first, the round ends with
    exactly one revision for the author and no sign-off; a West approval that arrives after
    East's request finds its review closed and is refused."""
    companies = [large_company(f"closing{i}") for i in range(PARALLEL)]
    threads = crew(2 * PARALLEL)
    bad = []
    orders: Counter = Counter()
    for number in range(max(1, CLOSING_ROUNDS // PARALLEL)):
        for plan, results in _join_rounds(threads, companies, ("request_changes", "approve")):
            east, west = results
            orders["West approved first" if west.value[0] == "done" else "West refused"] += 1
            observed = (
                east.ok and east.value[0],
                west.ok,
                _tasks(plan, PlanApprovalFlow.revise).count(),
                _tasks(plan, PlanApprovalFlow.sign_off).count(),
                _tasks(plan, open_only=True).count(),
                plan.status,
            )
            if observed != ("done", True, 1, 0, 1, Status.CHANGES_REQUESTED):
                bad.append((number, observed, [o.error for o in results]))
    record(
        "request for changes vs approval",
        threads=f"2 per plan, {PARALLEL} plans at a time",
        rounds=max(1, CLOSING_ROUNDS // PARALLEL) * PARALLEL,
        bad_rounds=len(bad),
        **dict(orders),
    )
    assert bad == []
