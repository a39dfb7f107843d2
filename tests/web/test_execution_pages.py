"""The execution pages: take-up on the task page, feedback on the plan page, the feed, the close."""

from __future__ import annotations

import pytest
from django.test import Client

from apps.plans.models import Feedback, Status
from tests.factories import decide, open_task
from tests.reliability.harness import large_company, medium_company
from tests.workflows.test_execution import signed_off

pytestmark = pytest.mark.django_db


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_take_up_on_the_task_page_then_feedback_reply_and_close_on_the_plan_page():
    world = medium_company("webexec")
    plan = signed_off(world, directive="guiding")
    reviewer = browser(world.reviewers["Sales"][0])
    task = open_task(plan, step="take_up")

    home = reviewer.get("/").content.decode()
    assert "Take-up by sales" in home
    reviewer.post(f"/tasks/{task.pk}/claim/")
    page = reviewer.get(f"/tasks/{task.pk}/").content.decode()
    assert "Take-up by sales" in page and "The plan is guiding" in page
    for label in ("Adopt", "Adapt", "Decline"):
        assert label in page
    assert "Acknowledge" not in page

    response = reviewer.post(f"/tasks/{task.pk}/", {"outcome": "adapt", "comment": ""})
    assert response.status_code in (200, 400)
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED  # refused: adapting needs a comment
    reviewer.post(f"/tasks/{task.pk}/", {"outcome": "adapt", "comment": "Outlets only."})
    plan.refresh_from_db()
    assert plan.status == Status.IN_EXECUTION

    home = reviewer.get("/").content.decode()
    assert "Market feedback you owe" in home and plan.title in home

    response = reviewer.post(
        f"/plans/{plan.pk}/feedback/",
        {"kind": "terminal_coverage", "text": "Forty stores stock it.", "sales_to_date": "120"},
    )
    assert response.status_code == 302
    feedback = Feedback.objects.get(plan=plan)

    planner = browser(world.planner)
    detail = planner.get(f"/plans/{plan.pk}/").content.decode()
    assert "Execution" in detail and "Adapt" in detail and "Outlets only." in detail
    assert "Store coverage" in detail and "terminal_coverage" not in detail.split("<main")[-1]
    assert "Forty stores stock it." in detail
    assert "Draft a follow-up plan" in detail and "Close the plan" in detail

    planner.post(f"/feedback/{feedback.pk}/reply/", {"text": "Great, keep going."})
    assert feedback.replies.get().text == "Great, keep going."

    feed = planner.get("/feedback/?kind=terminal_coverage").content.decode()
    assert "Forty stores stock it." in feed and "Great, keep going." in feed
    assert "Forty stores" not in planner.get("/feedback/?kind=competitors").content.decode()

    planner.post(f"/plans/{plan.pk}/close/", {"summary": "Done well.", "actual_sales": "5000"})
    plan.refresh_from_db()
    assert plan.status == Status.CLOSED
    detail = planner.get(f"/plans/{plan.pk}/").content.decode()
    assert "Done well." in detail and "5000" in detail and "Expected sales uplift" in detail


def test_planner_gets_no_feedback_form_and_other_companies_see_nothing():
    world = large_company("webfeed")
    plan = signed_off(world)
    for name, people in world.reviewers.items():
        decide(plan, people[0], "acknowledge", step="take_up", department=name)
    east = browser(world.reviewers["Eastern Sales"][0])
    east.post(f"/plans/{plan.pk}/feedback/", {"kind": "competitors", "text": "A rival sale."})
    planner = browser(world.planner)
    assert "File feedback" not in planner.get(f"/plans/{plan.pk}/").content.decode()
    planner.post(f"/plans/{plan.pk}/feedback/", {"kind": "competitors", "text": "Mine."})
    assert Feedback.objects.filter(plan=plan).count() == 1

    stranger = browser(medium_company("webother").reviewers["Sales"][0])
    assert "A rival sale." not in stranger.get("/feedback/").content.decode()
    assert stranger.get(f"/plans/{plan.pk}/").status_code == 404
    feedback = Feedback.objects.get(plan=plan)
    assert stranger.post(f"/feedback/{feedback.pk}/reply/", {"text": "x"}).status_code == 404
    assert stranger.post(f"/plans/{plan.pk}/close/", {"summary": "x"}).status_code == 404


def test_a_decision_posted_after_a_colleague_decided_is_told_the_task_is_finished():
    """Two reviewers have the review page open; the second to post is told, not refused a
    choice that the finished task no longer offers, and nothing changes."""
    from apps.audit.models import Event
    from apps.plans.models import Decision
    from tests.factories import submitted

    world = medium_company("webrace", reviewers=2)
    first, second = world.reviewers["Sales"]
    plan = submitted(world.planner, title="Raced review")
    task = open_task(plan, step="review")
    late = browser(second)
    assert late.get(f"/tasks/{task.pk}/").status_code == 200  # the page is open

    browser(first).post(f"/tasks/{task.pk}/", {"outcome": "approve", "comment": ""})
    events = Event.objects.filter(plan_id=plan.pk).count()
    response = late.post(f"/tasks/{task.pk}/", {"outcome": "approve", "comment": ""})

    page = response.content.decode()
    assert response.status_code == 200
    assert "This task is already finished." in page
    assert "Select a valid choice" not in page
    assert Decision.objects.filter(plan=plan).count() == 1
    assert Event.objects.filter(plan_id=plan.pk).count() == events
