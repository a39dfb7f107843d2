"""The strategy on the pages: the company page sets it, the task pages show and take it."""

from __future__ import annotations

import pytest

from apps.org.models import Company
from apps.plans.models import Plan, SalesForecast
from tests.factories import decide, open_task, submitted

pytestmark = pytest.mark.django_db

TARGET = {
    "period": "2027 H1",
    "target": "150000",
    "market_forecast": "160000",
    "execution_monitoring": "Monthly sell-out reports",
}


def test_the_administrator_sets_the_strategy_on_the_company_page(login):
    client = login("maple.gm")
    response = client.post(
        "/company/strategy/",
        {"focus": "channels", "core_task": "market_share", "forecast_tolerance_pct": "12"},
    )
    assert response.status_code == 302
    company = Company.objects.get(slug="maple")
    assert (company.focus, company.core_task, company.forecast_tolerance_pct) == (
        "channels",
        "market_share",
        12,
    )
    page = client.get("/company/").content.decode()
    assert "Market share" in page and "maple.gm" in page
    assert login("maple.planner").get("/company/strategy/").status_code == 404


def test_sales_gives_its_forecast_on_the_task_page_and_the_signer_sees_the_gap(login, user):
    plan = submitted(user("maple.planner"), kind="sales_target", title="H1", content=TARGET)
    task = open_task(plan, step="forecast")
    client = login("maple.sales")
    client.post(f"/tasks/{task.pk}/claim/")
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "sales forecast" in page
    refused = client.post(f"/tasks/{task.pk}/", {"outcome": "forecast", "comment": "Flat year."})
    assert refused.status_code == 200 and not SalesForecast.objects.filter(plan=plan).exists()
    response = client.post(
        f"/tasks/{task.pk}/",
        {"outcome": "forecast", "amount": "120,000", "comment": "Flat year."},
    )
    assert response.status_code == 302
    assert SalesForecast.objects.get(plan=plan).amount == 120000
    decide(plan, user("maple.sales"), "approve")
    sign_off = open_task(plan, step="sign_off")
    page = login("maple.gm").get(f"/tasks/{sign_off.pk}/").content.decode()
    assert "25.0%" in page
    assert "Approving needs a comment" in page


def test_the_review_page_says_off_strategy_with_the_reason(login, user):
    company = Company.objects.get(slug="maple")
    company.core_task = "market_share"
    company.save()
    planner = user("maple.planner")
    planner.membership.company.refresh_from_db()
    plan = submitted(planner, lead="marketing_leads", core_task_reason="A new brand this autumn.")
    task = open_task(plan, step="review")
    page = login("maple.sales").get(f"/tasks/{task.pk}/").content.decode()
    assert "Off-strategy" in page and "A new brand this autumn." in page


def test_a_national_promotion_drafted_on_the_page_is_mandatory_by_default(login):
    client = login("maple.planner")
    response = client.post(
        "/plans/new/?kind=promotional",
        {
            "kind": "promotional",
            "title": "National autumn promotion",
            "focus": "channels",
            "core_task": "market_share",
            "directive": "",
            "horizon": "short_term",
            "scope": "national",
            "c_budget": "1000",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    plan = Plan.objects.get(title="National autumn promotion")
    assert (plan.scope, plan.directive) == ("national", "mandatory")
