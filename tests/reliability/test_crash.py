"""A decision that dies half-way leaves no trace, and can simply be made again.

Three faults, each injected in the middle of ``task_decide``: after the review task has been
saved as done, before the transition is complete. The two points are the Join that collects
the reviews (before the sign-off task exists) and the creation hook of the sign-off task
(its row written, the transaction not yet committed). The faults: an exception, the
database connection killed from another connection (``pg_terminate_backend``), and the whole
process killed with SIGKILL. Afterwards every row of every table is exactly as before,
nothing was handed to the broker, and deciding again succeeds once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import quote

import psycopg
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from viewflow.workflow.status import STATUS

from apps.audit.models import Event
from apps.plans.models import Decision, Status
from tests.factories import open_task, submitted
from workflows import conditions, hooks
from workflows import services as approvals
from workflows.flows import PlanApprovalFlow
from workflows.models import ApprovalTask

from .figures import record
from .harness import POSTGRES_ONLY, db_state, medium_company, state_diff

pytestmark = [pytest.mark.reliability, POSTGRES_ONLY, pytest.mark.django_db(transaction=True)]

# Where the fault strikes: a function of the engine that the transition calls.
POINTS = {
    "join": (conditions, "review_round_closed"),  # in the Join: no sign-off exists yet
    "next_task": (hooks, "task_opened"),  # the sign-off row is written, nothing is committed
}

CHILD = """
import os, signal, sys
import django
django.setup()
from django.contrib.auth import get_user_model
from importlib import import_module
from workflows import services
from workflows.models import ApprovalTask

task_id, user_id, module, point = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]

def die(*args, **kwargs):
    print("task status when killed:", ApprovalTask.objects.get(pk=task_id).status, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

setattr(import_module(module), point, die)
services.task_decide(
    actor=get_user_model().objects.get(pk=user_id), task_id=task_id, outcome="approve"
)
print("the decision survived the kill", flush=True)
"""

INJECTED: list[int] = []
SURVIVED: list[str] = []


def _survived(fault: str) -> None:
    SURVIVED.append(fault)
    record("crash mid-transition", faults_injected=len(INJECTED), survived=len(SURVIVED))


class Injected(RuntimeError):
    """The fault a test throws on purpose."""


def _observe(task_id: int) -> str:
    """The review task as the dying transaction sees it: saved as done already."""
    INJECTED.append(task_id)
    return ApprovalTask.objects.get(pk=task_id).status


@pytest.fixture
def scene(queued):
    company = medium_company("crash")
    plan = submitted(company.planner)
    task = open_task(plan, step="review")
    mail.outbox.clear()
    queued.clear()
    return company, plan, task, db_state()


def _after_the_fault(scene, queued, seen_status):
    """The database is as before the attempt, nothing is queued; then a retry succeeds once."""
    company, plan, task, before = scene
    assert seen_status == STATUS.DONE  # the fault struck after the task was saved
    assert state_diff(before, db_state()) == {}
    assert queued == [] and mail.outbox == []

    reviewer = company.reviewers_of("Sales")[0]
    approvals.task_decide(actor=reviewer, task_id=task.pk, outcome="approve")
    plan.refresh_from_db()
    assert plan.status == Status.AWAITING_SIGNOFF
    assert Decision.objects.filter(task_id=task.pk).count() == 1
    assert Event.objects.filter(task_id=task.pk).count() == 1
    sign_offs = ApprovalTask.objects.filter(
        process__planprocess__plan=plan, flow_task=PlanApprovalFlow.sign_off
    )
    assert [t.status for t in sign_offs] == [STATUS.NEW]
    assert len(queued) == 1  # the sign-off lands in the signers' queue, once


@pytest.mark.parametrize("point", POINTS)
def test_an_exception_mid_transition_leaves_nothing_behind(scene, queued, monkeypatch, point):
    company, plan, task, before = scene
    seen = []

    def fault(*args, **kwargs):
        seen.append(_observe(task.pk))
        raise Injected("injected fault")

    module, name = POINTS[point]
    original = getattr(module, name)
    monkeypatch.setattr(module, name, fault)
    with pytest.raises(Injected):
        approvals.task_decide(
            actor=company.reviewers_of("Sales")[0], task_id=task.pk, outcome="approve"
        )
    monkeypatch.setattr(module, name, original)
    _after_the_fault(scene, queued, seen[0])
    _survived(f"exception at {point}")


def _terminate(pid: int) -> None:
    """Kill a backend from a connection of its own, and wait until it is gone."""
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or None,
        port=db["PORT"] or None,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as killer:
        assert killer.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone()[0]
        for _ in range(100):
            alive = killer.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid])
            if alive.fetchone() is None:
                return
            time.sleep(0.05)
    raise AssertionError(f"backend {pid} survived pg_terminate_backend")


@pytest.mark.parametrize("point", POINTS)
def test_a_killed_database_connection_mid_transition_leaves_nothing_behind(
    scene, queued, monkeypatch, point
):
    company, plan, task, before = scene
    module, name = POINTS[point]
    original = getattr(module, name)
    seen, errors = [], []

    def fault(*args, **kwargs):
        seen.append(_observe(task.pk))
        _terminate(connection.connection.info.backend_pid)
        return original(*args, **kwargs)  # the next statement finds its connection gone

    def decide():
        try:
            approvals.task_decide(
                actor=company.reviewers_of("Sales")[0], task_id=task.pk, outcome="approve"
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    monkeypatch.setattr(module, name, fault)
    thread = threading.Thread(target=decide)
    thread.start()
    thread.join(60)
    monkeypatch.setattr(module, name, original)
    assert len(errors) == 1, "the decision should have died with its connection"
    assert type(errors[0]).__module__.startswith(("django.db", "psycopg"))
    _after_the_fault(scene, queued, seen[0])
    _survived(f"killed connection at {point}")


def _database_url() -> str:
    db = connection.settings_dict
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    host = db["HOST"] or "localhost"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}{password}@{host}{port}/{db['NAME']}"


@pytest.mark.parametrize("point", POINTS)
def test_a_killed_process_mid_transition_leaves_nothing_behind(scene, queued, point):
    company, plan, task, before = scene
    env = os.environ | {
        "DATABASE_URL": _database_url(),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            CHILD,
            str(task.pk),
            str(company.reviewers_of("Sales")[0].pk),
            POINTS[point][0].__name__,
            POINTS[point][1],
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    INJECTED.append(task.pk)
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    assert "survived" not in child.stdout
    seen = child.stdout.split("task status when killed:")[1].split()[0]
    _after_the_fault(scene, queued, seen)
    _survived(f"killed process at {point}")
