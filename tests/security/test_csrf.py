"""Cross-site request forgery: a POST without the CSRF token changes nothing, anywhere.

Every URL is POSTed to by a signed-in member of the company that owns the objects (so that
the request would otherwise be allowed), with CSRF checks on as in a browser. The API's
session-authenticated requests are held to the same rule; token-authenticated ones carry no
cookie and are not exposed to CSRF.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.org.models import Company
from tests.factories import open_task, submitted
from tests.http import redirect_path
from tests.reliability.figures import record
from tests.reliability.harness import db_state, state_diff

from .urls import all_routes, swept
from .world import POSTED, node_ids, target_ids

pytestmark = [pytest.mark.security, pytest.mark.django_db]

# The API's sign-in exchanges credentials in the body for a token in the body: it sets no
# cookie and trusts none, so a forged request gains nothing (DRF exempts it from CSRF). The
# API's catch-all answers 404 to any method and changes nothing.
EXEMPT = {"api:token", "api:not-found"}
# Posts that would change something for the signed-in owner: each must be refused with a 403.
CSRF_GUARDED = {
    "plan-create",
    "plan-submit",
    "plan-cancel",
    "task-claim",
    "task-release",
    "member-add",
    "company-settings",
    "api:plan-list",
    "api:plan-submit",
    "api:task-decide",
    "api:task-claim",
}


def _owner_clients(user):
    """The company's head (admin, signer) and its reviewer, signed in, CSRF checks on."""
    clients = {}
    for username in ("maple.gm", "maple.sales"):
        web = Client(enforce_csrf_checks=True)
        web.force_login(user(username))
        api = APIClient(enforce_csrf_checks=True)
        api.force_login(user(username))
        clients[username] = (web, api)
    return clients


def test_every_post_without_a_csrf_token_is_refused(maple, user):
    company = Company.objects.get(slug="maple")
    ids = target_ids(company)
    clients = _owner_clients(user)
    before = db_state()
    refused, accepted, forbidden = 0, [], set()
    routes = swept(
        [route for route in all_routes() if route.name not in EXEMPT],
        at_least=70,
        including=CSRF_GUARDED,
    )
    for route in routes:
        url = route.fill(ids | node_ids(company, route.node))
        for web, api in clients.values():
            if route.is_api:
                response = api.post(url, POSTED, format="json")
            else:
                response = web.post(url, POSTED)
            if response.status_code in (403, 405):
                refused += 1
                forbidden |= {route.name} if response.status_code == 403 else set()
            else:
                accepted.append((url, response.status_code))
    record("csrf", posts_without_token=refused + len(accepted), refused=refused)
    assert accepted == []
    assert refused == 2 * len(routes)
    # The state-changing posts are refused by CSRF itself (403), not for being GETs only (405).
    assert forbidden >= CSRF_GUARDED, sorted(CSRF_GUARDED - forbidden)
    assert state_diff(before, db_state()) == {}


def test_signing_in_and_out_without_a_csrf_token_is_refused(maple, user):
    browser = Client(enforce_csrf_checks=True)
    response = browser.post(
        "/accounts/login/", {"username": "maple.sales", "password": "greenlight-demo"}
    )
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session

    browser.force_login(user("maple.sales"))
    assert browser.post("/accounts/logout/").status_code == 403
    assert browser.get("/plans/").status_code == 200  # still signed in


def test_the_same_post_with_the_token_goes_through(maple, user):
    """The control: the refusals above are CSRF's, not something else's."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user("maple.sales"))
    browser.get("/plans/")
    token = browser.cookies["csrftoken"].value
    task = open_task(submitted(user("maple.planner")), step="review")
    response = browser.post(f"/tasks/{task.pk}/claim/", {"csrfmiddlewaretoken": token})
    assert redirect_path(response) == f"/tasks/{task.pk}/"
    task.refresh_from_db()
    assert task.owner == user("maple.sales")
