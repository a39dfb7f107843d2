"""What the race and crash tests share: small companies built through the services, threads
that each hold their own database connection, a recorder for background work, and a
snapshot of the whole database.
"""

from __future__ import annotations

import os
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.db import connection

from apps.org.models import DepartmentKind, Role, Size
from tests.factories import CompanyFactory, DepartmentFactory, MemberFactory

POSTGRES_ONLY = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="race and crash tests need PostgreSQL (row locks, several connections); "
    "set DATABASE_URL=postgres://... to run them",
)

# RELIABILITY_SCALE=0.2 runs a fifth of the rounds (for a quick look); 1 is the count.
SCALE = float(os.environ.get("RELIABILITY_SCALE", "1"))


def rounds(count: int) -> int:
    """``count`` rounds, scaled by ``RELIABILITY_SCALE``."""
    return max(1, round(count * SCALE))


# Every model whose rows a crashed action could have touched, or that nothing may touch.
SNAPSHOT_SKIP = {"sessions.session", "contenttypes.contenttype", "auth.permission"}


@dataclass
class Company:
    """A company made for one test, and its people by role."""

    company: Any
    planner: Any
    signers: list[Any]
    reviewers: dict[str, list[Any]] = field(default_factory=dict)

    def reviewers_of(self, department: str) -> list[Any]:
        return self.reviewers[department]


def person(company: Any, username: str, *roles: str, department: Any = None) -> Any:
    """A new member of ``company`` with ``roles``, added through the organisation service."""
    return MemberFactory(company=company, username=username, roles=roles, department=department)


def _departments(company: Any, *specs: tuple[str, str, str]) -> dict[str, Any]:
    return {
        name: DepartmentFactory(company=company, name=name, kind=kind, region=region)
        for name, kind, region in specs
    }


def small_company(slug: str = "small") -> Company:
    """A small company: one combined department whose planners also review each other's plans,
    and a head who signs off."""
    company = CompanyFactory(name=f"{slug} Knitwear", slug=slug, size=Size.SMALL)
    combined = _departments(company, ("Marketing & Sales", DepartmentKind.COMBINED, ""))[
        "Marketing & Sales"
    ]
    both = (Role.PLANNER, Role.REVIEWER)
    return Company(
        company=company,
        planner=person(company, f"{slug}.planner", *both, department=combined),
        signers=[person(company, f"{slug}.head", Role.SIGNER, Role.ADMIN, department=combined)],
        reviewers={
            "Marketing & Sales": [person(company, f"{slug}.seller", *both, department=combined)]
        },
    )


def medium_company(slug: str = "medium", *, reviewers: int = 1, signers: int = 1) -> Company:
    """A medium company: marketing drafts, ``reviewers`` sales reviewers, ``signers`` signers."""
    company = CompanyFactory(name=f"{slug} Apparel", slug=slug, size=Size.MEDIUM)
    depts = _departments(
        company,
        ("Marketing", DepartmentKind.MARKETING, ""),
        ("Sales", DepartmentKind.SALES, ""),
        ("Management", DepartmentKind.MANAGEMENT, ""),
    )
    return Company(
        company=company,
        planner=person(company, f"{slug}.planner", Role.PLANNER, department=depts["Marketing"]),
        signers=[
            person(company, f"{slug}.signer{i}", Role.SIGNER, department=depts["Management"])
            for i in range(signers)
        ],
        reviewers={
            "Sales": [
                person(company, f"{slug}.sales{i}", Role.REVIEWER, department=depts["Sales"])
                for i in range(reviewers)
            ]
        },
    )


def large_company(slug: str = "large") -> Company:
    """A large company: a marketing centre and two regional sales departments, East and West."""
    company = CompanyFactory(name=f"{slug} Garments", slug=slug, size=Size.LARGE)
    depts = _departments(
        company,
        ("Marketing Centre", DepartmentKind.MARKETING, "Headquarters"),
        ("Eastern Sales", DepartmentKind.SALES, "East"),
        ("Western Sales", DepartmentKind.SALES, "West"),
    )
    centre = depts["Marketing Centre"]
    return Company(
        company=company,
        planner=person(company, f"{slug}.planner", Role.PLANNER, department=centre),
        signers=[person(company, f"{slug}.director", Role.SIGNER, Role.ADMIN, department=centre)],
        reviewers={
            name: [person(company, f"{slug}.{region}", Role.REVIEWER, department=depts[name])]
            for name, region in (("Eastern Sales", "east"), ("Western Sales", "west"))
        },
    )


class Queued(list):
    """Background jobs handed to Celery, as ``(task name, args)``: nothing runs them.

    Services queue jobs with ``transaction.on_commit``, so a job appears here only
    when the action that queued it has committed.
    """


@pytest.fixture
def queued(monkeypatch) -> Queued:
    """Record what would go to the broker instead of running it eagerly."""
    from celery.app.task import Task

    jobs = Queued()

    def record(self, args=None, kwargs=None, **options):
        jobs.append((self.name, tuple(args or ()), dict(kwargs or {})))

    monkeypatch.setattr(Task, "apply_async", record)
    return jobs


def db_state() -> dict[str, list[tuple]]:
    """Every row of every table, ordered by primary key: 'exactly as before' means equal."""
    state = {}
    for model in apps.get_models(include_auto_created=True):
        label = model._meta.label_lower
        if label in SNAPSHOT_SKIP or model._meta.proxy or not model._meta.managed:
            continue
        names = [f.attname for f in model._meta.concrete_fields]
        state[label] = list(model._base_manager.order_by("pk").values_list(*names))
    return state


def state_diff(before: dict, after: dict) -> dict[str, tuple[int, int]]:
    """Tables that differ, with their row counts before and after."""
    return {
        label: (len(before[label]), len(after.get(label, [])))
        for label in before
        if before[label] != after.get(label)
    }


class Crew:
    """``size`` threads that live for the whole test, each with its own database connection.

    Every round, all of them wait at a barrier and are released at the same instant to run
    their job; the caller gets each thread's outcome back. Connections are closed when the
    threads end.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._start = threading.Barrier(size + 1)
        self._done = threading.Barrier(size + 1)
        self._jobs: list[Callable[[], Any]] = []
        self._results: list[Any] = [None] * size
        self._stop = False
        self._threads = [
            threading.Thread(target=self._loop, args=(i,), daemon=True) for i in range(size)
        ]
        for thread in self._threads:
            thread.start()

    def _loop(self, index: int) -> None:
        connection.ensure_connection()
        try:
            while True:
                self._start.wait()
                if self._stop:
                    return
                self._results[index] = _outcome(self._jobs[index])
                self._done.wait()
        finally:
            connection.close()

    def run(self, jobs: list[Callable[[], Any]], timeout: float = 60) -> list[Any]:
        """Release ``jobs`` (one per thread) at the same instant; return their outcomes."""
        assert len(jobs) == self.size
        self._jobs = jobs
        self._results = [None] * self.size
        self._start.wait(timeout)
        self._done.wait(timeout)
        return list(self._results)

    def close(self) -> None:
        self._stop = True
        self._start.wait(10)
        for thread in self._threads:
            thread.join(10)


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None
    trace: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def _outcome(job: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=job())
    except Exception as error:
        return Outcome(error=error, trace=traceback.format_exc())


@pytest.fixture
def crew():
    """Start a crew of threads: ``crew(20)``; stopped, and connections closed, at the end."""
    crews: list[Crew] = []

    def start(size: int) -> Crew:
        crews.append(Crew(size))
        return crews[-1]

    yield start
    for each in crews:
        each.close()
