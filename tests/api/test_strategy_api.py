"""The strategy contract: the company's strategy, plan fields, forecast tasks, four eyes."""

from __future__ import annotations

import pytest

from tests.factories import decide, grant, open_task, submitted

pytestmark = pytest.mark.django_db

TARGET = {
    "period": "2027 H1",
    "target": "125000",
    "market_forecast": "130000",
    "execution_monitoring": "Monthly sell-out reports",
}


def test_members_read_the_strategy_and_only_administrators_set_it(api):
    body = api("maple.planner").get("/api/company/strategy/").json()
    assert body == {
        "focus": None,
        "core_task": None,
        "forecast_tolerance_pct": 10,
        "changed_by": None,
        "changed_at": None,
    }
    refused = api("maple.planner").patch("/api/company/strategy/", {"focus": "channels"})
    assert refused.status_code == 403
    bad = api("maple.gm").patch("/api/company/strategy/", {"core_task": "world_domination"})
    assert bad.status_code == 400
    assert "core_task" in bad.json()["error"]["fields"]
    done = api("maple.gm").patch(
        "/api/company/strategy/",
        {"focus": "channels", "core_task": "market_share", "forecast_tolerance_pct": 15},
    )
    assert done.status_code == 200, done.content
    body = done.json()
    assert (body["focus"], body["core_task"], body["forecast_tolerance_pct"]) == (
        "channels",
        "market_share",
        15,
    )
    assert body["changed_by"]["username"] == "maple.gm"
    assert body["changed_at"]
    # the other company's strategy is its own
    assert api("lotus.planner").get("/api/company/strategy/").json()["focus"] is None


def test_a_superuser_has_no_company_strategy(api):
    assert api("admin").get("/api/company/strategy/").status_code == 404


def test_a_plan_created_without_focus_or_core_task_takes_the_company_s(api):
    api("maple.gm").patch(
        "/api/company/strategy/", {"focus": "promotion", "core_task": "brand_building"}
    )
    created = api("maple.planner").post(
        "/api/plans/",
        {"kind": "promotional", "title": "Spring", "horizon": "short_term", "scope": "national"},
    )
    assert created.status_code == 201, created.content
    plan = created.json()
    assert (plan["focus"], plan["core_task"], plan["directive"], plan["scope"]) == (
        "promotion",
        "brand_building",
        "mandatory",
        "national",
    )
    assert plan["off_strategy"] is False
    assert plan["sales_review"] == "consultative"
    off = api("maple.planner").post(
        "/api/plans/",
        {"kind": "brand", "title": "Share", "horizon": "short_term", "core_task": "market_share"},
    )
    assert off.status_code == 400
    assert "core_task_reason" in off.json()["error"]["fields"]
    off = api("maple.planner").post(
        "/api/plans/",
        {
            "kind": "brand",
            "title": "Share",
            "horizon": "short_term",
            "core_task": "market_share",
            "core_task_reason": "A rival opened next to our flagship.",
        },
    )
    assert off.status_code == 201
    assert off.json()["off_strategy"] is True
    assert off.json()["core_task_reason"] == "A rival opened next to our flagship."


def test_sales_gives_its_forecast_through_the_task_api(api, user):
    plan = submitted(
        user("north.planner"), kind="sales_target", title="Target", content=dict(TARGET)
    )
    east = api("north.sales.east")
    queue = east.get("/api/tasks/", {"scope": "queue"}).json()["results"]
    tasks = [t for t in queue if t["plan"]["id"] == plan.pk]
    assert [(t["step"], t["department"], t["outcomes"]) for t in tasks] == [
        ("forecast", "Eastern Sales", ["forecast"])
    ]
    url = f"/api/tasks/{tasks[0]['id']}/decide/"
    missing = east.post(url, {"outcome": "forecast", "comment": "Stores up 5%."})
    assert missing.status_code == 400
    assert "amount" in missing.json()["error"]["fields"]
    no_rationale = east.post(url, {"outcome": "forecast", "amount": "60000"})
    assert no_rationale.status_code == 400
    done = east.post(url, {"outcome": "forecast", "amount": "60000", "comment": "Stores up 5%."})
    assert done.status_code == 200, done.content
    body = done.json()["plan"]
    assert [
        (f["department"], f["amount"], f["rationale"], f["by"]["username"])
        for f in body["forecasts"]
    ] == [("Eastern Sales", "60000.00", "Stores up 5%.", "north.sales.east")]
    assert body["forecast_gap_pct"] is None
    west_task = open_task(plan, step="forecast", department="Western Sales")
    api("north.sales.west").post(
        f"/api/tasks/{west_task.pk}/decide/",
        {"outcome": "forecast", "amount": 40000, "comment": "Flat."},
    )
    body = api("north.planner").get(f"/api/plans/{plan.pk}/").json()
    assert body["forecast_gap_pct"] == "25.0"
    assert body["sales_review"] == "binding"
    assert body["sign_off_needs_comment"] and "25.0%" in body["sign_off_needs_comment"][0]


def test_a_reviewer_deciding_the_sign_off_is_told_why_not(api, user):
    seller = user("lotus.seller")
    grant(seller, "signer")
    plan = submitted(user("lotus.planner"))
    decide(plan, seller, "approve")
    task = open_task(plan, step="sign_off")
    response = api("lotus.seller").post(f"/api/tasks/{task.pk}/decide/", {"outcome": "approve"})
    assert response.status_code == 403
    assert "You reviewed this plan" in response.json()["error"]["message"]
