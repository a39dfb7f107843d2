"""A claim held by someone who may no longer act does not strand the plan."""

from __future__ import annotations

from apps.audit.models import Event
from apps.org import services as org
from apps.org.models import Department, Membership
from apps.plans.models import Status
from tests.factories import open_task, submitted
from workflows import services as approvals
from workflows.selectors import task_queue


def test_a_removed_reviewers_claim_returns_to_the_queue_and_can_be_taken_over(user):
    company = user("maple.gm").membership.company
    sales = Department.objects.get(company=company, name="Sales")
    second = org.member_create(
        actor=user("maple.gm"),
        company=company,
        username="maple.sales2",
        email="",
        first_name="Second",
        last_name="Reviewer",
        password="another-long-password-7",
        department=sales,
        roles={"reviewer"},
    ).user
    plan = submitted(user("maple.planner"))
    task = open_task(plan, step="review")
    approvals.task_claim(actor=user("maple.sales"), task_id=task.pk)
    assert task.pk not in {t.pk for t in task_queue(user=second)}

    org.member_remove(
        actor=user("maple.gm"), membership=Membership.objects.get(user__username="maple.sales")
    )
    assert task.pk in {t.pk for t in task_queue(user=second)}

    approvals.task_decide(actor=second, task_id=task.pk, outcome="approve")
    plan.refresh_from_db()
    assert plan.status == Status.AWAITING_SIGNOFF
    event = Event.objects.filter(plan_id=plan.pk, action="approve").get()
    assert event.actor_name == "maple.sales2"
    assert event.data["took_over_from"] == "maple.sales"
