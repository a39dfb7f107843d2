"""Signing in: guessing is locked out, answers do not reveal accounts, sessions are renewed.

django-axes is off in the test settings (``AXES_ENABLED=False``) so that other tests may fail
logins freely; these tests switch it on and start from a clean slate.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db.models import F
from django.test import Client, override_settings
from rest_framework.test import APIClient

from tests.factories import PASSWORD as DEMO_PASSWORD
from tests.reliability.figures import record
from tests.reliability.harness import medium_company

pytestmark = [pytest.mark.security, pytest.mark.django_db]

LIMIT = 5
CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def axes_on(db):
    """Axes on, a clean slate, and a company whose planner and reviewer know their password."""
    company = medium_company("login")
    for someone in (company.planner, *company.reviewers_of("Sales")):
        someone.set_password(DEMO_PASSWORD)
        someone.save()
    reset()
    cache.clear()  # the API's sign-in throttle counts in the cache
    # The API's own throttle is lifted, so that what locks the API out here is django-axes.
    with override_settings(
        AXES_ENABLED=True, AXES_FAILURE_LIMIT=LIMIT, API_TOKEN_RATE="999/minute"
    ):
        yield
    reset()
    cache.clear()


def _login(client, username, password):
    return client.post("/accounts/login/", {"username": username, "password": password})


def _token(client, username, password):
    return client.post(
        "/api/auth/token/", {"username": username, "password": password}, format="json"
    )


def _page(response, username) -> tuple[int, bytes]:
    """The answer with what is specific to this request (its CSRF token, the typed name) out."""
    body = CSRF.sub(b"", response.content).replace(username.encode(), b"<username>")
    return response.status_code, body


def test_repeated_failures_lock_the_account_out_even_for_the_right_password(axes_on):
    browser = Client()
    answers = [_login(browser, "login.planner", f"guess-{i}").status_code for i in range(LIMIT)]
    assert answers[: LIMIT - 1] == [200] * (LIMIT - 1)  # the form again, with an error
    assert answers[-1] == 429

    response = _login(browser, "login.planner", DEMO_PASSWORD)
    assert response.status_code == 429
    assert b"Too many failed attempts" in response.content
    assert "_auth_user_id" not in browser.session
    # Another address is not locked out with this one's guesses.
    elsewhere = Client(REMOTE_ADDR="10.9.8.7")
    assert _login(elsewhere, "login.planner", DEMO_PASSWORD).status_code == 302
    record("logins", failures_until_lockout=LIMIT, right_password_during_lock=429)


def _time_passes(by: timedelta) -> None:
    """Date every recorded attempt back by ``by``: what the lock sees once that much time has
    passed, without sleeping through it."""
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - by)


def test_the_lock_lifts_after_the_cool_off_and_not_before(axes_on):
    cool_off = timedelta(minutes=15)
    with override_settings(AXES_COOLOFF_TIME=cool_off):
        browser = Client()
        for i in range(LIMIT):
            _login(browser, "login.planner", f"guess-{i}")
        assert _login(browser, "login.planner", DEMO_PASSWORD).status_code == 429
        _time_passes(cool_off - timedelta(minutes=1))
        response = _login(browser, "login.planner", DEMO_PASSWORD)
        assert response.status_code == 429  # a minute short of the cool-off: still locked
        assert "_auth_user_id" not in browser.session
        _time_passes(cool_off + timedelta(seconds=1))
        response = _login(browser, "login.planner", DEMO_PASSWORD)
        assert response.status_code == 302 and response["Location"] == "/"
        assert browser.session["_auth_user_id"] == str(
            get_user_model().objects.get(username="login.planner").pk
        )


def test_answers_do_not_tell_whether_an_account_exists(axes_on):
    real, ghost = Client(), Client()
    for attempt in range(LIMIT + 1):
        known = _page(_login(real, "login.planner", f"guess-{attempt}"), "login.planner")
        unknown = _page(_login(ghost, "login.nobody", f"guess-{attempt}"), "login.nobody")
        assert known == unknown, f"attempt {attempt + 1} differs"
    assert known[0] == 429  # the unknown name is "locked out" just the same

    api = APIClient()
    answers = []
    for _ in range(LIMIT + 1):
        known = _token(api, "login.sales0", "wrong")
        unknown = _token(api, "login.ghost", "wrong")
        assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
        answers.append(known.status_code)
    assert answers == [400] * (LIMIT - 1) + [429, 429]
    right = _token(api, "login.sales0", DEMO_PASSWORD)
    assert right.status_code == 429 and "token" not in right.json()


def test_the_session_key_changes_at_login(axes_on):
    browser = Client()
    session = browser.session  # an anonymous session, as a visitor's browser would hold
    session["seen"] = True
    session.save()
    before = session.session_key

    assert _login(browser, "login.sales0", DEMO_PASSWORD).status_code == 302
    after = browser.cookies["sessionid"].value
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert Session.objects.get(session_key=after).get_decoded()["_auth_user_id"]


def test_logout_ends_the_session_on_the_server(axes_on):
    browser = Client()
    assert _login(browser, "login.sales0", DEMO_PASSWORD).status_code == 302
    key = browser.cookies["sessionid"].value
    assert browser.get("/plans/").status_code == 200

    assert browser.get("/accounts/logout/").status_code == 405  # a link cannot sign you out
    assert browser.post("/accounts/logout/").status_code == 302
    assert not Session.objects.filter(session_key=key).exists()

    replay = Client()
    replay.cookies["sessionid"] = key  # the old cookie, stolen or kept
    response = replay.get("/plans/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
