"""Two signers claim the same sign-off over HTTP at the same instant: one wins, one gets 409."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from rest_framework.authtoken.models import Token

from tests.api.conftest import JsonClient
from tests.factories import open_task, submitted
from workflows import services as approvals

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: row locks and one connection per thread",
    ),
]


def test_of_two_simultaneous_claims_exactly_one_wins_and_the_other_gets_409(user):
    plan = submitted(user("maple.planner"))
    approvals.task_decide(
        actor=user("maple.sales"), task_id=open_task(plan, step="review").pk, outcome="approve"
    )
    task = open_task(plan, step="sign_off")
    signers = ["maple.gm", "maple.salesdir"]
    tokens = {name: Token.objects.get_or_create(user=user(name))[0].key for name in signers}
    start = threading.Barrier(len(signers))
    answers: dict[str, tuple[int, dict]] = {}

    def claim(name: str) -> None:
        client = JsonClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {tokens[name]}")
        try:
            start.wait()
            response = client.post(f"/api/tasks/{task.pk}/claim/")
            answers[name] = (response.status_code, response.json())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=claim, args=(name,)) for name in signers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    statuses = sorted(status for status, _ in answers.values())
    assert statuses == [200, 409], answers
    [winner] = [name for name, (status, _) in answers.items() if status == 200]
    [loser] = [body for status, body in answers.values() if status == 409]
    assert loser["error"]["code"] == "conflict"  # "... has already claimed" or "try again"
    task.refresh_from_db()
    assert task.owner.username == winner
