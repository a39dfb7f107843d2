"""End-to-end journeys, one per company size, in Debian's Chromium against the live server.

Each journey clicks what its people would: the planner submits, a reviewer requests
changes, the planner resubmits, the reviewers approve, the signer signs off, the auditor
opens the history, the overview's charts and the export. The steps assert what a user
sees (status, who acts next, which buttons are there and which are not, the charts'
numbers), save PNG screenshots of the key screens at desktop and phone width into
``E2E_ARTIFACTS``, check that no page is wider than a 390 px phone, and run axe-core over
every page they open, viewflow's included: no critical and no serious violation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth import get_user_model
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from apps.plans.models import Plan, Status
from tests.factories import PASSWORD, submitted

from .conftest import ARTIFACTS, DESKTOP, PHONE

pytestmark = [pytest.mark.browser]

AXE = Axe()
BLOCKING = {"critical", "serious"}
# what axe meets when the document it reads is replaced by a navigation
NAVIGATING = re.compile(r"reading 'documentElement'|context was destroyed")
TARGET = {
    "period": "2027 H2",
    "target": "125000",
    "market_forecast": "130000",
    "execution_monitoring": "Monthly sell-out reports",
}


@dataclass
class Journey:
    """A user's walk through the app, with what it checked on the way."""

    page: Page
    name: str
    problems: list[str] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    def log_in(self, username: str) -> None:
        self.page.context.clear_cookies()
        self.page.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_url("**/")
        self.check()

    def go(self, path: str) -> None:
        self.page.goto(path)
        self.check()

    def check(self, *, again: bool = False) -> None:
        """axe over the page as it is now (each page once per journey, unless ``again``: the
        same page showing something new, such as a forecast's form or figures)."""
        key = re.sub(r"\d+", "N", self.page.url.split("?")[0].split("//", 1)[-1].split("/", 1)[-1])
        if key in self.checked and not again:
            return
        self.checked.add(key)
        result = self._axe()
        for violation in result.response["violations"]:
            if violation["impact"] in BLOCKING:
                nodes = "; ".join(n["target"][0] for n in violation["nodes"][:3])
                self.problems.append(
                    f"{self.page.url}: {violation['impact']} {violation['id']} ({nodes})"
                )

    def _axe(self):
        """axe once the page has loaded. A click that navigates returns when the new page is
        committed, not loaded: axe started then can find the document swapped under it, so it
        runs again once the page has settled (the error names the navigation, not the page)."""
        for _ in range(2):
            self.page.wait_for_load_state("load")
            try:
                return AXE.run(self.page)
            except PlaywrightError as error:
                if not NAVIGATING.search(str(error)):
                    raise
        self.page.wait_for_load_state("load")
        return AXE.run(self.page)

    def shoot(self, screen: str, *, phone_fits: bool = True) -> None:
        """PNGs of the screen at desktop and phone width; a Greenlight page must not scroll
        sideways on the phone (viewflow's administrators' view keeps its own layout)."""
        folder = ARTIFACTS / self.name
        folder.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(folder / f"{screen}-desktop.png"))
        self.page.set_viewport_size(PHONE)
        if phone_fits:
            try:  # wait for the layout to settle at the new width, then it must fit
                self.page.wait_for_function(
                    f"document.documentElement.scrollWidth <= {PHONE['width']}", timeout=3000
                )
            except PlaywrightTimeout:
                width = self.page.evaluate("document.documentElement.scrollWidth")
                self.problems.append(f"{self.page.url}: {width} px wide at a 390 px phone")
        self.page.screenshot(path=str(folder / f"{screen}-phone.png"))
        self.page.set_viewport_size(DESKTOP)

    def done(self) -> None:
        assert not self.problems, "\n".join(self.problems)


def draft_and_submit(j: Journey, title: str) -> Plan:
    page = j.page
    page.click("text=Draft a plan")
    j.check()
    page.click("text=Draft a promotional plan")
    j.check()
    page.fill("#id_title", title)
    page.select_option("#id_focus", "channels")
    page.select_option("#id_core_task", "market_share")  # sales leads: the review binds
    page.select_option("#id_directive", "mandatory")
    page.select_option("#id_horizon", "short_term")
    page.fill("#id_c_campaign_start", "2027-06-01")
    page.fill("#id_c_campaign_end", "2027-06-30")
    page.fill("#id_c_regions", "All regions")
    page.fill("#id_c_channels", "Own shops")
    page.fill("#id_c_budget", "42000")
    page.click("button[name=submit]")
    expect(page.locator(".messages")).to_contain_text("Submitted for review.")
    expect(page.locator("h1 .badge")).to_have_text("In review")
    j.check()
    return Plan.objects.get(title=title)


def open_my_task(j: Journey, title: str) -> None:
    """From the home page's queue or inbox, the task of the plan."""
    j.page.locator("#queue tr, #inbox tr, #waiting-sign-off tr").filter(
        has_text=title
    ).first.locator("a").first.click()
    j.check()


def claim_and_decide(
    j: Journey, title: str, outcome: str, comment: str = "", *, amount: str = ""
) -> None:
    page = j.page
    open_my_task(j, title)
    page.click("text=Claim this task")
    expect(page.locator("text=Record decision")).to_be_visible()
    j.check(again=bool(amount))  # a forecast's form is a page of its own
    page.check(f"input[value={outcome}]")
    if amount:
        page.fill("#id_amount", amount)
    if comment:
        page.fill("#id_comment", comment)
    page.click("text=Record decision")
    expect(page.locator(".messages")).to_contain_text("Your decision is recorded.")
    j.check(again=bool(amount))


def next_actor(j: Journey) -> str:
    return j.page.locator(".card:has(h2:text('Who acts next'))").inner_text()


def resubmit(j: Journey, title: str, request: str) -> None:
    page = j.page
    expect(page.locator("#sent-back")).to_contain_text(title)
    page.locator("#sent-back").get_by_role("link", name=title).click()
    j.check()
    expect(page.locator("h1 .badge")).to_have_text("Changes requested")
    page.click("a:text('Edit')")
    expect(page.locator(".note")).to_contain_text(request)
    j.check()
    page.fill("#id_c_regions", "All regions and the outlets")
    page.click("button[name=submit]")
    expect(page.locator(".messages")).to_contain_text("Submitted for review.")


def auditor_reads(
    j: Journey, username: str, title: str, statuses: dict[str, int], gaps: dict | None = None
) -> None:
    page = j.page
    j.log_in(username)
    expect(page.locator("#activity")).to_contain_text(title)
    page.get_by_role("link", name="History", exact=True).click()
    j.check()
    expect(page.locator("table")).to_contain_text("Sign-off")
    j.shoot("history")
    with page.expect_download() as download:
        page.click("text=Export CSV")
    lines = download.value.path().read_text().splitlines()
    assert lines[0].startswith("seq,") or "action" in lines[0]
    assert any(title in line for line in lines)
    page.get_by_role("link", name="Overview", exact=True).click()
    j.check()
    chart = page.locator("#chart-status")
    for label, count in statuses.items():
        bar = chart.locator(f"g.bar[data-label='{label}']")
        expect(bar).to_have_attribute("data-value", str(count))
        expect(bar.locator("text.value")).to_have_text(str(count))
    expect(page.locator("#chart-take-up")).to_be_visible()
    for label, (gap, note) in (gaps or {}).items():
        bar = page.locator(f"#chart-forecast-gaps g.bar[data-label='{label}']")
        expect(bar).to_have_attribute("data-value", gap)
        expect(bar.locator("text.value")).to_have_text(f"{gap}% · {note}")
    j.shoot("overview")


def test_medium_company_journey_with_a_refused_rejection(page):
    j = Journey(page, "medium")
    title = "Summer linen promotion"
    j.log_in("maple.planner")
    plan = draft_and_submit(j, title)
    expect(page.locator("#route li[aria-current=step]")).to_contain_text("Sales review")
    assert "reviewers of Sales" in next_actor(j)
    expect(page.locator("text=Claim")).to_have_count(0)  # the author may not claim
    j.shoot("plan-submitted")

    j.log_in("maple.sales")
    expect(page.locator("#count-queue")).to_have_text("1")
    j.shoot("reviewer-home")
    page.locator("#queue tr").filter(has_text=title).get_by_role("link", name=title).click()
    j.check()
    page.click("text=Claim sales review")
    expect(page.locator("text=Record decision")).to_be_visible()
    # the failing case: a rejection needs a comment; the error is by the field, nothing lost
    page.check("input[value=reject]")
    page.click("text=Record decision")
    comment_field = page.locator(".field-error:has(#id_comment)")
    expect(comment_field).to_contain_text("Say why")
    expect(page.locator("#id_comment")).to_be_focused()
    expect(page.locator("input[value=reject]")).to_be_checked()
    j.check()
    j.shoot("reject-without-comment")
    page.check("input[value=request_changes]")
    page.fill("#id_comment", "Add the outlet stores, please.")
    page.click("text=Record decision")
    expect(page.locator(".messages")).to_contain_text("Your decision is recorded.")
    expect(page.locator("h1 .badge")).to_have_text("Changes requested")

    j.log_in("maple.planner")
    resubmit(j, title, "Add the outlet stores, please.")

    j.log_in("maple.sales")
    claim_and_decide(j, title, "approve")
    expect(page.locator("h1 .badge")).to_have_text("Awaiting sign-off")
    assert "signers of Red Maple Apparel" in next_actor(j)

    j.log_in("maple.gm")
    expect(page.locator("#waiting-sign-off")).to_contain_text(title)
    claim_and_decide(j, title, "approve", "Signed.")
    expect(page.locator("h1 .badge")).to_have_text("Approved")
    expect(page.locator("#route li[data-stage=sign_off]")).to_have_class("done")
    j.shoot("signed-off")
    j.go("/workflow/")  # viewflow's frontend, for administrators
    j.go(f"/workflow/planapproval/{plan.process.pk}/")
    j.shoot("viewflow-process", phone_fits=False)

    # a sales target first asks sales for its own forecast; the plan then shows the gap
    target = "Autumn wool target"
    submitted(
        get_user_model().objects.get(username="maple.planner"),
        kind="sales_target",
        title=target,
        content=dict(TARGET),
    )
    j.log_in("maple.sales")
    expect(page.locator("#queue tr").filter(has_text=target)).to_contain_text("Sales forecast")
    claim_and_decide(j, target, "forecast", "Our shops sold 96,000 last autumn.", amount="100000")
    strategy = page.locator(".card.strategy")
    expect(strategy).to_contain_text("100,000 by maple.sales")
    expect(strategy).to_contain_text("25.0% (tolerance 10%)")
    expect(page.locator("h1 .badge")).to_have_text("In review")
    j.shoot("forecast-given")

    gaps = {target: ("25.0", "above tolerance")}
    auditor_reads(j, "maple.auditor", title, {"Approved": 1}, gaps)
    page.goto("/api/docs/")  # Swagger UI from the app's own static files: no internet here
    expect(page.locator(".swagger-ui .information-container")).to_contain_text("Greenlight")
    plan.refresh_from_db()
    assert plan.status == Status.APPROVED and plan.revision_count == 2
    j.done()


def test_small_company_journey(page):
    j = Journey(page, "small")
    title = "Lotus spring knit week"
    j.log_in("lotus.planner")
    draft_and_submit(j, title)
    j.log_in("lotus.seller")
    claim_and_decide(j, title, "request_changes", "Name the stores.")
    j.log_in("lotus.planner")
    resubmit(j, title, "Name the stores.")
    j.log_in("lotus.seller")
    claim_and_decide(j, title, "approve")
    j.log_in("lotus.head")
    claim_and_decide(j, title, "approve", "Go.")
    expect(page.locator("h1 .badge")).to_have_text("Approved")
    j.shoot("signed-off")
    auditor_reads(j, "lotus.auditor", title, {"Approved": 1})
    j.done()


def test_large_company_journey_with_parallel_regions(page):
    j = Journey(page, "large")
    title = "Northstar winter coats"
    j.log_in("north.planner")
    draft_and_submit(j, title)
    assert "Eastern Sales" in next_actor(j) and "Western Sales" in next_actor(j)

    j.log_in("north.sales.east")
    claim_and_decide(j, title, "request_changes", "Prices for the east, please.")
    j.log_in("north.sales.west")
    page.get_by_role("link", name="Notifications").click()
    j.check()
    expect(page.locator("table")).to_contain_text("closed without your decision")
    j.shoot("west-notifications")

    j.log_in("north.planner")
    resubmit(j, title, "Prices for the east, please.")
    j.log_in("north.sales.east")
    claim_and_decide(j, title, "approve")
    expect(page.locator("h1 .badge")).to_have_text("In review")  # the west still reviews
    assert "Western Sales" in next_actor(j)
    j.log_in("north.sales.west")
    claim_and_decide(j, title, "approve")
    j.log_in("north.director")
    claim_and_decide(j, title, "approve", "Signed for both regions.")
    expect(page.locator("h1 .badge")).to_have_text("Approved")
    j.shoot("signed-off")
    auditor_reads(j, "north.auditor", title, {"Approved": 1})
    j.done()
