"""Every list endpoint runs the same number of queries for 1 result as for 50."""

from __future__ import annotations

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.plans import services as plan_services
from apps.plans.models import PlanRevision
from tests.factories import draft, open_task, submitted
from workflows import services as approvals

MANY = 50


def queries(client, url: str) -> tuple[int, int]:
    """(queries, results) of one GET of ``url``, after a first call has warmed the caches."""
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200, response.content
        if response.streaming:
            lines = b"".join(response.streaming_content).decode().splitlines()
            results = len([line for line in lines if line]) - url.endswith("csv")
        else:
            results = len(response.json()["results"])
    return len(captured), results


def test_plan_list_queries_do_not_grow_with_results(api, user):
    planner = user("maple.planner")
    client = api("maple.planner")
    url = "/api/plans/?q=Bulk&page_size=200"
    draft(planner, title="Bulk 0")
    few = queries(client, url)
    for number in range(1, MANY):
        draft(planner, title=f"Bulk {number}")
    many = queries(client, url)
    assert (few[1], many[1]) == (1, MANY)
    assert few[0] == many[0]


def test_revision_list_queries_do_not_grow_with_results(api, user):
    plan = submitted(user("maple.planner"))
    client = api("maple.planner")
    url = f"/api/plans/{plan.pk}/revisions/?page_size=200"
    few = queries(client, url)
    first = plan.revisions.get()
    PlanRevision.objects.bulk_create(
        PlanRevision(
            plan=plan,
            number=number,
            created_by=first.created_by,
            created_at=first.created_at,
            content_sha256=first.content_sha256,
            title=first.title,
            kind=first.kind,
            focus=first.focus,
            core_task=first.core_task,
            directive=first.directive,
            horizon=first.horizon,
            content=first.content,
        )
        for number in range(2, MANY + 1)
    )
    many = queries(client, url)
    assert (few[1], many[1]) == (1, MANY)
    assert few[0] == many[0]


def test_history_and_audit_queries_do_not_grow_with_results(api, user):
    planner = user("maple.planner")
    plan = draft(planner, title="Edited often")
    urls = {
        "history": (api("maple.planner"), f"/api/plans/{plan.pk}/history/?page_size=200"),
        "events": (api("maple.auditor"), f"/api/audit/events/?plan={plan.pk}&page_size=200"),
        "csv": (api("maple.auditor"), f"/api/audit/export/?plan={plan.pk}&format=csv"),
        "jsonl": (api("maple.auditor"), f"/api/audit/export/?plan={plan.pk}&format=jsonl"),
    }
    few = {name: queries(*args) for name, args in urls.items()}
    for number in range(1, MANY):
        plan_services.plan_update(actor=planner, plan=plan, data={"title": f"Edit {number}"})
    many = {name: queries(*args) for name, args in urls.items()}
    for name in urls:
        assert (few[name][1], many[name][1]) == (1, MANY), name
        assert few[name][0] == many[name][0], name


def test_task_list_queries_do_not_grow_with_results(api, user):
    planner, sales = user("maple.planner"), user("maple.sales")
    client = api("maple.sales")
    plans = [submitted(planner, title="Queued 0")]
    counts = {}

    def measure(scope: str) -> tuple[int, int]:
        return queries(client, f"/api/tasks/?scope={scope}&page_size=200")

    def act(service, plan, **kwargs):
        with transaction.atomic():
            service(actor=sales, task_id=open_task(plan, step="review").pk, **kwargs)

    waiting = measure("queue")[1] - 1  # reviews that were waiting before this test's plans
    done_before = measure("done")[1]
    counts["queue"] = [measure("queue")]
    plans += [submitted(planner, title=f"Queued {n}") for n in range(1, MANY)]
    counts["queue"].append(measure("queue"))

    act(approvals.task_claim, plans[0])
    counts["inbox"] = [measure("inbox")]
    for plan in plans[1:]:
        act(approvals.task_claim, plan)
    counts["inbox"].append(measure("inbox"))

    act(approvals.task_decide, plans[0], outcome="approve")
    counts["done"] = [measure("done")]
    for plan in plans[1:]:
        act(approvals.task_decide, plan, outcome="approve")
    counts["done"].append(measure("done"))

    assert [results for _, results in counts["queue"]] == [1 + waiting, MANY + waiting]
    assert [results for _, results in counts["inbox"]] == [1, MANY]
    assert [results for _, results in counts["done"]] == [1 + done_before, MANY + done_before]
    for scope, ((few, _), (many, _)) in counts.items():
        assert few == many, scope
