"""The dashboard's task panel (``selectors.task_panel``): its two compiled statements list
and count what ``task_inbox`` and ``task_queue`` do, for everyone, at every cap, and as
time passes; the API's inbox reads the same pages from the owner's rows as from the walk.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.paginator import EmptyPage

from apps.core.pagination import CappedPaginator
from apps.core.timeutils import now
from apps.org import services as org
from apps.org.models import Department
from tests.factories import decide, member, open_task, submitted
from workflows import rules, selectors
from workflows import services as approvals
from workflows.models import TaskDeadline

pytestmark = pytest.mark.django_db


def _due_in(task, hours: float) -> None:
    TaskDeadline.objects.filter(task=task).update(due_at=now() + timedelta(hours=hours))


def _tasks(user) -> None:
    """Open tasks of every kind in two companies: unclaimed and claimed reviews, some
    overdue, sign-offs, a revision and a stale claim (its owner lost the right)."""
    planner, sales = user("maple.planner"), user("maple.sales")
    for number, hours in enumerate((5, -3, 40, -30, 2)):
        task = open_task(submitted(planner, title=f"Review {number}"), step="review")
        _due_in(task, hours)
        if number % 2:
            approvals.task_claim(actor=sales, task_id=task.pk)
    signed = submitted(planner, title="To sign")
    decide(signed, sales, "approve")
    _due_in(open_task(signed, step="sign_off"), -1)
    decide(submitted(planner, title="Sent back"), sales, "request_changes", "More stores.")
    north = submitted(user("north.planner"), title="North")
    task = open_task(north, step="review", department="Eastern Sales")
    approvals.task_claim(actor=user("north.sales.east"), task_id=task.pk)
    # a claim gone stale: its owner left the company (back in the others' queue)
    company = user("maple.gm").membership.company
    second = member(
        company,
        "maple.sales2",
        "reviewer",
        department=Department.objects.get(company=company, name="Sales"),
    )
    stale = open_task(submitted(planner, title="Stale"), step="review")
    approvals.task_claim(actor=second, task_id=stale.pk)
    org.member_remove(actor=user("maple.gm"), membership=second.membership)


def _expected(person, cap: int, size: int = 10) -> tuple[list, list, dict]:
    """What the panel showed when it was built through the ORM, query by query."""
    inbox, queue = selectors.task_inbox(user=person), selectors.task_queue(user=person)
    moment = now()
    queue_due = [t.deadline.due_at for t in queue[: cap + 1]]
    raw = {
        "inbox": inbox.order_by()[: cap + 1].count(),
        "queue": len(queue_due),
        "overdue": inbox.filter(deadline__due_at__lt=moment).order_by()[: cap + 1].count()
        + sum(1 for due in queue_due if due < moment),
    }
    counts = {name: min(n, cap) for name, n in raw.items()}
    counts["capped"] = [name for name, n in raw.items() if n > cap]
    return [t.pk for t in inbox[:size]], [t.pk for t in queue[:size]], counts


@pytest.mark.parametrize("cap", [100, 2, 1, 0])
def test_the_panel_lists_and_counts_what_the_inbox_and_queue_hold_for_everyone(
    user, monkeypatch, cap
):
    _tasks(user)
    monkeypatch.setattr(selectors, "COUNT_CAP", cap)
    seen = set()
    for person in get_user_model().objects.order_by("pk"):
        panel = selectors.task_panel(user=person, standing=rules.standing_of(person))
        inbox, queue, counts = _expected(person, cap)
        assert [t.pk for t in panel.inbox] == inbox, person.username
        assert [t.pk for t in panel.queue] == queue, person.username
        assert panel.counts == counts, person.username
        # what the page reads of each task came with it
        for task in panel.inbox + panel.queue:
            assert task.process.planprocess.plan.author.username
            seen.add(task.flow_task.step)
    assert {"review", "sign_off", "revise"} <= seen


def test_the_panel_counts_overdue_against_the_moment_it_is_asked(user, monkeypatch):
    sales = user("maple.sales")
    task = open_task(submitted(user("maple.planner"), title="Soon late"), step="review")
    _due_in(task, 1)
    assert selectors.task_panel(user=sales).counts["overdue"] == 0
    later = now() + timedelta(hours=2)
    monkeypatch.setattr(selectors, "now", lambda: later)
    assert selectors.task_panel(user=sales).counts["overdue"] == 1


def test_the_inbox_pages_are_the_same_read_from_the_owners_rows_or_by_the_walk(user, monkeypatch):
    _tasks(user)
    sales = user("maple.sales")
    for number, hours in enumerate((7, -7, 9)):
        task = open_task(submitted(user("maple.planner"), title=f"Held {number}"), step="review")
        _due_in(task, hours)
        approvals.task_claim(actor=sales, task_id=task.pk)
    pages = {}
    for cap in (1000, 2):  # few held (the owner's rows), then more than the cap (the walk)
        monkeypatch.setattr(CappedPaginator, "CAP", cap)
        paginator = CappedPaginator(selectors.task_list(user=sales, scope="inbox"), 2)
        pages[cap] = [[t.pk for t in paginator.page(number)] for number in (1, 2, 3)]
        assert paginator.capped is (cap == 2)
    assert pages[1000] == pages[2]
    assert [pk for page in pages[1000] for pk in page] == [
        t.pk for t in selectors.task_inbox(user=sales)
    ]


def test_the_api_inbox_of_someone_who_holds_nothing_is_empty(user, login):
    _tasks(user)
    body = login("maple.gm").get("/api/tasks/?scope=inbox").json()
    assert body["count"] == 0 and body["results"] == [] and body["count_is_exact"]


def test_the_next_steps_of_a_list_are_each_plans_current_steps(user):
    from apps.plans.models import Plan

    _tasks(user)
    plans = list(Plan.objects.select_related("company").order_by("pk"))
    for count in (len(plans), 1):  # two numbers of plans: two compiled statements
        listed = selectors.plans_next_steps(plans[:count])
        for plan in listed:
            steps = selectors.current_steps(plan=plan)
            assert [(s.task.pk, s.step, s.assignee, s.due_at, s.candidates) for s in steps] == [
                (s.task.pk, s.step, s.assignee, s.due_at, s.candidates) for s in plan.next_steps
            ]
    assert any(plan.next_steps for plan in listed)


def test_the_feedback_owed_on_a_dashboard_is_the_first_of_feedback_owed(user):
    from apps.plans.models import Plan, Status

    _tasks(user)
    plan = decide(Plan.objects.get(title="To sign"), user("maple.gm"), "approve", step="sign_off")
    assert plan.executing_departments.exists()
    Plan.objects.filter(pk=plan.pk).update(status=Status.IN_EXECUTION)
    owing = set()
    for person in get_user_model().objects.order_by("pk"):
        expected = [e.pk for e in selectors.feedback_owed(user=person)[:10]]
        assert [e.pk for e in selectors.feedback_owed_first(user=person)] == expected
        owing |= {person.username} if expected else set()
    assert owing == {"maple.sales"}


@pytest.mark.parametrize("cap", [1000, 3, 1])
def test_the_compiled_task_lists_count_and_page_as_their_querysets(user, monkeypatch, cap):
    _tasks(user)
    monkeypatch.setattr(CappedPaginator, "CAP", cap)
    for person in get_user_model().objects.order_by("pk"):
        for scope, queryset in (("inbox", selectors.task_inbox), ("queue", selectors.task_queue)):
            listed = CappedPaginator(selectors.task_list(user=person, scope=scope), 2)
            expected = CappedPaginator(queryset(user=person), 2)
            assert (listed.count, listed.capped) == (expected.count, expected.capped)
            for number in (1, 2, 3):
                try:
                    page = [t.pk for t in expected.page(number)]
                except EmptyPage:
                    continue
                assert [t.pk for t in listed.page(number)] == page, (person, scope, number)
            everything = [t.pk for t in queryset(user=person)]
            assert [t.pk for t in selectors.task_list(user=person, scope=scope).rows(0, 50)] == (
                everything[:50]
            )
