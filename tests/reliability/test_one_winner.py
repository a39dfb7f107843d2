"""One winner per transition: many people complete the same review task at the same instant.

Twenty reviewers of the same sales department decide the same review, released together by a
barrier, through the three doors a decision can come in by: the service itself, the web page
and the API. Exactly one decision counts; everybody else is told, cleanly, that somebody was
faster: a ``Conflict`` from the service, a readable page in the web UI, a 409 from the API.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from viewflow.workflow.lock import no_lock
from viewflow.workflow.status import STATUS

from apps.audit.models import Event
from apps.core.errors import Conflict
from apps.plans.models import Decision, Plan, Status
from tests.factories import open_task, submitted
from workflows import services as approvals
from workflows.flows import PlanApprovalFlow
from workflows.models import ApprovalTask
from workflows.rules import OPEN_STATUSES

from .figures import record
from .harness import POSTGRES_ONLY, medium_company, rounds

pytestmark = [pytest.mark.reliability, POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]

THREADS = 20
ROUNDS = rounds(50)
PARALLEL = 2  # rounds side by side, one per company
# Every round, three reviewers decide on the web page, three through the API, the rest call
# the service (web requests cost the most, and the doors meet at the same service).
DOORS = ("web",) * 3 + ("api",) * 3 + ("service",) * (THREADS - 6)
FINISHED = "This task is already finished."


def _service(user, task_id):
    def job():
        try:
            approvals.task_decide(actor=user, task_id=task_id, outcome="approve")
        except Conflict as error:
            return "conflict", error.message
        return "win", ""

    return job


def _web(client, task_id):
    def job():
        response = client.post(f"/tasks/{task_id}/", {"outcome": "approve", "comment": ""})
        if response.status_code == 302:
            return "win", response["Location"]
        body = response.content.decode()
        if response.status_code == 200 and FINISHED in body:
            return "conflict", FINISHED
        shown = re.findall(r'<ul class="errorlist[^"]*">(.*?)</ul>', body, re.S)
        return "other", f"web {response.status_code}: {shown[:2]}"

    return job


def _api(client, task_id):
    def job():
        response = client.post(f"/api/tasks/{task_id}/decide/", {"outcome": "approve"}, "json")
        if response.status_code == 200:
            return "win", ""
        if response.status_code == 409 and response.json()["error"]["code"] == "conflict":
            return "conflict", response.json()["error"]["message"]
        return "other", f"api {response.status_code}: {response.content[:200]!r}"

    return job


def _doors(reviewers):
    """Each reviewer comes in by one door: the web page, the API or the service."""
    doors = []
    for channel, reviewer in zip(DOORS, reviewers, strict=True):
        if channel == "web":
            client = Client()
            client.force_login(reviewer)
            doors.append((channel, reviewer, client))
        elif channel == "api":
            client = APIClient()
            token = Token.objects.create(user=reviewer)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
            doors.append((channel, reviewer, client))
        else:
            doors.append((channel, reviewer, None))
    return doors


def _job(door, task_id):
    channel, reviewer, client = door
    if channel == "web":
        return _web(client, task_id)
    if channel == "api":
        return _api(client, task_id)
    return _service(reviewer, task_id)


def _round_state(plan, task):
    task.refresh_from_db()
    plan.refresh_from_db()
    tasks = ApprovalTask.objects.filter(process__planprocess__plan=plan)
    return {
        "task_status": task.status,
        "task_finished": task.finished is not None,
        "decisions": Decision.objects.filter(task_id=task.pk).count(),
        "decision_events": Event.objects.filter(plan_id=plan.pk, task_id=task.pk).count(),
        "sign_offs": tasks.filter(flow_task=PlanApprovalFlow.sign_off).count(),
        "open_sign_offs": tasks.filter(
            flow_task=PlanApprovalFlow.sign_off, status__in=OPEN_STATUSES
        ).count(),
        "open_reviews": tasks.filter(
            flow_task=PlanApprovalFlow.review, status__in=OPEN_STATUSES
        ).count(),
        "status": plan.status,
    }


EXPECTED = {
    "task_status": STATUS.DONE,
    "task_finished": True,
    "decisions": 1,
    "decision_events": 1,
    "sign_offs": 1,
    "open_sign_offs": 1,
    "open_reviews": 0,
    "status": Status.AWAITING_SIGNOFF,
}


def _prepare(company, doors):
    """A fresh plan of ``company``: every reviewer will decide its review at once."""
    plan = submitted(company.planner)
    task = open_task(plan, step="review")
    events_before = Event.objects.filter(plan_id=plan.pk).count()
    return plan, task, events_before, [_job(door, task.pk) for door in doors]


def _judge(plan, task, events_before, doors, outcomes):
    results = []
    for door, outcome in zip(doors, outcomes, strict=True):
        if outcome.ok:
            results.append((door[0], *outcome.value))
        else:
            results.append((door[0], "other", f"{type(outcome.error).__name__}: {outcome.error}"))
    state = _round_state(plan, task)
    state["events_added"] = Event.objects.filter(plan_id=plan.pk).count() - events_before
    winner = Decision.objects.filter(task_id=task.pk).values_list("actor_id", flat=True).first()
    state["winner_is_the_one_told_so"] = [
        door[1].pk for door, result in zip(doors, results, strict=True) if result[1] == "win"
    ] == [winner]
    return results, state


def test_twenty_reviewers_deciding_one_review_at_once_leave_exactly_one_winner(crew, queued):
    """Rounds run two at a time, in two companies: each plan's twenty reviewers are released
    together (the other company's round only adds to the load)."""
    companies = [medium_company(f"race{i}", reviewers=THREADS) for i in range(PARALLEL)]
    doors = [_doors(company.reviewers_of("Sales")) for company in companies]
    # What one uncontested decision queues, to compare each round against.
    plan = submitted(companies[0].planner)
    before = len(queued)
    approvals.task_decide(
        actor=companies[0].reviewers_of("Sales")[0],
        task_id=open_task(plan, step="review").pk,
        outcome="approve",
    )
    one_decision_queues = len(queued) - before

    threads = crew(THREADS * PARALLEL)
    tally: Counter = Counter()
    bad_rounds = []
    expected = EXPECTED | {"events_added": 1, "winner_is_the_one_told_so": True}
    started = time.monotonic()
    for number in range(max(1, ROUNDS // PARALLEL)):
        races = [_prepare(company, door) for company, door in zip(companies, doors, strict=True)]
        queued_before = len(queued)
        outcomes = threads.run([job for *_, jobs in races for job in jobs])
        if len(queued) - queued_before != PARALLEL * one_decision_queues:
            bad_rounds.append((number, "queued", len(queued) - queued_before))
        for index, (plan, task, events_before, _) in enumerate(races):
            mine = outcomes[index * THREADS : (index + 1) * THREADS]
            results, state = _judge(plan, task, events_before, doors[index], mine)
            tally.update((channel, kind) for channel, kind, _ in results)
            wins = sum(1 for _, kind, _ in results if kind == "win")
            others = [result for result in results if result[1] == "other"]
            if wins != 1 or others or state != expected:
                bad_rounds.append((number, wins, others[:3], state))
    elapsed = time.monotonic() - started

    record(
        "one winner",
        threads=THREADS,
        rounds=max(1, ROUNDS // PARALLEL) * PARALLEL,
        winners=sum(n for (_, kind), n in tally.items() if kind == "win"),
        conflicts=sum(n for (_, kind), n in tally.items() if kind == "conflict"),
        by_door={f"{c}/{k}": n for (c, k), n in sorted(tally.items())},
        bad_rounds=len(bad_rounds),
        seconds=round(elapsed, 1),
    )
    assert bad_rounds == []
    assert tally[("service", "conflict")] and tally[("web", "conflict")]
    assert tally[("api", "conflict")]


WAITING_ON_A_LOCK = """
    SELECT count(*) FROM pg_stat_activity
    WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()
"""


def _race_behind_the_plan_row(threads, reviewers, plan, task):
    """Every reviewer decides ``task`` at once while this test holds the plan's row lock, which
    ``task_decide`` takes after reading the task; the lock is let go only once every decider
    waits on a lock. The interleaving is then the same every time, whatever the scheduler does."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                Plan.objects.select_for_update().get(pk=plan.pk)
                held.set()
                release.wait(60)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(30)
    result: dict = {}
    jobs = [_service(reviewer, task.pk) for reviewer in reviewers]
    racer = threading.Thread(target=lambda: result.update(outcomes=threads.run(jobs)))
    racer.start()
    try:
        give_up = time.monotonic() + 60
        with connection.cursor() as cursor:
            while True:
                cursor.execute(WAITING_ON_A_LOCK)
                if cursor.fetchone()[0] >= len(reviewers):
                    break
                assert time.monotonic() < give_up, "the deciders never all waited on a lock"
                time.sleep(0.02)  # polling a condition, not waiting for time to pass
    finally:
        release.set()
        holder.join(30)
        racer.join(120)
    return result["outcomes"]


def _tally(outcomes) -> Counter:
    return Counter(o.value[0] if o.ok else type(o.error).__name__ for o in outcomes)


def test_without_the_flow_lock_the_same_race_goes_wrong(crew, queued, monkeypatch):
    """The control: the race with viewflow's ``no_lock`` instead of the process row lock.

    Without the flow lock the data still comes out right: the plan row lock that
    ``task_decide`` takes makes the losers wait, and the unique ``Decision.task_id`` refuses
    a second decision. But a loser read the task *before* that wait, still open, so it does
    not get a clean ``Conflict``: it crashes on the unique constraint (an IntegrityError, a
    500 in the web UI). The flow lock is taken before the task is read, which is what turns
    every loser into a clean conflict: the same choreography with the lock is the second half.
    """
    company = medium_company("nolock", reviewers=THREADS)
    reviewers = company.reviewers_of("Sales")
    threads = crew(THREADS)

    with monkeypatch.context() as unlocked:
        unlocked.setattr(PlanApprovalFlow, "lock_impl", no_lock)
        plan = submitted(company.planner)
        task = open_task(plan, step="review")
        without = _tally(_race_behind_the_plan_row(threads, reviewers, plan, task))
        without_state = _round_state(plan, task)

    plan = submitted(company.planner)
    task = open_task(plan, step="review")
    outcomes = _race_behind_the_plan_row(threads, reviewers, plan, task)
    with_lock = _tally(outcomes)
    record(
        "one winner without the flow lock (control)",
        threads=THREADS,
        without_lock=dict(without),
        with_lock=dict(with_lock),
        data_correct=without_state == EXPECTED,
    )
    assert without == Counter({"win": 1, "IntegrityError": THREADS - 1})
    assert without_state == EXPECTED  # the database itself still refused the second decisions
    assert with_lock == Counter({"win": 1, "conflict": THREADS - 1})
    assert {o.value[1] for o in outcomes if o.value[0] == "conflict"} == {FINISHED}
    assert _round_state(plan, task) == EXPECTED
