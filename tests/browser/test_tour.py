"""The README's tour, clicked through in a real Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from apps.plans.models import Plan, Status
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser]
SHOTS = Path(os.environ.get("E2E_ARTIFACTS") or "artifacts/e2e") / "tour"


def log_in(page, username):
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


def shoot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_tour_from_draft_through_rework_to_sign_off(page):
    log_in(page, "maple.planner")
    page.click("text=Draft a plan")
    page.click("text=Draft a promotional plan")
    page.fill("#id_title", "Browser tour promotion")
    page.select_option("#id_focus", "channels")
    page.select_option("#id_core_task", "market_share")
    page.select_option("#id_directive", "mandatory")
    page.select_option("#id_horizon", "short_term")
    page.fill("#id_c_campaign_start", "2027-06-01")
    page.fill("#id_c_campaign_end", "2027-06-30")
    page.fill("#id_c_regions", "All regions")
    page.fill("#id_c_channels", "Own shops")
    page.fill("#id_c_budget", "not a number")
    page.click("button[name=submit]")
    expect(page.locator("text=Enter a number.")).to_be_visible()
    expect(page.locator("#id_c_regions")).to_have_value("All regions")  # nothing typed is lost
    page.fill("#id_c_budget", "30000")
    page.click("button[name=submit]")
    page.wait_for_selector("text=Submitted for review.")
    plan = Plan.objects.get(title="Browser tour promotion")
    assert plan.status == Status.IN_REVIEW

    log_in(page, "maple.sales")
    page.click("text=Browser tour promotion >> xpath=ancestor::tr >> a >> nth=0")
    page.click("text=Claim this task")
    page.check("input[value=request_changes]")
    page.click("text=Record decision")
    expect(page.locator("text=A comment is required to request changes.")).to_be_visible()
    page.check("input[value=request_changes]")
    page.fill("#id_comment", "Add the outlet stores, please.")
    page.click("text=Record decision")
    page.wait_for_selector("text=Your decision is recorded.")

    log_in(page, "maple.planner")
    page.click("text=Browser tour promotion")
    page.click("text=Edit")
    expect(page.locator("text=Add the outlet stores, please.")).to_be_visible()
    page.fill("#id_c_regions", "All regions and outlets")
    page.click("button[name=submit]")
    page.wait_for_selector("text=Submitted for review.")

    log_in(page, "maple.sales")
    page.click("text=Browser tour promotion >> xpath=ancestor::tr >> a >> nth=0")
    page.click("text=Claim this task")
    expect(page.locator("text=What changed since revision 1")).to_be_visible()
    shoot(page, "review-with-diff")
    page.check("input[value=approve]")
    page.click("text=Record decision")
    page.wait_for_selector("text=Your decision is recorded.")

    log_in(page, "maple.gm")
    page.click("text=Browser tour promotion >> xpath=ancestor::tr >> a >> nth=0")
    page.click("text=Claim this task")
    page.check("input[value=approve]")
    page.fill("#id_comment", "Signed.")
    page.click("text=Record decision")
    page.wait_for_selector("text=Your decision is recorded.")
    expect(page.locator(".badge.approved").first).to_be_visible()
    shoot(page, "approved-plan")
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED and plan.revision_count == 2

    page.goto(f"/workflow/planapproval/{plan.process.pk}/chart/")
    expect(page.locator("svg").first).to_be_visible()
