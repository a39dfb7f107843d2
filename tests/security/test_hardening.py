"""Hardening at the edge: headers, proxies, the shared cache, Retry-After, a busy database."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest
from axes.utils import reset
from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError
from django.test import Client, RequestFactory, override_settings
from rest_framework.settings import api_settings

from apps.core.middleware import HardeningMiddleware
from config.settings import base
from tests.security.test_logins import LIMIT, _login, axes_on  # noqa: F401 (fixture)

pytestmark = [pytest.mark.security, pytest.mark.django_db]


@pytest.fixture
def clean_cache():
    cache.clear()
    yield
    cache.clear()


@override_settings(API_TOKEN_RATE="5/minute")
def test_forged_forwarded_for_headers_do_not_reset_the_token_limit(clean_cache):
    client = Client()
    codes = [
        client.post(
            "/api/auth/token/",
            {"username": "nobody", "password": "guess"},
            content_type="application/json",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{i}",
        ).status_code
        for i in range(8)
    ]
    assert codes[:5] == [400] * 5
    assert codes[5:] == [429] * 3
    limited = client.post(
        "/api/auth/token/", {}, content_type="application/json", HTTP_X_FORWARDED_FOR="10.1.1.1"
    )
    assert int(limited["Retry-After"]) > 0


@override_settings(API_TOKEN_RATE="2/minute")
def test_with_one_trusted_proxy_the_client_is_the_address_the_proxy_saw(clean_cache, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api_settings.reload()
    try:
        client = Client()

        def attempt(address):
            return client.post(
                "/api/auth/token/",
                {},
                content_type="application/json",
                HTTP_X_FORWARDED_FOR=f"203.0.113.9, {address}",
            ).status_code

        assert [attempt("198.51.100.1") for _ in range(3)] == [400, 400, 429]
        assert attempt("198.51.100.2") == 400  # another client behind the same proxy
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 0}
        api_settings.reload()


def test_the_default_trusts_no_proxy_and_the_demo_cache_is_shared():
    assert settings.TRUSTED_PROXIES == 0
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == 0
    assert settings.AXES_IPWARE_META_PRECEDENCE_ORDER == ("REMOTE_ADDR",)
    assert base.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"


def test_a_web_lockout_says_when_to_retry(axes_on):  # noqa: F811
    browser = Client()
    for i in range(LIMIT):
        response = _login(browser, "login.planner", f"guess-{i}")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == settings.LOCKOUT_RETRY_AFTER
    reset()


def test_pages_carry_a_policy_with_no_inline_script_and_a_permissions_policy(world, user):
    browser = Client()
    browser.force_login(user("maple.planner"))
    for url in ("/", "/plans/", "/accounts/login/", "/api/docs/"):
        response = browser.get(url)
        assert response.status_code == 200, url
        policy = response["Content-Security-Policy"]
        script = re.search(r"script-src ([^;]*)", policy).group(1)
        assert "'unsafe-inline'" not in script and "http" not in script
        assert "camera=()" in response["Permissions-Policy"]
        assert not re.search(rb"<script(?![^>]*\bsrc=)[^>]*>", response.content), url
        assert not re.search(rb"\son[a-z]+=\"", response.content), url


def test_api_answers_are_not_cached(world, user):
    client = Client()
    client.force_login(user("maple.planner"))
    for url in ("/api/me/", "/api/plans/", "/api/nothing-here/"):
        assert client.get(url)["Cache-Control"] == "no-store"


def test_swagger_ui_is_served_from_the_apps_own_static_files(db):
    page = Client().get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert assets and all(not a.startswith(("http:", "https:", "//")) for a in assets), assets
    assert any("swagger-ui-bundle.js" in a for a in assets)
    assert "cdn.jsdelivr.net" not in page


def _locked_error(tmp_path) -> OperationalError:
    """A real "database is locked" from SQLite, as Django raises it."""
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        waiter.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as real:
        error = OperationalError(*real.args)
        error.__cause__ = real
        return error
    finally:
        holder.close()
        waiter.close()
    raise AssertionError("SQLite did not report the lock")


@pytest.mark.parametrize("path", ["/api/tasks/1/decide/", "/tasks/1/"])
def test_a_database_still_locked_after_the_timeout_is_a_503_with_retry_after(tmp_path, path):
    middleware = HardeningMiddleware(lambda request: None)
    request = RequestFactory().post(path)
    response = middleware.process_exception(request, _locked_error(tmp_path))
    assert response.status_code == 503
    assert int(response["Retry-After"]) == settings.BUSY_RETRY_AFTER
    if path.startswith("/api/"):
        assert json.loads(response.content)["error"]["code"] == "busy"
    else:
        assert b"busy" in response.content


def test_other_database_errors_are_not_taken_for_a_busy_database():
    middleware = HardeningMiddleware(lambda request: None)
    request = RequestFactory().get("/api/plans/")
    assert middleware.process_exception(request, OperationalError("no such table: x")) is None
