"""Schemathesis against the live schema: every operation, as users of every role and none.

The schema is read from ``/api/schema/`` through the WSGI application, and the
generated requests go through the same application inside the test's
transaction, against the demo companies. Each response must not be a server
error, must match the schema (status code, content type, body), and must not
contain the id of a plan of another company than the user's.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from apps.org.strategy import company_strategy_update
from apps.plans.models import Feedback, Plan
from tests.factories import draft, open_task, submitted

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "3"))  # raise it for a deeper run
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # no "schema-violating request accepted"
]
ACCEPTING = [*CHECKS, positive_data_acceptance]  # no "schema-valid request rejected"
# Bodies whose rules span several fields, which OpenAPI 3.0 cannot state: a plan's content
# depends on its kind and the campaign must not end before it starts; a decision's comment
# is required by some outcomes only; the actual sales of a close depend on the plan's kind.
# Their refusals are checked by tests/api/test_errors.py and tests/api/test_execution_api.py;
# every other operation must accept every request its schema allows.
CROSS_FIELD_RULES = {
    "POST /api/auth/token/",  # and a schema cannot say which credentials exist
    "POST /api/plans/",
    "PATCH /api/plans/{plan_id}/",
    "POST /api/tasks/{task_id}/decide/",
    "POST /api/plans/{plan_id}/close/",  # actual sales: required or refused by the plan's kind
}
# A planner, a reviewer, a signer and administrator, an auditor, a member of another company
# (a small one), a superuser (no company) and nobody (no credentials).
USERS = [
    "maple.planner",
    "maple.sales",
    "maple.gm",
    "maple.auditor",
    "lotus.seller",
    "admin",
    None,
]
PUBLIC = {"POST /api/auth/token/"}
# Revoking the token would sign the user out for the rest of the run: fuzzed without one.
REVOKES = {"DELETE /api/auth/token/"}
# Invalid input is refused the same way for everybody: two roles are enough to fuzz it.
NEGATIVE_FOR = {"maple.planner", "maple.gm"}


@pytest.fixture
def wsgi_app(db):
    """Django's WSGI handler, kept from closing the test's connection after each request.

    Django's own test client does the same: a closed connection would end the
    transaction that holds the demo data.
    """
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def plan_ids_in(response) -> set[int]:
    """Every plan id a response shows: plan objects, ``plan_id`` fields and export rows."""
    content_type = next(
        (values[0] for name, values in response.headers.items() if name.lower() == "content-type"),
        "",
    )
    text = response.text
    if not text:
        return set()
    if content_type.startswith("text/csv"):
        return {int(row["plan_id"]) for row in csv.DictReader(io.StringIO(text)) if row["plan_id"]}
    if content_type.startswith("application/x-ndjson"):
        documents = [json.loads(line) for line in text.splitlines() if line]
    else:
        documents = [json.loads(text)]
    found: set[int] = set()

    def walk(value):
        if isinstance(value, dict):
            if {"id", "title", "kind"} <= value.keys():
                found.add(value["id"])
            if isinstance(value.get("plan_id"), int):
                found.add(value["plan_id"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(documents)
    return found


def targets(user) -> dict[str, dict]:
    """Path parameters that reach real objects: the company's own, and another company's.

    Red Maple has a strategy, so that a plan drafted without focus or core task takes its.
    """
    company_strategy_update(
        actor=None,
        company=user("maple.gm").membership.company,
        focus="channels",
        core_task="market_share",
    )
    maple = submitted(user("maple.planner"), title="Fuzzed in review")
    draft(user("maple.planner"), title="Fuzzed draft")
    lotus = submitted(user("lotus.planner"), title="Fuzzed elsewhere")
    return {
        "maple": {
            "plan_id": maple.pk,
            "task_id": open_task(maple, step="review").pk,
            "number": 1,
            "feedback_id": _feedback_of(maple.company_id),
        },
        "lotus": {
            "plan_id": lotus.pk,
            "task_id": open_task(lotus, step="review").pk,
            "number": 1,
            "feedback_id": _feedback_of(lotus.company_id),
        },
    }


def _feedback_of(company_id: int) -> int:
    """A market feedback of the company (the demo seed files some for every size)."""
    return Feedback.objects.filter(company_id=company_id).values_list("pk", flat=True).first()


def strategies(operation, fixed: dict[str, dict], *, username: str | None) -> list:
    """Valid requests aimed at the user's own company's objects and at another company's,
    and requests with invalid parameters and bodies; without credentials, one of each."""
    names = {parameter.name for parameter in operation.path_parameters}
    if username is None:
        return [operation.as_strategy()]
    found = [
        operation.as_strategy(path_parameters={name: ids[name] for name in names})
        for ids in (fixed.values() if names else [{}])
    ]
    breakable = names or list(operation.query) or list(operation.body)
    if username in NEGATIVE_FOR and breakable:
        found.append(operation.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    return found


def fuzz(strategy, *, headers: dict, foreign: set[int], tally: Counter) -> None:
    """Send ``EXAMPLES`` generated requests; each must pass the checks and leak nothing."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def exchange(case):
        checks = CHECKS if case.operation.label in CROSS_FIELD_RULES else ACCEPTING
        response = case.call_and_validate(headers=headers, checks=checks)
        tally[case.operation.label] += 1
        tally[response.status_code] += 1
        leaked = plan_ids_in(response) & foreign
        assert not leaked, f"{headers} was shown plans {leaked} of another company"

    exchange()


def test_every_operation_holds_to_the_schema_for_every_role(wsgi_app, user):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", wsgi_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    fixed = targets(user)
    tally: Counter = Counter()
    for username in USERS:
        headers, company = {}, None
        if username:
            person = user(username)
            headers = {"Authorization": f"Token {Token.objects.get_or_create(user=person)[0]}"}
            company = getattr(getattr(person, "membership", None), "company_id", None)
        foreign = set(Plan.objects.exclude(company_id=company).values_list("pk", flat=True))
        for operation in operations:
            if operation.label in PUBLIC | REVOKES and username:
                continue  # the same for everybody: fuzzed once, without credentials
            for strategy in strategies(operation, fixed, username=username):
                fuzz(strategy, headers=headers, foreign=foreign, tally=tally)

    labels = {operation.label for operation in operations}
    requests = sum(count for key, count in tally.items() if key in labels)
    statuses = {key: count for key, count in tally.items() if isinstance(key, int)}
    print(f"schemathesis: {len(operations)} operations, {requests} requests, {statuses}")
    # 17, the token's DELETE (issue 10), five of execution (11), the strategy's GET and PATCH
    assert len(operations) == 25
    assert labels <= set(tally)
    assert {200, 201, 400, 401, 403, 404, 409} <= set(statuses)
