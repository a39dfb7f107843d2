"""Plan search means one thing on every interface: the title, or the author's name as shown."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from apps.plans.selectors import plan_filter, plan_list_for
from tests.factories import draft, submitted
from tests.reliability.harness import medium_company


@pytest.fixture
def company(db):
    world = medium_company("search")
    planner = world.planner
    planner.first_name, planner.last_name = "Mia", "Chen"
    planner.save()
    submitted(planner, title="Autumn coats promotion")
    submitted(planner, title="Winter scarves launch")
    draft(planner, title="Spring linen draft")
    return world


def _titles(plans) -> set[str]:
    return set(plans.values_list("title", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("coats", {"Autumn coats promotion"}),
        ("COATS", {"Autumn coats promotion"}),
        ("Mia Chen", {"Autumn coats promotion", "Winter scarves launch", "Spring linen draft"}),
        ("chen", {"Autumn coats promotion", "Winter scarves launch", "Spring linen draft"}),
        (
            "search.planner",
            {"Autumn coats promotion", "Winter scarves launch", "Spring linen draft"},
        ),
        ("nobody-by-that-name", set()),
        ("   ", {"Autumn coats promotion", "Winter scarves launch", "Spring linen draft"}),
    ],
)
def test_search_matches_titles_and_the_authors_name_as_shown(company, query, expected):
    plans = plan_list_for(user=company.planner)
    assert _titles(plan_filter(plans, q=query)) == expected


def test_web_and_api_search_find_the_same_plans(company, client):
    reviewer = company.reviewers_of("Sales")[0]
    client.force_login(reviewer)
    api = APIClient()
    api.force_authenticate(reviewer)
    for query in ("Mia", "scarves", "chen", "zzz"):
        page = client.get("/plans/", {"q": query}).content.decode()
        shown = {
            title
            for title in ("Autumn coats promotion", "Winter scarves launch", "Spring linen draft")
            if re.search(re.escape(title), page)
        }
        listed = {plan["title"] for plan in api.get("/api/plans/", {"q": query}).json()["results"]}
        assert shown == listed, query
        # the reviewer never sees the planner's draft, whatever the search
        assert "Spring linen draft" not in listed
    assert {plan["title"] for plan in api.get("/api/plans/", {"q": "Mia"}).json()["results"]} == {
        "Autumn coats promotion",
        "Winter scarves launch",
    }
