"""Simulated people of the three demo companies, working through the REST API at once.

Planners draft, submit and resubmit; reviewers read their inbox and queue, claim and
decide; signers sign off; auditors read the history and export it. Each simulated
person signs in with a token prepared by ``load/run.py`` (the token endpoint's
sign-in limit would rightly refuse fifty sign-ins a minute from one address).

A 409 is a deliberate outcome, not an error: people race for the same task on
purpose, and the one who loses is told so. It is counted apart. Every other
answer that is not a success is an error. A request whose connection died with a
killed worker is retried once and counted apart too.
"""

from __future__ import annotations

import json
import os
import random
from itertools import count

from locust import FastHttpUser, between, events, task
from locust.exception import StopUser

ACCOUNTS = json.loads(os.environ.get("LOAD_ACCOUNTS", "{}"))  # username -> token, by role
MAX_REQUESTS = int(os.environ.get("LOAD_MAX_REQUESTS", "30000"))
# Seconds a person spends between two actions (reading what the last answer showed).
WAIT_MIN, WAIT_MAX = (float(part) for part in os.environ.get("LOAD_WAIT", "2-6").split("-"))
CONFLICTS = count(1)
RESETS = count(1)
SENT = count(1)

PROMO = {
    "campaign_start": "2027-06-01",
    "campaign_end": "2027-06-30",
    "regions": "All regions",
    "channels": "Own shops and online",
    "budget": "40000",
}
LEADS = [("channels", "market_share"), ("promotion", "brand_building")]


@events.quitting.add_listener
def _report(**_kwargs):
    """Hand the count of 409s to ``load/run.py`` (locust's own stats count them as successes)."""
    path = os.environ.get("LOAD_CONFLICTS_FILE")
    if path:
        with open(path, "w") as handle:
            json.dump({"conflicts": next(CONFLICTS) - 1, "resets": next(RESETS) - 1}, handle)


class Person(FastHttpUser):
    abstract = True
    role = ""
    wait_time = between(WAIT_MIN, WAIT_MAX)

    def on_start(self):
        people = ACCOUNTS.get(self.role, [])
        if not people:
            raise StopUser()
        self.username, token = random.choice(people)  # noqa: S311 (load, not secrets)
        self.auth = {"Authorization": f"Token {token}"}

    def call(self, method: str, path: str, name: str, **kwargs):
        """One request; a 409 is a lost race (counted apart), anything else not 2xx an error.

        A connection that the server dropped before answering (its worker was killed) is
        tried once more, as a load balancer or an API client would: the server's
        transaction died with the connection, so the retry is safe.
        """
        for attempt in (1, 2):
            if next(SENT) > MAX_REQUESTS:  # a hard cap on requests, whatever the clock says
                raise StopUser()
            with self.client.request(
                method, path, name=name, catch_response=True, headers=self.auth, **kwargs
            ) as reply:
                if reply.status_code == 0 and attempt == 1:
                    next(RESETS)
                    reply.success()
                    continue
                if reply.status_code == 409:
                    next(CONFLICTS)
                    reply.success()
                elif 200 <= reply.status_code < 300:
                    reply.success()
                else:
                    reply.failure(f"{reply.status_code}: {reply.text[:200]}")
                return reply
        return reply

    def tasks_in(self, scope: str) -> list[dict]:
        reply = self.call("GET", f"/api/tasks/?scope={scope}", f"tasks ({scope})")
        return reply.json().get("results", []) if reply.status_code == 200 else []


class Planner(Person):
    role = "planner"
    weight = 3

    @task(3)
    def draft_and_submit(self):
        focus, core_task = random.choice(LEADS)  # noqa: S311
        reply = self.call(
            "POST",
            "/api/plans/",
            "plans (create)",
            json={
                "kind": "promotional",
                "title": f"Load promotion {random.randint(1, 10**6)}",  # noqa: S311
                "focus": focus,
                "core_task": core_task,
                # off the company's strategy a plan says why (issue 12); harmless on it
                "core_task_reason": "Load run: plans of either lead.",
                "directive": "guiding",
                "horizon": "short_term",
                "content": PROMO,
            },
        )
        if reply.status_code == 201:
            self.call("POST", f"/api/plans/{reply.json()['id']}/submit/", "plans (submit)")

    @task(2)
    def answer_requests_for_changes(self):
        reply = self.call(
            "GET", "/api/plans/?status=changes_requested&page_size=20", "plans (list)"
        )
        mine = [
            plan
            for plan in (reply.json().get("results", []) if reply.status_code == 200 else [])
            if plan["author"]["username"] == self.username
        ]
        if mine:
            plan = random.choice(mine)  # noqa: S311
            path = f"/api/plans/{plan['id']}/"
            title = f"{plan['title'][:150]} (rev)"
            self.call("PATCH", path, "plans (edit)", json={"title": title})
            self.call("POST", f"{path}submit/", "plans (resubmit)")

    @task(1)
    def read_a_plan(self):
        reply = self.call("GET", "/api/plans/?page_size=10", "plans (list)")
        plans = reply.json().get("results", []) if reply.status_code == 200 else []
        if plans:
            plan = random.choice(plans)  # noqa: S311
            self.call("GET", f"/api/plans/{plan['id']}/", "plans (detail)")


class Decider(Person):
    abstract = True
    choices: tuple[tuple[str, int], ...] = ()

    def outcome(self, offered: list[str]) -> str:
        weighted = [(outcome, weight) for outcome, weight in self.choices if outcome in offered]
        if not weighted:
            return offered[0]
        outcomes, weights = zip(*weighted, strict=True)
        return random.choices(outcomes, weights)[0]  # noqa: S311

    @task(2)
    def inbox(self):
        for item in self.tasks_in("inbox")[:1]:
            self.decide(item)

    @task(4)
    def queue(self):
        queue = self.tasks_in("queue")
        if not queue:
            return
        item = random.choice(queue[:5])  # noqa: S311 (several people race for the same tasks)
        claim = self.call("POST", f"/api/tasks/{item['id']}/claim/", "tasks (claim)")
        if claim.status_code == 200:
            self.decide(claim.json())

    def decide(self, item: dict) -> None:
        if not item.get("outcomes"):
            return
        outcome = self.outcome(item["outcomes"])
        body = {"outcome": outcome}
        if outcome == "forecast":  # a sales target: the department's own figure, and why
            body["amount"] = str(random.randint(80, 140) * 1000)  # noqa: S311
        # people say why; a sign-off above the forecast tolerance, or of a long-term promotion,
        # even needs it
        body["comment"] = "Load test: see the figures in the plan."
        self.call("POST", f"/api/tasks/{item['id']}/decide/", "tasks (decide)", json=body)


class Reviewer(Decider):
    role = "reviewer"
    weight = 3
    choices = (("approve", 6), ("raise_concerns", 2), ("request_changes", 2), ("reject", 1))


class Signer(Decider):
    role = "signer"
    weight = 2
    choices = (("approve", 8), ("request_changes", 1), ("reject", 1))


class Auditor(Person):
    role = "auditor"
    weight = 1

    @task(3)
    def history(self):
        self.call("GET", "/api/audit/events/?page_size=50", "audit (events)")

    @task(1)
    def export(self):
        self.call("GET", "/api/audit/export/?format=jsonl&action=sign_off", "audit (export)")
