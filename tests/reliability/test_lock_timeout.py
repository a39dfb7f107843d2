"""A row lock that cannot be had in time fails cleanly: a 409 with Retry-After, nothing changed.

PostgreSQL only (SQLite has no row locks; its busy timeout is covered by the live
SQLite test and tests/security/test_hardening.py). Another connection holds the
plan's process row, as a long transaction would; the API's decision waits for
``lock_timeout`` and then answers a conflict with Retry-After, in the error shape, instead of
queueing forever (a lock wait outside the flow lock is a 503, see apps.core.middleware).
"""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.audit.models import Event
from tests.factories import open_task, submitted
from workflows.models import PlanProcess

from .harness import POSTGRES_ONLY, medium_company

pytestmark = [pytest.mark.reliability, POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]


def test_the_connection_carries_a_lock_timeout():
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone()[0] == "10s"


def test_a_decision_that_cannot_get_the_lock_in_time_is_a_409_to_retry_and_changes_nothing():
    company = medium_company("locked")
    plan = submitted(company.planner)
    task = open_task(plan, step="review")
    reviewer = company.reviewers_of("Sales")[0]
    holding, release = threading.Event(), threading.Event()
    process_id = plan.process.pk
    failures: list[BaseException] = []

    def hold_the_process_row():
        try:
            with connections["default"].cursor() as cursor:  # this thread's own connection
                cursor.execute("BEGIN")
                table = connection.ops.quote_name(PlanProcess._meta.db_table)
                column = connection.ops.quote_name(PlanProcess._meta.pk.column)
                cursor.execute(
                    f"SELECT 1 FROM {table} WHERE {column} = %s FOR UPDATE",  # noqa: S608
                    [process_id],
                )
                holding.set()
                release.wait(timeout=60)
                cursor.execute("ROLLBACK")
        except BaseException as error:
            failures.append(error)
            raise
        finally:
            connections["default"].close()

    holder = threading.Thread(target=hold_the_process_row)
    holder.start()
    try:
        assert holding.wait(timeout=30), failures
        events = Event.objects.count()
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=reviewer)[0].key}"
        )
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '300ms'")  # the test need not wait ten seconds
        response = client.post(
            f"/api/tasks/{task.pk}/decide/", {"outcome": "approve"}, format="json"
        )
    finally:
        release.set()
        holder.join(timeout=60)
    assert response.status_code == 409, response.content
    assert int(response["Retry-After"]) > 0
    assert json.loads(response.content)["error"]["code"] == "conflict"
    assert Event.objects.count() == events
    task.refresh_from_db()
    assert task.status == "NEW" and task.owner_id is None
