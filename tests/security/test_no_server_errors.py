"""No request causes a 500: hostile input sent to every URL the project serves.

Every route of the resolver (web pages, viewflow's URLs and the API), with the ids
of real objects filled in, is sent huge numbers, deep nesting, oversize bodies and
odd encodings, by a signed-in head of the company and by nobody. No answer may be a
5xx; under the API every error keeps the error shape; a body over the upload limit
is a 413 (JSON under the API).
"""

from __future__ import annotations

import json
from collections import Counter

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client, override_settings
from rest_framework.authtoken.models import Token

from apps.api.views import auth
from tests.reliability.figures import record

from .urls import all_routes
from .world import node_ids, target_ids

pytestmark = [pytest.mark.security, pytest.mark.django_db]

HUGE = "1" + "0" * 400
# The OpenAPI document and Swagger UI answer in YAML or HTML, errors included.
DOCUMENTS = ("/api/schema/", "/api/docs/")
NUMBERS = {
    "title": 1e30,
    "kind": 10**30,
    "outcome": HUGE,
    "comment": 1e308,
    "page": 10**30,
    "content": {"budget": "1e30", "expected_uplift": 1e26, "campaign_start": 1e30},
    "username": 1e30,
    "password": 10**30,
}
JSON_BODIES = {
    "huge numbers": json.dumps(NUMBERS),
    "huge literal": '{"title": ' + "9" * 5000 + "}",
    "float overflow": '{"title": "x", "content": {"budget": 1e400}}',
    "deep array": "[" * 10_000,
    "deep object": '{"a":' * 5_000 + "1" + "}" * 5_000,
    "nested but valid": json.dumps({"content": {"budget": [[[[[[[[["1"]]]]]]]]]}}),
    "NaN": '{"title": NaN, "content": {"budget": Infinity}}',
}
ENCODED = {
    "invalid utf-8": (b'{"title": "\xff\xfe\xfa"}', "application/json"),
    "utf-16": ('{"title": "x"}'.encode("utf-16"), "application/json; charset=utf-16"),
    "unknown charset": (b'{"title": "x"}', "application/json; charset=no-such-codec"),
    "form, broken escapes": (
        b"title=%ff%fe&outcome=%&comment=%zz",
        "application/x-www-form-urlencoded",
    ),
    "form, huge numbers": (
        b"title=1e30&c_budget=1e30&c_expected_uplift=" + HUGE.encode() + b"&outcome=approve",
        "application/x-www-form-urlencoded",
    ),
    "form, nul bytes": (b"title=%00&comment=%00%00", "application/x-www-form-urlencoded"),
    "multipart without boundary": (b"--x\r\n", "multipart/form-data"),
    "xml": (b"<plan><title>x</title></plan>", "application/xml"),
}
QUERIES = [
    "?page=" + HUGE,
    "?page_size=1e30&page=-1",
    "?status=%ff&kind=%00&q=" + "%28" * 500,
    "?since=99999-99-99&until=0000-00-00&plan=1e30&actor=-1&format=%ff",
    "?scope=" + "x" * 5000,
]


@pytest.fixture(autouse=True)
def fresh_throttle():
    """The token throttle counts in the cache: no test inherits another's attempts."""
    cache.clear()
    yield
    cache.clear()


def _routes():
    return [route for route in all_routes() if "<path:" not in route.template]


def _clients(user):
    head = user("maple.gm")
    web = Client(raise_request_exception=False)
    web.force_login(head)
    token, _ = Token.objects.get_or_create(user=head)
    api = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token.key}")
    return {"head": (web, api), "nobody": (Client(raise_request_exception=False),) * 2}


def _check(response, url: str, api: bool, failures: list, what: str) -> int:
    status = response.status_code
    if status >= 500:
        failures.append((what, url, status))
    elif api and status >= 400 and not url.startswith(DOCUMENTS):
        try:
            body = json.loads(
                b"".join(response.streaming_content) if response.streaming else response.content
            )
        except ValueError:
            body = None
        if not (isinstance(body, dict) and {"code", "message"} <= set(body.get("error", {}))):
            failures.append((what, url, f"{status} outside the error shape"))
    return status


@override_settings(AXES_ENABLED=False, API_TOKEN_RATE="100000/minute")
def test_no_request_causes_a_server_error(maple, user):
    ids = target_ids(maple)
    clients = _clients(user)
    statuses: Counter = Counter()
    failures: list = []
    cases = 0
    for route in _routes():
        url = route.fill(ids | node_ids(maple, route.node)) if route.params else route.fill({})
        for who, (web, api_client) in clients.items():
            client = api_client if route.is_api else web
            for query in QUERIES:
                statuses[_check(client.get(url + query), url, route.is_api, failures, query)] += 1
                cases += 1
            bodies = {
                name: (body.encode(), "application/json") for name, body in JSON_BODIES.items()
            }
            for name, (body, content_type) in (bodies | ENCODED).items():
                response = client.generic("POST", url, body, content_type=content_type)
                statuses[_check(response, url, route.is_api, failures, f"{who}: {name}")] += 1
                cases += 1
            oversize = b"[" + b"1," * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 2) + b"1]"
            response = client.generic("POST", url, oversize, content_type="application/json")
            status = _check(response, url, route.is_api, failures, f"{who}: oversize")
            statuses[status] += 1
            cases += 1
            if status != 413:
                failures.append(("oversize", url, status))
    record("no server errors", routes=len(_routes()), cases=cases, statuses=dict(statuses))
    assert not failures, sorted(
        {(what.split(": ")[-1], url, str(status)) for what, url, status in failures}
    )[:40]


def test_an_oversize_api_body_is_a_json_413(db):
    client = Client(raise_request_exception=False)
    body = b'{"username": "' + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1) + b'"}'
    response = client.generic("POST", "/api/auth/token/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "too_large",
            "message": "The request body is larger than the server accepts.",
        }
    }


def test_deep_nesting_without_signing_in_is_a_400_in_the_error_shape(db):
    client = Client(raise_request_exception=False)
    response = client.generic(
        "POST", "/api/auth/token/", "[" * 10_000, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parse_error"


def test_an_unexpected_api_failure_is_a_500_in_the_error_shape_under_production_settings(
    world, monkeypatch, user
):
    """Fault injected: the one thing mocked is the failure itself (DEBUG off, as in production)."""

    def broken(*args, **kwargs):
        raise RuntimeError("injected fault")

    monkeypatch.setattr(auth, "membership_of", broken)
    client = Client(raise_request_exception=False)
    client.force_login(user("maple.planner"))
    with override_settings(DEBUG=False):
        response = client.get("/api/me/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["code"] == "server_error"
