"""A form that undoes something asks first, under the app's CSP (no inline script)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from apps.plans.models import Plan, Status
from tests.factories import PASSWORD, draft

pytestmark = [pytest.mark.browser]


def test_cancelling_a_plan_asks_first_and_a_no_changes_nothing(page):
    planner = get_user_model().objects.get(username="maple.planner")
    plan = draft(planner, title="Plan to think twice about")
    page.goto("/accounts/login/")
    page.fill("#id_username", "maple.planner")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")

    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.goto(f"/plans/{plan.pk}/")
    page.once("dialog", lambda dialog: answer(dialog, accept=False))
    page.click("button:has-text('Cancel plan')")
    expect(page.locator("button:has-text('Cancel plan')")).to_be_visible()
    assert questions == ["Cancel this plan? This cannot be undone."]
    assert Plan.objects.get(pk=plan.pk).status == Status.DRAFT

    page.once("dialog", lambda dialog: answer(dialog, accept=True))
    page.click("button:has-text('Cancel plan')")
    expect(page.locator("button:has-text('Cancel plan')")).to_have_count(0)
    assert len(questions) == 2
    assert Plan.objects.get(pk=plan.pk).status == Status.CANCELLED
