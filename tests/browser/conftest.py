"""One Chromium (Debian's, driven by Playwright) for the whole browser run, against the
live server; each test gets a fresh context (cookies) on it. Screenshots go to
``E2E_ARTIFACTS`` (default ``artifacts/e2e/``, ignored by git)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.factories import world_build
from tests.parts import missing_part

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(os.environ.get("E2E_ARTIFACTS") or "artifacts/e2e")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def chromium():
    if not os.path.exists(CHROMIUM):
        missing_part("Debian's chromium is not installed (make test installs it when run as root)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread for the whole session; the ORM
    # calls the tests make are synchronous and safe here.
    mp = pytest.MonkeyPatch()
    mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()
    mp.undo()


@pytest.fixture
def page(chromium, live_server, transactional_db):
    if not get_user_model().objects.filter(username="maple.gm").exists():
        world_build()  # a transactional test before this one flushed it away
    # axe is injected by the test driver; the app's own CSP forbids inline script
    context = chromium.new_context(
        base_url=live_server.url, viewport=DESKTOP, accept_downloads=True, bypass_csp=True
    )
    context.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)  # assertions wait for the page as actions do
    yield context.new_page()
    context.close()
