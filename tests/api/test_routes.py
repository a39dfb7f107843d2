"""The whole approval route of each company size, through the REST API alone, as the demo users."""

from __future__ import annotations

from tests.factories import BRAND_CONTENT as BRAND
from tests.factories import PROMO_FULL as PROMO


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def create_plan(client, **fields) -> dict:
    body = {
        "kind": "promotional",
        "title": "API spring campaign",
        "focus": "channels",
        "core_task": "market_share",
        "directive": "mandatory",
        "horizon": "short_term",
        "content": dict(PROMO),
        **fields,
    }
    return ok(client.post("/api/plans/", body, format="json"), 201)


def tasks(client, scope: str, plan_id: int) -> list[dict]:
    results = ok(client.get(f"/api/tasks/?scope={scope}&page_size=200"))["results"]
    return [task for task in results if task["plan"]["id"] == plan_id]


def decide(client, task_id: int, outcome: str, comment: str = "") -> dict:
    body = {"outcome": outcome, "comment": comment}
    return ok(client.post(f"/api/tasks/{task_id}/decide/", body, format="json"))


def steps(plan: dict) -> list[tuple[str, str]]:
    return [(step["step"], step["department"]) for step in plan["current_steps"]]


def actions(client, plan_id: int) -> list[str]:
    events = ok(client.get(f"/api/plans/{plan_id}/history/?page_size=200"))["results"]
    return [event["action"] for event in events]


def test_small_company_plan_is_reworked_reviewed_by_a_colleague_and_signed_off_by_the_head(
    sign_in,
):
    planner, seller, head = (
        sign_in("lotus.planner"),
        sign_in("lotus.seller"),
        sign_in("lotus.head"),
    )
    plan = create_plan(planner)
    assert (plan["status"], plan["lead_department"], plan["sales_review"]) == (
        "draft",
        "sales",
        "binding",
    )
    plan = ok(planner.post(f"/api/plans/{plan['id']}/submit/"))
    assert plan["status"] == "in_review"
    assert steps(plan) == [("review", "Marketing & Sales")]
    [step] = plan["current_steps"]
    assert step["assignee"] is None
    assert step["candidates"] == "reviewers of Marketing & Sales"
    assert step["deadline"] and step["overdue"] is False
    assert [r["number"] for r in plan["revisions"]] == [1]

    # The author reviews for the same department, but never their own plan.
    assert tasks(planner, "queue", plan["id"]) == []
    [queued] = tasks(seller, "queue", plan["id"])
    assert (queued["step"], queued["department"], queued["overdue"]) == (
        "review",
        "Marketing & Sales",
        False,
    )
    assert queued["outcomes"] == ["approve", "request_changes", "reject"]
    claimed = ok(seller.post(f"/api/tasks/{queued['id']}/claim/"))
    assert claimed["assignee"]["username"] == "lotus.seller"
    assert [t["id"] for t in tasks(seller, "inbox", plan["id"])] == [queued["id"]]

    result = decide(seller, queued["id"], "request_changes", "Add the leaflets.")
    assert result["task"]["status"] == "done"
    assert result["task"]["outcome"] == "request_changes"
    assert result["plan"]["status"] == "changes_requested"
    assert steps(result["plan"]) == [("revise", "")]
    assert result["plan"]["current_steps"][0]["assignee"]["username"] == "lotus.planner"

    products = "Leaflets for the two new stores"
    ok(planner.patch(f"/api/plans/{plan['id']}/", {"content": {**PROMO, "products": products}}))
    plan = ok(planner.post(f"/api/plans/{plan['id']}/submit/"))
    assert (plan["status"], plan["revision_count"]) == ("in_review", 2)
    diff = ok(planner.get(f"/api/plans/{plan['id']}/revisions/2/diff/"))
    assert (diff["revision"], diff["against"]) == (2, 1)
    assert [(c["field"], c["new"]) for c in diff["changes"]] == [("content.products", products)]
    assert ok(planner.get(f"/api/plans/{plan['id']}/revisions/2/diff/?against=1")) == diff
    revisions = ok(planner.get(f"/api/plans/{plan['id']}/revisions/"))
    assert [r["number"] for r in revisions["results"]] == [1, 2]

    [review] = tasks(seller, "queue", plan["id"])
    result = decide(seller, review["id"], "approve")  # claimed with the decision
    assert result["plan"]["status"] == "awaiting_signoff"
    assert result["plan"]["current_steps"][0]["candidates"] == "signers of Lotus Knitwear"

    [sign_off] = tasks(head, "queue", plan["id"])
    result = decide(head, sign_off["id"], "approve", "Go.")
    assert result["plan"]["status"] == "approved"
    assert [s["step"] for s in result["plan"]["current_steps"]] == ["take_up"]
    assert [t["step"] for t in tasks(seller, "done", plan["id"])] == ["review", "review"]
    assert actions(planner, plan["id"]) == [
        "create",
        "submit",
        "claim",
        "request_changes",
        "edit",
        "resubmit",
        "approve",
        "sign_off",
    ]


def test_medium_company_sales_may_only_raise_concerns_when_marketing_leads(sign_in):
    planner, sales, salesdir = (
        sign_in("maple.planner"),
        sign_in("maple.sales"),
        sign_in("maple.salesdir"),
    )
    plan = create_plan(
        planner,
        kind="brand",
        title="API brand refresh",
        focus="promotion",
        core_task="brand_building",
        directive="guiding",
        horizon="long_term",
        content=dict(BRAND),
    )
    assert (plan["lead_department"], plan["sales_review"]) == ("marketing", "consultative")
    plan = ok(planner.post(f"/api/plans/{plan['id']}/submit/"))
    assert steps(plan) == [("review", "Sales")]

    [review] = tasks(sales, "queue", plan["id"])
    assert review["outcomes"] == ["approve", "raise_concerns"]
    refused = sales.post(
        f"/api/tasks/{review['id']}/decide/", {"outcome": "reject", "comment": "No."}
    )
    assert refused.status_code == 400
    assert "outcome" in refused.json()["error"]["fields"]
    result = decide(sales, review["id"], "raise_concerns", "Train the store staff first.")
    assert result["plan"]["status"] == "awaiting_signoff"

    # Either signer may sign; the sales director does, with the concerns in view.
    [sign_off] = tasks(salesdir, "queue", plan["id"])
    plan_seen = ok(salesdir.get(f"/api/plans/{plan['id']}/"))
    assert [(d["outcome"], d["comment"]) for d in plan_seen["decisions"]] == [
        ("raise_concerns", "Train the store staff first.")
    ]
    result = decide(salesdir, sign_off["id"], "approve")
    assert result["plan"]["status"] == "approved"
    assert actions(planner, plan["id"]) == [
        "create",
        "submit",
        "raise_concerns",
        "sign_off",
    ]


def test_large_company_plan_is_reviewed_by_every_region_then_signed_by_the_director(sign_in):
    planner, east, west, director = (
        sign_in("north.planner"),
        sign_in("north.sales.east"),
        sign_in("north.sales.west"),
        sign_in("north.director"),
    )
    plan = create_plan(planner, title="API national promotion")
    plan = ok(planner.post(f"/api/plans/{plan['id']}/submit/"))
    assert steps(plan) == [("review", "Eastern Sales"), ("review", "Western Sales")]

    [east_task] = tasks(east, "queue", plan["id"])
    [west_task] = tasks(west, "queue", plan["id"])
    assert (east_task["department"], west_task["department"]) == ("Eastern Sales", "Western Sales")
    assert tasks(director, "queue", plan["id"]) == []

    result = decide(east, east_task["id"], "approve", "East is ready.")
    assert result["plan"]["status"] == "in_review"
    assert steps(result["plan"]) == [("review", "Western Sales")]
    result = decide(west, west_task["id"], "approve")
    assert result["plan"]["status"] == "awaiting_signoff"

    [sign_off] = tasks(director, "queue", plan["id"])
    result = decide(director, sign_off["id"], "approve")
    assert result["plan"]["status"] == "approved"
    history = ok(sign_in("north.auditor").get(f"/api/plans/{plan['id']}/history/"))
    assert [(e["action"], e["actor_name"]) for e in history["results"]] == [
        ("create", "north.planner"),
        ("submit", "north.planner"),
        ("approve", "north.sales.east"),
        ("approve", "north.sales.west"),
        ("sign_off", "north.director"),
    ]
