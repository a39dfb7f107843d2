"""Each role's home page, the plan list's next actor and filters, the company overview,
the plan page's route picture and buttons, and the product's own 404 page."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import override_settings

from apps.core.timeutils import now
from tests.factories import decide, draft, forecast, open_task, submitted
from workflows.models import TaskDeadline


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_planner_sees_drafts_sent_back_and_plans_in_flight_with_who_acts_next(user, login):
    planner = user("maple.planner")
    draft(planner, title="Quiet draft")
    sent_back = submitted(planner, title="Sent back plan")
    decide(sent_back, user("maple.sales"), "request_changes", "More stores.")
    submitted(planner, title="Flying plan")

    page = _text(_page(login("maple.planner"), "/"))
    drafts = page[page.index("Your drafts") :]
    assert "Quiet draft" in drafts
    back = page[page.index("Sent back to you") : page.index("Your plans in flight")]
    assert "Sent back plan" in back and "Revision: Planner Test" in back
    flight = page[page.index("Your plans in flight") :]
    assert "Flying plan" in flight and "Sales review (Sales): reviewers of Sales" in flight


def test_a_plan_in_flight_and_among_the_recent_shows_who_acts_next_in_both(user, login):
    submitted(user("maple.planner"), title="Flying plan")
    page = _text(_page(login("maple.planner"), "/"))
    flight = page[page.index("Your plans in flight") : page.index("Recent plans")]
    recent = page[page.index("Recent plans") :]
    for part in (flight, recent):
        assert "Flying plan" in part and "Sales review (Sales): reviewers of Sales" in part


def test_the_inbox_shows_the_same_tasks_in_due_order_however_many_are_held(
    user, login, monkeypatch
):
    from workflows import selectors
    from workflows import services as approvals

    planner, sales = user("maple.planner"), user("maple.sales")
    for number, days in enumerate((3, -1, 5)):
        task = open_task(submitted(planner, title=f"Held plan {number}"), step="review")
        TaskDeadline.objects.filter(task=task).update(due_at=now() + timedelta(days=days))
        approvals.task_claim(actor=sales, task_id=task.pk)
    client = login("maple.sales")
    pages = []
    for cap in (100, 2):  # few held (read from the owner's rows), then many (the walk)
        monkeypatch.setattr(selectors, "COUNT_CAP", cap)
        html = _page(client, "/")
        inbox = html[html.index('id="inbox"') : html.index('id="queue"')]
        pages.append(re.findall(r"Held plan \d", inbox))
    assert pages[0] == pages[1] == ["Held plan 1", "Held plan 0", "Held plan 2"]


def test_the_task_list_says_when_its_count_stops_at_the_cap(user, login, monkeypatch):
    from apps.core.pagination import CappedPaginator

    planner = user("maple.planner")
    for number in range(4):
        submitted(planner, title=f"Queued plan {number}")
    client = login("maple.sales")
    assert "4 tasks" in _text(_page(client, "/tasks/?scope=queue"))
    monkeypatch.setattr(CappedPaginator, "CAP", 2)
    page = _text(_page(client, "/tasks/?scope=queue"))
    assert "2+ tasks" in page and "Queued plan" in page
    assert "4 tasks" not in page


def test_reviewer_sees_counts_and_overdue_first(user, login):
    planner = user("maple.planner")
    submitted(planner, title="On time plan")
    late = submitted(planner, title="Late plan")
    TaskDeadline.objects.filter(task=open_task(late, step="review")).update(
        due_at=now() - timedelta(days=1)
    )
    html = _page(login("maple.sales"), "/")
    assert re.search(r'id="count-queue">\s*(\d+)', html).group(1) == "2"
    assert re.search(r'id="count-overdue">\s*(\d+)', html).group(1) == "1"
    queue = html[html.index('id="queue"') :]
    assert queue.index("Late plan") < queue.index("On time plan")
    assert "overdue" in queue[: queue.index("On time plan")]


def test_signer_sees_what_waits_for_sign_off(user, login):
    plan = submitted(user("maple.planner"), title="Ready to sign")
    decide(plan, user("maple.sales"), "approve")
    html = _page(login("maple.gm"), "/")
    assert "Ready to sign" in html[html.index('id="waiting-sign-off"') :]


def test_auditor_sees_the_latest_activity(user, login):
    plan = submitted(user("maple.planner"), title="Audited plan")
    decide(plan, user("maple.sales"), "approve", "Fine.")
    page = _text(_page(login("maple.auditor"), "/"))
    activity = page[page.index("Latest activity") :]
    assert "maple.sales" in activity and "Audited plan" in activity


def test_plan_list_shows_the_next_actor_and_filters_by_step_overdue_and_me(user, login):
    planner = user("maple.planner")
    review = submitted(planner, title="Waiting for review")
    signing = submitted(planner, title="Waiting for signature")
    decide(signing, user("maple.sales"), "approve")
    TaskDeadline.objects.filter(task=open_task(review, step="review")).update(
        due_at=now() - timedelta(hours=2)
    )
    client = login("maple.gm")
    page = _text(_page(client, "/plans/"))
    assert "Sign-off: signers of Red Maple Apparel" in page
    signed = _text(_page(client, "/plans/?waiting=sign_off"))
    assert "Waiting for signature" in signed and "Waiting for review" not in signed
    late = _text(_page(client, "/plans/?overdue=1"))
    assert "Waiting for review" in late and "overdue" in late
    assert "Waiting for signature" not in late
    mine = _text(_page(client, "/plans/?mine=1"))
    assert "Waiting for signature" in mine and "Waiting for review" not in mine


def test_overview_charts_carry_their_numbers_for_heads_and_auditors_only(user, login):
    planner = user("maple.planner")
    rejected = submitted(planner, title="Turned down")
    decide(rejected, user("maple.sales"), "reject", "No stock.")
    submitted(planner, title="Still in review")
    html = _page(login("maple.auditor"), "/overview/")
    status = html[html.index('id="chart-status"') : html.index('id="chart-kind"')]
    assert 'data-label="Rejected" data-value="1"' in status
    assert 'data-label="In review" data-value="1"' in status
    assert "<table>" in status  # the numbers as a table too
    kinds = html[html.index('id="chart-kind"') :]
    assert 'data-label="Promotional plan" data-value="2"' in kinds
    assert login("maple.planner").get("/overview/").status_code == 404
    assert login("maple.gm").get("/overview/").status_code == 200


def test_plan_page_draws_the_route_and_offers_claim_only_to_who_may(user, login):
    plan = submitted(user("maple.planner"), title="Route picture")
    html = _page(login("maple.sales"), f"/plans/{plan.pk}/")
    route = html[html.index('id="route"') :]
    assert 'class="done" data-stage="submit"' in route
    assert 'class="current" data-stage="review" aria-current="step"' in route
    assert "Claim sales review" in html
    author = _page(login("maple.planner"), f"/plans/{plan.pk}/")
    assert "Claim" not in _text(author)


def test_a_sales_target_route_shows_the_forecast_before_the_review(user, login):
    planner, sales = user("maple.planner"), user("maple.sales")
    plan = _target(planner, "Route of a target")

    def stage_of(key: str) -> str:
        html = _page(login("maple.auditor"), f"/plans/{plan.pk}/")
        route = html[html.index('id="route"') :]
        return re.search(rf'class="([^"]*)" data-stage="{key}"', route).group(1)

    assert (stage_of("forecast"), stage_of("review")) == ("current", "")
    forecast(plan, sales, "100000")
    assert (stage_of("forecast"), stage_of("review")) == ("done", "current")


def test_labels_and_money_instead_of_codes(user, login):
    plan = submitted(user("maple.planner"), title="Money plan")
    page = _text(_page(login("maple.sales"), f"/plans/{plan.pk}/"))
    assert re.search(r"Budget \d{1,3}(,\d{3})+", page)
    assert "market_share" not in page and "promotional " not in page


@override_settings(DEBUG=True)
def test_with_debug_on_a_hidden_page_is_the_products_404(user, login):
    plan = draft(user("maple.planner"), title="Private draft")
    client = login("maple.sales")
    for url in (f"/plans/{plan.pk}/", "/no-such-page/"):
        response = client.get(url)
        assert response.status_code == 404
        body = response.content.decode()
        assert "<h1>Not found</h1>" in body and "URLconf" not in body


TARGET = {
    "period": "2027 H1",
    "target": "125000",
    "market_forecast": "130000",
    "execution_monitoring": "Monthly sell-out reports",
}


def _target(author, title: str, target: str = "125000"):
    return submitted(author, kind="sales_target", title=title, content={**TARGET, "target": target})


def test_overview_draws_forecast_gaps_marks_those_above_tolerance_and_counts_the_waiting(
    user, login
):
    planner, sales = user("maple.planner"), user("maple.sales")
    forecast(_target(planner, "Stretch target"), sales, "100000")  # 25.0% above
    forecast(_target(planner, "Careful target"), sales, "120000")  # 4.2% above
    forecast(_target(planner, "Modest target", "90000"), sales, "100000")  # 10.0% below
    _target(planner, "Target waiting")
    _target(planner, "Target also waiting")
    submitted(planner, title="Not a target")
    html = _page(login("maple.auditor"), "/overview/")
    gaps = html[html.index('id="forecast-gaps"') :]
    assert re.search(r'id="count-waiting-forecasts">\s*2<', gaps)
    chart = gaps[gaps.index('id="chart-forecast-gaps"') : gaps.index("</figure>")]
    assert 'data-label="Stretch target" data-value="25.0" data-note="above tolerance"' in chart
    assert 'data-label="Careful target" data-value="4.2">' in chart
    assert 'data-label="Modest target" data-value="-10.0">' in chart
    assert "25.0% · above tolerance" in chart  # in words beside the bar, not colour alone
    assert "Target waiting" not in gaps and "Not a target" not in gaps
    table = _text(gaps[gaps.index("</figure>") :])
    assert "Stretch target" in table and "125,000 100,000 25.0% above tolerance (10%)" in table
    assert "Careful target" in table and "125,000 120,000 4.2% within 10%" in table
    assert "sales_target" not in _text(html) and "in_review" not in _text(html)


def test_overview_gaps_follow_the_api_figure(user, login):
    plan = forecast(_target(user("maple.planner"), "Same figure"), user("maple.sales"), "110000")
    client = login("maple.gm")
    api = client.get(f"/api/plans/{plan.pk}/").json()["forecast_gap_pct"]
    assert api == "13.6"
    html = _page(client, "/overview/")
    assert f'data-label="Same figure" data-value="{api}" data-note="above tolerance"' in html


def test_reviewer_sees_forecast_tasks_waiting_with_their_step_label(user, login):
    _target(user("maple.planner"), "Forecast me")
    html = _page(login("maple.sales"), "/")
    assert re.search(r'id="count-queue">\s*1<', html)
    queue = _text(html[html.index('id="queue"') :])
    assert "Forecast me" in queue and "Sales forecast Sales" in queue
    listed = _text(_page(login("maple.sales"), "/tasks/?scope=queue"))
    assert "Forecast me" in listed and "Sales forecast" in listed


def test_planner_sees_a_target_waiting_for_forecasts_and_who_gives_them(user, login):
    _target(user("north.planner"), "Regional target")
    page = _text(_page(login("north.planner"), "/"))
    flight = page[page.index("Your plans in flight") :]
    assert "Regional target" in flight
    assert "Sales forecast (Eastern Sales): reviewers of Eastern Sales" in flight
    assert "Sales forecast (Western Sales): reviewers of Western Sales" in flight
    client = login("north.planner")
    submitted(user("north.planner"), title="Promotion in review")
    waiting = _text(_page(client, "/plans/?waiting=forecast"))
    assert "Regional target" in waiting and "Promotion in review" not in waiting


def test_a_targets_figures_read_as_money_on_its_page(user, login):
    plan = _target(user("north.planner"), "Money target")
    plan = forecast(plan, user("north.sales.east"), "60000", department="Eastern Sales")
    page = _text(_page(login("north.planner"), f"/plans/{plan.pk}/"))
    assert "Sales target 125,000" in page and "Forecast of Eastern Sales 60,000" in page
    assert "waiting for forecasts: 1 of 2 in" in page
