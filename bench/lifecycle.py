"""One full lifecycle (create, submit, sales review, sign-off) three ways, side by side.

Greenlight through its services, bare viewflow on the same route (``bench.flows``) and
the floor (plain ORM, a row lock, one history row per step), interleaved in one
process: every round runs a batch of each, and the figures are the medians of the
rounds. Statements are counted per step, split into the action's own (up to its
commit) and those run by its after-commit hooks (the outbox relay, eager here as in
the demo). Time is split the same way: the action path is the service call up to and
including its commit; the hooks that run right after it are timed apart (the relay),
and the full figure adds them back. Bare viewflow and the floor have no hooks.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from contextlib import contextmanager
from typing import Any

from django.db import connections

from apps.org.models import Size
from apps.plans import services as plan_services
from workflows import rules, services
from workflows.flows import PlanApprovalFlow
from workflows.models import ApprovalTask

from .flows import (
    BareFlow,
    bare_create,
    bare_decide,
    bare_open_task,
    bare_submit,
    floor_create,
    floor_step,
)

STEPS = ("create", "submit", "review", "sign_off")
KINDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "SAVEPOINT", "RELEASE", "BEGIN")


class Recorder:
    """Counts statements by step, by kind, and whether they ran after the action's commit."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.step = ""
        self.after_commit = False

    def __call__(self, execute, sql, params, many, context):
        head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else "?"
        phase = "after" if self.after_commit else "data"
        self.counts[(self.step, phase, head if head in KINDS else "OTHER")] += 1
        return execute(sql, params, many, context)

    @contextmanager
    def recording(self):
        connection = connections["default"]
        hooks = connection.run_and_clear_commit_hooks
        commit = connection.commit

        def run_hooks():
            # a hook's own transaction runs the hooks again: only the outermost call resets
            outer, self.after_commit = self.after_commit, True
            try:
                hooks()
            finally:
                self.after_commit = outer

        def counted_commit():
            phase = "after" if self.after_commit else "data"
            self.counts[(self.step, phase, "COMMIT")] += 1
            commit()

        connection.run_and_clear_commit_hooks = run_hooks
        connection.commit = counted_commit
        try:
            with connection.execute_wrapper(self):
                yield self
        finally:
            del connection.run_and_clear_commit_hooks
            del connection.commit

    def per_step(self, lifecycles: int) -> dict[str, dict[str, float]]:
        table: dict[str, dict[str, float]] = {}
        for (step, phase, kind), count in self.counts.items():
            if not step:
                continue
            row = table.setdefault(step, Counter())
            if phase == "after":
                kind = "after_commit_commits" if kind == "COMMIT" else "after_commit"
            row[kind] += count / lifecycles
        return {step: dict(row) for step, row in table.items()}


class Timer:
    """Time per step, the after-commit hooks (the relay) apart from the action path.

    A step's time is the service call's, less the time its commit hooks took;
    those are added to the step's ``relay`` time. A hook's own transaction runs
    the hooks again: only the outermost call is timed.
    """

    def __init__(self, recorder: Recorder | None = None) -> None:
        self.recorder = recorder
        self.seconds: Counter = Counter()
        self.relay: Counter = Counter()
        self.step_name = ""
        self._in_hooks = False

    @contextmanager
    def clocking_hooks(self):
        connection = connections["default"]
        patched = connection.__dict__.get("run_and_clear_commit_hooks")
        hooks = connection.run_and_clear_commit_hooks

        def timed_hooks():
            if self._in_hooks:
                return hooks()
            self._in_hooks = True
            began = time.perf_counter()
            try:
                return hooks()
            finally:
                self.relay[self.step_name] += time.perf_counter() - began
                self._in_hooks = False

        connection.run_and_clear_commit_hooks = timed_hooks
        try:
            yield self
        finally:
            if patched is None:
                del connection.run_and_clear_commit_hooks
            else:
                connection.run_and_clear_commit_hooks = patched

    @property
    def relay_seconds(self) -> float:
        return sum(self.relay.values())

    @contextmanager
    def step(self, name: str):
        if self.recorder:
            self.recorder.step = name
        self.step_name = name
        relay_before = self.relay[name]
        began = time.perf_counter()
        yield
        elapsed = time.perf_counter() - began
        self.seconds[name] += elapsed - (self.relay[name] - relay_before)
        self.step_name = ""
        if self.recorder:  # the lookups between steps are the benchmark's, not counted
            self.recorder.step = ""


class World:
    """A medium company (one sales department reviews, a director signs off)."""

    _shared: World | None = None

    @classmethod
    def shared(cls) -> World:
        """The one world of a run: the lifecycle and the reads use the same company."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def __init__(self) -> None:
        from tests.factories import HEADERS, PROMO_CONTENT, company_world

        company = company_world("bench", Size.MEDIUM, "Bench Apparel")
        members = {m.user.username: m.user for m in company.memberships.select_related("user")}
        self.members = members
        self.others = list(members.values())
        self.planner, self.sales = members["bench.planner"], members["bench.sales"]
        self.fields = dict(
            kind="promotional",
            directive="mandatory",
            horizon="short_term",
            content=dict(PROMO_CONTENT),
            **HEADERS["sales_leads"],
        )
        self.signer = None
        self.serial = 0

    def greenlight(self, timer: Timer) -> None:
        self.serial += 1
        with timer.step("create"):
            plan = plan_services.plan_create(
                actor=self.planner, title=f"Bench plan {self.serial}", **self.fields
            )
        with timer.step("submit"):
            services.plan_submit(actor=self.planner, plan_id=plan.pk)
        review = self._open(plan, PlanApprovalFlow.review)
        with timer.step("review"):
            services.task_decide(actor=self.sales, task_id=review.pk, outcome="approve")
        sign_off = self._open(plan, PlanApprovalFlow.sign_off)
        if self.signer is None:
            self.signer = rules.users_who_may_act(sign_off).order_by("id").first()
        with timer.step("sign_off"):
            services.task_decide(actor=self.signer, task_id=sign_off.pk, outcome="approve")

    def _open(self, plan: Any, node: Any) -> ApprovalTask:
        return ApprovalTask.objects.get(
            rules.open_q(), process__planprocess__plan=plan, flow_task=node
        )

    def bare(self, timer: Timer) -> None:
        self.serial += 1
        with timer.step("create"):
            plan_id = bare_create(title=f"Bare plan {self.serial}")
        with timer.step("submit"):
            process = bare_submit(plan_id=plan_id)
        review = bare_open_task(process, BareFlow.review)
        with timer.step("review"):
            bare_decide(process_pk=process.pk, task_pk=review, actor=self.sales, outcome="approve")
        sign_off = bare_open_task(process, BareFlow.sign_off)
        with timer.step("sign_off"):
            bare_decide(
                process_pk=process.pk, task_pk=sign_off, actor=self.signer, outcome="approve"
            )
        bare_open_task(process, BareFlow.take_up)  # the route reached the take-up

    def floor(self, timer: Timer) -> None:
        self.serial += 1
        actor = self.planner.pk
        with timer.step("create"):
            plan_id = floor_create(title=f"Floor plan {self.serial}", actor_id=actor)
        for step, source, target, who in (
            ("submit", "draft", "in_review", actor),
            ("review", "in_review", "awaiting_signoff", self.sales.pk),
            ("sign_off", "awaiting_signoff", "approved", self.signer.pk),
        ):
            with timer.step(step):
                floor_step(plan_id=plan_id, actor_id=who, action=step, source=source, target=target)


VARIANTS = ("greenlight", "viewflow", "floor")


def measure(*, rounds: int, batch: int) -> dict[str, Any]:
    world = World.shared()
    run = {"greenlight": world.greenlight, "viewflow": world.bare, "floor": world.floor}
    for name in VARIANTS:  # warm-up: caches, the signer, the first statements' plans
        run[name](Timer())
    counts = {}
    for name in VARIANTS:  # statements, counted in a pass of their own
        recorder = Recorder()
        with recorder.recording():
            for _ in range(batch):
                run[name](Timer(recorder))
        counts[name] = recorder.per_step(batch)
    rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    full_rates: dict[str, list[float]] = {name: [] for name in VARIANTS}
    relay_ms: dict[str, list[float]] = {name: [] for name in VARIANTS}
    step_ms: dict[str, dict[str, list[float]]] = {name: {} for name in VARIANTS}
    step_relay_ms: dict[str, dict[str, list[float]]] = {name: {} for name in VARIANTS}
    for _ in range(rounds):
        for name in VARIANTS:
            timer = Timer()
            with timer.clocking_hooks():
                began = time.perf_counter()
                for _ in range(batch):
                    run[name](timer)
                elapsed = time.perf_counter() - began
            # the action path: the whole batch less its after-commit hooks (the relay)
            rates[name].append(batch / (elapsed - timer.relay_seconds))
            full_rates[name].append(batch / elapsed)
            relay_ms[name].append(timer.relay_seconds / batch * 1000)
            for step in STEPS:
                step_ms[name].setdefault(step, []).append(timer.seconds[step] / batch * 1000)
                step_relay_ms[name].setdefault(step, []).append(timer.relay[step] / batch * 1000)
    result: dict[str, Any] = {"rounds": rounds, "batch": batch, "variants": {}}
    for name in VARIANTS:
        steps = {}
        for step in STEPS:
            row = counts[name].get(step, {})
            data = sum(v for k, v in row.items() if k in KINDS or k == "OTHER")
            steps[step] = {
                "ms": round(statistics.median(step_ms[name][step]), 2),
                "relay_ms": round(statistics.median(step_relay_ms[name][step]), 2),
                "statements": round(data, 1),
                "after_commit": round(row.get("after_commit", 0), 1),
                "commits": round(row.get("COMMIT", 0), 1),
                "by_kind": {k: round(v, 1) for k, v in sorted(row.items())},
            }
        result["variants"][name] = {
            "per_s": round(statistics.median(rates[name]), 2),
            "rounds_per_s": [round(r, 2) for r in rates[name]],
            "with_relay_per_s": round(statistics.median(full_rates[name]), 2),
            "rounds_with_relay_per_s": [round(r, 2) for r in full_rates[name]],
            "relay_ms": round(statistics.median(relay_ms[name]), 2),
            "statements": round(sum(s["statements"] for s in steps.values()), 1),
            "after_commit": round(sum(s["after_commit"] for s in steps.values()), 1),
            "commits": round(sum(s["commits"] for s in steps.values()), 1),
            "steps": steps,
        }
    return result


def print_lifecycle(result: dict[str, Any]) -> None:
    variants = result["variants"]
    base = variants["viewflow"]["per_s"]
    print(
        f"\nLifecycle (create, submit, review, sign-off): medians of {result['rounds']} "
        f"interleaved rounds of {result['batch']}"
    )
    print(
        "action path: each service call up to and including its commit; + relay: the "
        "after-commit outbox relay (eager here) added back"
    )
    print(
        f"{'':12s} {'per s':>8s} {'x viewflow':>10s} {'+relay /s':>9s} {'x viewflow':>10s} "
        f"{'relay ms':>8s} {'statements':>10s} {'+relay':>6s} {'commits':>7s}   "
        "per step (create/submit/review/sign_off)"
    )
    for name in VARIANTS:
        v = variants[name]
        per_step = " / ".join(f"{v['steps'][s]['statements']:g}" for s in STEPS)
        ms = " / ".join(f"{v['steps'][s]['ms']:.1f}" for s in STEPS)
        print(
            f"{name:12s} {v['per_s']:8.2f} {v['per_s'] / base:10.2f} "
            f"{v['with_relay_per_s']:9.2f} {v['with_relay_per_s'] / base:10.2f} "
            f"{v['relay_ms']:8.1f} {v['statements']:10g} {v['after_commit']:6g} "
            f"{v['commits']:7g}   {per_step} stmts; {ms} ms"
        )
    print("statements by kind, per step (greenlight):")
    for step in STEPS:
        kinds = variants["greenlight"]["steps"][step]["by_kind"]
        print(f"  {step:9s} " + ", ".join(f"{k} {v:g}" for k, v in kinds.items()))
