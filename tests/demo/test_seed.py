"""The demo seed behind ``make run``, tested once, as a seed: from an empty database it
creates the README's accounts and plans, in their states, on an intact trail; a second run
changes nothing. No other test uses it: they build their own worlds (tests/factories.py)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from apps.audit.models import ChainHead, Event
from apps.org.models import Company, Membership
from apps.plans.models import Plan
from apps.plans.strategy import forecast_gap_pct
from workflows.selectors import current_steps

from ..audit.helpers import verify_audit

pytestmark = pytest.mark.django_db(transaction=True)

README_ACCOUNTS = {
    "lotus": {"lotus.planner", "lotus.seller", "lotus.head", "lotus.auditor"},
    "maple": {"maple.planner", "maple.sales", "maple.gm", "maple.salesdir", "maple.auditor"},
    "north": {
        "north.planner",
        "north.sales.east",
        "north.sales.west",
        "north.director",
        "north.auditor",
    },
}
PLANS = {
    "Autumn coats national promotion": ("maple", "in_review"),
    "Brand refresh 2027": ("maple", "approved"),
    "Winter clearance (draft)": ("maple", "draft"),
    "Spring knitwear fair": ("lotus", "changes_requested"),
    "Northstar summer campaign": ("north", "in_review"),
    # after sign-off (issue 11): one plan in execution and one closed, for every size
    "Lotus in-store promotion": ("lotus", "in_execution"),
    "Red Maple in-store promotion": ("maple", "in_execution"),
    "Northstar in-store promotion": ("north", "in_execution"),
    "Lotus first-half sales target": ("lotus", "closed"),
    "Red Maple first-half sales target": ("maple", "closed"),
    "Northstar first-half sales target": ("north", "closed"),
    # issue 12: a sales target waiting for the sales department's own forecast
    "Red Maple second-half sales target": ("maple", "in_review"),
}
STRATEGIES = {
    "lotus": ("promotion", "brand_building"),
    "maple": ("channels", "market_share"),
    "north": ("promotion", "new_product_launch"),
}


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "users": get_user_model().objects.count(),
        "members": Membership.objects.count(),
        "plans": Plan.objects.count(),
        "events": Event.objects.count(),
    }


@pytest.fixture
def empty():
    """An empty database: the suite's world is flushed away (the flush lifts the triggers)."""
    call_command("flush", interactive=False, verbosity=0)
    assert counts() == {"users": 0, "members": 0, "plans": 0, "events": 0}


def test_the_seed_creates_the_readme_companies_accounts_and_plans(empty):
    seed()
    for slug, usernames in README_ACCOUNTS.items():
        company = Company.objects.get(slug=slug)
        members = set(
            Membership.objects.filter(company=company).values_list("user__username", flat=True)
        )
        assert members == usernames, slug
    assert {c.slug: c.size for c in Company.objects.all()} == {
        "lotus": "small",
        "maple": "medium",
        "north": "large",
    }
    assert {p.title: (p.company.slug, p.status) for p in Plan.objects.all()} == PLANS
    browser = Client()
    for username in ("maple.planner", "north.sales.east", "lotus.head"):
        assert browser.login(username=username, password="greenlight-demo"), username
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and not Membership.objects.filter(user=admin).exists()


def test_every_company_has_a_strategy_and_red_maple_a_target_waiting_for_sales(empty):
    seed()
    assert {c.slug: (c.focus, c.core_task) for c in Company.objects.all()} == STRATEGIES
    target = Plan.objects.get(title="Red Maple second-half sales target")
    assert [(s.step, s.department) for s in current_steps(plan=target)] == [("forecast", "Sales")]
    assert not target.forecasts.exists()
    # the closed targets rest on every executing department's own forecast
    north = Plan.objects.get(title="Northstar first-half sales target")
    assert sorted(north.forecasts.values_list("department_name", flat=True)) == [
        "Eastern Sales",
        "Western Sales",
    ]
    assert forecast_gap_pct(north) == 0
    # plans off the company's strategy say why, and their review bound
    fair = Plan.objects.get(title="Spring knitwear fair")
    assert fair.route["off_strategy"] and fair.route["sales_review"] == "binding"
    assert fair.core_task_reason
    national = Plan.objects.get(title="Autumn coats national promotion")
    assert (national.scope, national.directive) == ("national", "mandatory")


def test_the_seeded_trail_is_one_intact_chain_per_company(empty):
    seed()
    assert ChainHead.objects.count() == 3
    ok, out = verify_audit()
    assert ok, out
    assert f"Audit trail intact: {Event.objects.count()} events checked in 3 chain(s)." in out


def test_seeding_twice_changes_nothing(empty):
    seed()
    first = counts()
    assert first["plans"] == len(PLANS)
    assert "demo data already present" in seed()
    assert counts() == first
