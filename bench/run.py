"""Benchmarks that print figures: how the task lists and a decision scale with the data.

Not a test: the machine is shared and noisy, so every figure is a ratio against a
baseline measured in the same run. Run with ``make bench`` (SQLite in a temporary
file by default; set DATABASE_URL to measure PostgreSQL).

- queue and inbox: time per call with 20 open plans (baseline) and with 2,000;
  queries per call in both (the lists must not grow queries with the data).
- decide: time of one review decision with few and with many plans in the company.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
if not os.environ.get("DATABASE_URL"):
    os.environ["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import logging  # noqa: E402

import django  # noqa: E402

django.setup()
logging.getLogger("celery").setLevel(logging.WARNING)

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

SMALL, LARGE, REPEAT = 20, 2000, 15


def timed(fn, repeat=REPEAT):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def main() -> None:
    from django.contrib.auth import get_user_model

    from apps.demo.seed import seed_demo
    from tests.factories import draft
    from workflows import services
    from workflows.selectors import task_inbox, task_queue

    call_command("migrate", verbosity=0)
    seed_demo()
    users = get_user_model().objects
    planner, sales = users.get(username="maple.planner"), users.get(username="maple.sales")

    def submit(count):
        for n in range(count):
            plan = draft(planner, title=f"bench plan {n}")
            services.plan_submit(actor=planner, plan_id=plan.pk)

    def page_of(selector):
        return lambda: list(selector(user=sales)[:25])

    submit(SMALL)
    base = {
        name: timed(page_of(sel)) for name, sel in (("queue", task_queue), ("inbox", task_inbox))
    }
    base_q = {
        name: queries(page_of(sel)) for name, sel in (("queue", task_queue), ("inbox", task_inbox))
    }
    started = time.perf_counter()
    submit(LARGE - SMALL)
    per_submit = (time.perf_counter() - started) / (LARGE - SMALL)
    big = {
        name: timed(page_of(sel)) for name, sel in (("queue", task_queue), ("inbox", task_inbox))
    }
    big_q = {
        name: queries(page_of(sel)) for name, sel in (("queue", task_queue), ("inbox", task_inbox))
    }

    print(f"database: {connection.vendor}; plans in review: {SMALL} then {LARGE}")
    for name in ("queue", "inbox"):
        print(
            f"{name:6s} first page: {base[name] * 1000:7.2f} ms -> {big[name] * 1000:7.2f} ms "
            f"(x{big[name] / base[name]:.2f}); queries {base_q[name]} -> {big_q[name]}"
        )
    task = task_queue(user=sales).first()
    start = time.perf_counter()
    services.task_decide(actor=sales, task_id=task.pk, outcome="approve")
    decide = time.perf_counter() - start
    print(
        f"submit: {per_submit * 1000:.1f} ms per plan; one review decision with {LARGE} plans "
        f"open: {decide * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
