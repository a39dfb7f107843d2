"""The approval route driven through the web pages, as people click through it."""

from __future__ import annotations

import re

from apps.audit.models import Event
from apps.plans.models import Plan, Status
from tests.factories import open_task, submitted
from tests.http import redirect_path

PROMO_FORM = {
    "kind": "promotional",
    "title": "Spring denim week",
    "focus": "channels",
    "core_task": "market_share",
    "directive": "mandatory",
    "horizon": "short_term",
    "c_campaign_start": "2027-04-01",
    "c_campaign_end": "2027-04-07",
    "c_regions": "North and South",
    "c_channels": "Own shops",
    "c_budget": "20000",
}


def _as(client, user, username):
    client.logout()
    client.force_login(user(username))
    return client


def _decide(client, task, outcome, comment=""):
    client.post(f"/tasks/{task.pk}/claim/")
    return client.post(f"/tasks/{task.pk}/", {"outcome": outcome, "comment": comment})


def test_medium_company_route_with_rework_through_the_pages(client, user):
    _as(client, user, "maple.planner")
    response = client.post("/plans/new/", {**PROMO_FORM, "submit": "1"})
    plan = Plan.objects.get(title="Spring denim week")
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    assert plan.status == Status.IN_REVIEW and plan.revision_count == 1

    _as(client, user, "maple.sales")
    assert "Spring denim week" in client.get("/tasks/?scope=queue").content.decode()
    task = open_task(plan, step="review")
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "Claim this task" in page
    response = _decide(client, task, "request_changes", "Add the outlet stores.")
    assert redirect_path(response) == f"/plans/{plan.pk}/"
    plan.refresh_from_db()
    assert plan.status == Status.CHANGES_REQUESTED

    _as(client, user, "maple.planner")
    edit = client.get(f"/plans/{plan.pk}/edit/").content.decode()
    assert "Add the outlet stores." in edit
    response = client.post(
        f"/plans/{plan.pk}/edit/",
        {**PROMO_FORM, "c_regions": "North, South and outlets", "submit": "1"},
    )
    assert redirect_path(response) == f"/plans/{plan.pk}/"
    plan.refresh_from_db()
    assert plan.status == Status.IN_REVIEW and plan.revision_count == 2

    _as(client, user, "maple.sales")
    task = open_task(plan, step="review")
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "What changed since revision 1" in page
    assert "North, South and outlets" in page and "North and South" in page
    _decide(client, task, "approve")
    plan.refresh_from_db()
    assert plan.status == Status.AWAITING_SIGNOFF

    _as(client, user, "maple.salesdir")
    _decide(client, open_task(plan, step="sign_off"), "approve", "Go.")
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED

    _as(client, user, "maple.auditor")
    detail = client.get(f"/plans/{plan.pk}/").content.decode()
    actions = list(Event.objects.filter(plan_id=plan.pk).values_list("action", flat=True))
    assert actions == [
        "create",
        "submit",
        "claim",
        "request_changes",
        "edit",
        "resubmit",
        "claim",
        "approve",
        "claim",
        "sign_off",
    ]
    for who in ("maple.planner", "maple.sales", "maple.salesdir"):
        assert who in detail
    assert "Add the outlet stores." in detail


def test_small_company_route_through_the_pages(client, user):
    _as(client, user, "lotus.planner")
    client.post("/plans/new/", {**PROMO_FORM, "submit": "1"})
    plan = Plan.objects.get(title="Spring denim week")

    page = client.get(f"/tasks/{open_task(plan, step='review').pk}/").content.decode()
    assert "You wrote this plan" in page

    _as(client, user, "lotus.seller")
    _decide(client, open_task(plan, step="review"), "approve")
    _as(client, user, "lotus.head")
    _decide(client, open_task(plan, step="sign_off"), "approve")
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED


def test_large_company_parallel_reviews_through_the_pages(client, user):
    _as(client, user, "north.planner")
    client.post("/plans/new/", {**PROMO_FORM, "submit": "1"})
    plan = Plan.objects.get(title="Spring denim week")

    _as(client, user, "north.sales.east")
    _decide(client, open_task(plan, step="review", department="Eastern Sales"), "approve")
    plan.refresh_from_db()
    assert plan.status == Status.IN_REVIEW
    _as(client, user, "north.sales.west")
    _decide(client, open_task(plan, step="review", department="Western Sales"), "approve")
    plan.refresh_from_db()
    assert plan.status == Status.AWAITING_SIGNOFF
    _as(client, user, "north.director")
    _decide(client, open_task(plan, step="sign_off"), "approve")
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED


def test_a_rejected_form_keeps_everything_typed(client, user):
    _as(client, user, "maple.planner")
    form = {**PROMO_FORM, "c_budget": "a lot", "c_events": "Trade fair", "submit": "1"}
    response = client.post("/plans/new/", form)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Enter a number." in html
    assert 'value="a lot"' in html and "Trade fair" in html
    assert not Plan.objects.filter(title="Spring denim week").exists()


def test_missing_comment_on_rejection_is_explained_and_changes_nothing(client, user):
    _as(client, user, "maple.planner")
    client.post("/plans/new/", {**PROMO_FORM, "submit": "1"})
    plan = Plan.objects.get(title="Spring denim week")
    _as(client, user, "maple.sales")
    task = open_task(plan, step="review")
    events = Event.objects.count()
    response = _decide(client, task, "reject", "")
    assert response.status_code == 200
    assert "A comment is required to reject." in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == Status.IN_REVIEW
    assert Event.objects.count() == events + 1  # the claim only


def test_another_companys_pages_are_not_found_like_missing_ones(client, user):
    maple_plan = submitted(user("maple.planner"), title="Autumn coats national promotion")
    task = open_task(maple_plan, step="review")
    _as(client, user, "north.director")
    for url in (
        f"/plans/{maple_plan.pk}/",
        f"/plans/{maple_plan.pk}/edit/",
        f"/tasks/{task.pk}/",
        f"/workflow/planapproval/{maple_plan.process.pk}/",
        f"/workflow/planapproval/{maple_plan.process.pk}/review/{task.pk}/detail/",
    ):
        assert client.get(url).status_code == 404, url
    missing = client.get("/plans/999999/")
    hidden = client.get(f"/plans/{maple_plan.pk}/")
    assert missing.status_code == hidden.status_code == 404
    assert re.sub(r"\d+", "", missing.content.decode()) == re.sub(
        r"\d+", "", hidden.content.decode()
    )
    assert client.post(f"/tasks/{task.pk}/claim/").status_code == 404
    task.refresh_from_db()
    assert task.owner_id is None


def test_a_failed_save_and_submit_leaves_one_draft_and_the_edit_page(client, user):
    _as(client, user, "maple.planner")
    incomplete = {key: value for key, value in PROMO_FORM.items() if key != "c_budget"}
    response = client.post("/plans/new/", {**incomplete, "submit": "1"})
    plan = Plan.objects.get(title="Spring denim week")
    assert response.status_code == 302
    assert response["Location"] == f"/plans/{plan.pk}/edit/"
    page = client.get(response["Location"])
    assert b"not submitted: budget: This field is required to submit." in page.content
    assert plan.status == Status.DRAFT
    # Pressing save again (now on the draft's own page) submits that draft, not a second plan.
    response = client.post(f"/plans/{plan.pk}/edit/", {**PROMO_FORM, "submit": "1"})
    assert response.status_code == 302
    assert Plan.objects.filter(title="Spring denim week").count() == 1
    plan.refresh_from_db()
    assert plan.status == Status.IN_REVIEW


def test_a_budget_beyond_any_number_is_a_form_error_not_a_crash(client, user):
    _as(client, user, "maple.planner")
    for budget in ("1e30", "1" * 40, "1,2,3"):
        response = client.post("/plans/new/", {**PROMO_FORM, "c_budget": budget, "submit": "1"})
        assert response.status_code == 200
        assert b"Enter a number" in response.content
    assert not Plan.objects.filter(title="Spring denim week").exists()


def test_a_task_is_shown_only_under_its_own_node_in_viewflows_frontend(client, user):
    plan = submitted(user("maple.planner"), title="Autumn coats national promotion")
    task = open_task(plan, step="review")
    _as(client, user, "maple.gm")  # viewflow's frontend is the administrators' view
    base = f"/workflow/planapproval/{plan.process.pk}"
    assert client.get(f"{base}/review/{task.pk}/detail/").status_code == 200
    assert client.get(f"{base}/sign_off/{task.pk}/detail/").status_code == 404
    assert client.get(f"{base}/revise/{task.pk}/detail/").status_code == 404


def test_viewflows_frontend_is_for_administrators_only(client, user):
    plan = submitted(user("maple.planner"), title="Autumn coats national promotion")
    for username in ("maple.sales", "maple.planner", "maple.auditor", "maple.salesdir"):
        _as(client, user, username)
        assert client.get("/workflow/").status_code == 404, username
        assert client.get(f"/workflow/planapproval/{plan.process.pk}/").status_code == 404
    _as(client, user, "maple.gm")
    assert client.get(f"/workflow/planapproval/{plan.process.pk}/").status_code == 200
    cancel = client.get(f"/workflow/planapproval/{plan.process.pk}/cancel/")
    assert cancel.status_code == 200 and b"Cancel the plan" in cancel.content
