"""The demo as people first run it, driven from outside: ``make run``'s configuration under load.

A real ``manage.py runserver`` (threaded, the development settings, a SQLite
file migrated and seeded by ``seed_demo``, Celery eager) serves 20 clients
that post ``decide`` on one review task at the same instant, and two heads
that claim one sign-off at the same instant. Exactly one of each wins, every
other client gets a clean 409, no response is a 5xx, and the history holds one
event per action that won. Unlike the race tests in this folder it needs no
PostgreSQL: it runs on SQLite, in every ``make test``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from apps.demo.seed import DEMO_PASSWORD
from tests.reliability.figures import record

pytestmark = [pytest.mark.reliability, pytest.mark.timeout(600)]

CLIENTS = 20
ROUNDS = int(os.environ.get("LIVE_ROUNDS", "3"))
PLAN = {
    "kind": "promotional",
    "title": "Live race",
    "focus": "channels",
    "core_task": "market_share",
    "directive": "mandatory",
    "horizon": "short_term",
    "content": {
        "campaign_start": "2027-06-01",
        "campaign_end": "2027-06-30",
        "regions": "All regions",
        "channels": "Own shops",
        "budget": "40000",
    },
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _environment(database: Path) -> dict[str, str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "CELERY_", "CACHE_", "AXES_", "API_"))
    }
    return clean | {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"sqlite:///{database}",
        "PYTHONUNBUFFERED": "1",
    }


def _manage(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )


class Api:
    def __init__(self, base: str, token: str | None = None) -> None:
        self.base, self.token = base, token

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Token {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            text = error.read()
            try:
                return error.code, json.loads(text or b"{}")
            except ValueError:
                return error.code, {"raw": text[:200].decode(errors="replace")}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``make run`` in a temporary directory: migrate, seed, serve; stopped afterwards."""
    directory = tmp_path_factory.mktemp("live")
    env = _environment(directory / "db.sqlite3")
    _manage(env, "migrate", "--noinput")
    _manage(env, "createcachetable")
    _manage(env, "seed_demo")
    port = _free_port()
    log = (directory / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/api"
    try:
        for _ in range(120):  # up to a minute for the server to listen
            try:
                urllib.request.urlopen(base + "/schema/", timeout=5).close()  # noqa: S310
                break
            except (urllib.error.URLError, ConnectionError):
                if process.poll() is not None:
                    pytest.fail(f"runserver exited: {(directory / 'server.log').read_text()}")
                time.sleep(0.5)
        else:
            pytest.fail("runserver did not start within a minute")
        yield base, directory / "server.log"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=20)
        log.close()


def _sign_in(base: str, username: str) -> Api:
    status, body = Api(base).call(
        "POST", "/auth/token/", {"username": username, "password": DEMO_PASSWORD}
    )
    assert status == 200, body
    return Api(base, body["token"])


def _all_at_once(calls) -> list[tuple[int, dict]]:
    """Run every call in its own thread, released together; the answers in order."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[int, dict] | None] = [None] * len(calls)

    def run(index, call):
        barrier.wait(timeout=60)
        results[index] = call()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(result is not None for result in results), "a client did not finish"
    return results  # type: ignore[return-value]


def test_concurrent_clients_on_the_sqlite_demo_get_one_winner_and_clean_conflicts(server):
    base, log = server
    planner, reviewer = _sign_in(base, "maple.planner"), _sign_in(base, "maple.sales")
    heads = [_sign_in(base, "maple.gm"), _sign_in(base, "maple.salesdir")]
    decide_codes: Counter = Counter()
    claim_codes: Counter = Counter()
    for round_number in range(ROUNDS):
        status, plan = planner.call("POST", "/plans/", {**PLAN, "title": f"Race {round_number}"})
        assert status == 201, plan
        status, plan = planner.call("POST", f"/plans/{plan['id']}/submit/")
        assert status == 200, plan
        task_id = plan["current_steps"][0]["task_id"]

        decided = _all_at_once(
            [
                lambda task_id=task_id: reviewer.call(
                    "POST", f"/tasks/{task_id}/decide/", {"outcome": "approve", "comment": "Go."}
                )
            ]
            * CLIENTS
        )
        codes = Counter(code for code, _ in decided)
        decide_codes.update(codes)
        assert codes == {200: 1, 409: CLIENTS - 1}, decided
        assert all(body["error"]["code"] == "conflict" for code, body in decided if code == 409), (
            decided
        )

        status, plan = planner.call("GET", f"/plans/{plan['id']}/")
        assert plan["status"] == "awaiting_signoff"
        sign_off = plan["current_steps"][0]["task_id"]
        claimed = _all_at_once(
            [
                lambda head=head, task_id=sign_off: head.call("POST", f"/tasks/{task_id}/claim/")
                for head in heads
            ]
        )
        codes = Counter(code for code, _ in claimed)
        claim_codes.update(codes)
        assert codes == {200: 1, 409: 1}, claimed

        status, history = planner.call("GET", f"/plans/{plan['id']}/history/")
        actions = Counter(event["action"] for event in history["results"])
        assert actions["approve"] == 1 and actions["claim"] == 1, actions

    assert "Traceback" not in log.read_text()
    record(
        "live SQLite demo",
        rounds=ROUNDS,
        clients_deciding=CLIENTS,
        decide=dict(decide_codes),
        claim=dict(claim_codes),
        server_errors=0,
    )
