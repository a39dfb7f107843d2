"""The chain under real concurrency, and ``flush`` past the triggers (transactional tests)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction

from apps.audit import guard
from apps.audit.models import Action, ChainHead, Event
from apps.audit.services import event_record
from apps.org.models import Company
from apps.plans.models import Status
from tests.factories import draft, open_task
from workflows import services as approvals

from .helpers import assert_chained, chain_of, verify_audit

THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_trail_and_puts_the_triggers_back():
    company = Company.objects.create(name="Flush Ltd", slug="flush", size="small")
    with transaction.atomic():
        event_record(company_id=company.pk, action=Action.ORG_CHANGE, data={"what": "test"})
    call_command("flush", interactive=False, verbosity=0)
    assert (Event.objects.count(), ChainHead.objects.count()) == (0, 0)
    assert guard.missing(connection) == []


@pytest.mark.reliability
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL: SQLite takes one database-wide write lock, so there is no "
    "row-lock race to lose; run with DATABASE_URL=postgres://...",
)
@pytest.mark.django_db(transaction=True)
def test_twenty_threads_acting_on_different_plans_of_one_company_keep_one_chain(world):
    users = get_user_model().objects
    planner, sales = users.get(username="maple.planner"), users.get(username="maple.sales")
    plans = [draft(planner, title=f"Regional push {n}") for n in range(THREADS)]
    company_id = plans[0].company_id
    head_before = ChainHead.objects.get(company_id=company_id)
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def act(plan) -> None:
        try:
            start.wait(timeout=30)
            approvals.plan_submit(actor=planner, plan_id=plan.pk)
            task = open_task(plan, step="review")
            approvals.task_decide(actor=sales, task_id=task.pk, outcome="approve")
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    new = chain_of(company_id)[head_before.seq :]
    assert len(new) == 2 * THREADS
    assert sorted(e.action for e in new) == ["approve"] * THREADS + ["submit"] * THREADS
    assert_chained(new, after=head_before)
    head = ChainHead.objects.get(company_id=company_id)
    assert (head.seq, head.hash) == (new[-1].seq, new[-1].hash)
    for plan in plans:
        plan.refresh_from_db()
        assert plan.status == Status.AWAITING_SIGNOFF
    assert verify_audit()[0]
