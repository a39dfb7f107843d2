"""Long lists are not counted in full: the count stops at a cap, and the pages go on."""

from __future__ import annotations

import pytest

from apps.core.pagination import CappedPaginator
from tests.factories import draft


@pytest.fixture
def cap_of_five(monkeypatch):
    monkeypatch.setattr(CappedPaginator, "CAP", 5)


def test_a_list_longer_than_the_cap_says_so_and_every_page_is_still_reachable(
    api, user, cap_of_five
):
    planner = user("maple.planner")
    titles = {f"Draft {number}" for number in range(12)}
    for title in sorted(titles):
        draft(planner, title=title)
    client = api("maple.planner")

    first = client.get("/api/plans/?page_size=5").json()
    assert (first["count"], first["count_is_exact"], len(first["results"])) == (5, False, 5)
    seen = [row["title"] for row in first["results"]]
    url = first["next"]
    while url:
        body = client.get(url).json()
        seen += [row["title"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(titles)  # all twelve, each once, in three pages
    assert client.get("/api/plans/?page_size=5&page=4").status_code == 404


def test_a_list_within_the_cap_is_counted_exactly(api, user, cap_of_five):
    planner = user("maple.planner")
    for number in range(4):
        draft(planner, title=f"Draft {number}")
    body = api("maple.planner").get("/api/plans/?page_size=3").json()
    assert (body["count"], body["count_is_exact"]) == (4, True)
    assert body["next"] is not None
