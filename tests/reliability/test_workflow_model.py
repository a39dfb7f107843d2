"""A model of the workflow: random people of two companies do random things to random plans.

Hypothesis drives the real services with users of a small company (whose planners review
each other's plans) and a large one (two regional reviews in parallel): create, submit,
claim, release, approve, raise concerns, request changes, reject, resubmit and cancel, on
plans and tasks of either company. Many attempts are refused; what matters is that after
every step the invariants hold:

- every plan status is legal, agrees with its process, and moved along a legal transition;
- at most one open task per step of a plan (per department for reviews);
- the history has exactly one event by a person per successful action, and a refused action
  changed nothing at all;
- nothing crosses companies: another company's plan or task is "not found", and no event,
  decision or claim mixes companies;
- no author ever decided on their own plan.

Runs on SQLite and PostgreSQL; each example is rolled back to a savepoint.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.db import transaction
from django.db.models import F
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from apps.audit.models import Event
from apps.core.errors import DomainError, NotFound
from apps.org.models import Membership
from apps.plans import services as plan_services
from apps.plans.models import EDITABLE_STATUSES, FINAL_STATUSES, Decision, Plan, Status
from tests.factories import HEADERS, PROMO_CONTENT
from workflows import services as approvals
from workflows.models import ApprovalTask
from workflows.rules import OPEN_STATUSES
from workflows.rules import may_act as task_may_act
from workflows.services._common import derived_status

from .figures import record
from .harness import large_company, rounds, small_company

pytestmark = [pytest.mark.reliability, pytest.mark.django_db]

EXAMPLES = rounds(15)
STEPS = 30

# Drawn evenly (``sampled_from`` shrinks to the first item; integers favour their bounds).
ONE_IN_TEN = st.sampled_from([False] * 9 + [True])
WHO = st.sampled_from(["entitled"] * 5 + ["insider"] * 2 + ["anybody"] * 3)
ACTIONS = ["decide"] * 6 + ["submit"] * 3 + ["claim", "release", "create", "cancel"]
OUTCOMES = ["approve", "approve", "request_changes", "reject", "raise_concerns"]
COMMENTS = ["Please rework the budget.", "Please rework the budget.", ""]

_ENDS = (Status.IN_REVIEW, Status.AWAITING_SIGNOFF, Status.CHANGES_REQUESTED)
LEGAL = {
    (Status.DRAFT, Status.IN_REVIEW),
    (Status.IN_REVIEW, Status.IN_REVIEW),
    (Status.IN_REVIEW, Status.AWAITING_SIGNOFF),
    (Status.IN_REVIEW, Status.CHANGES_REQUESTED),
    (Status.IN_REVIEW, Status.REJECTED),
    (Status.AWAITING_SIGNOFF, Status.APPROVED),
    (Status.AWAITING_SIGNOFF, Status.REJECTED),
    (Status.AWAITING_SIGNOFF, Status.CHANGES_REQUESTED),
    (Status.CHANGES_REQUESTED, Status.IN_REVIEW),
    (Status.DRAFT, Status.CANCELLED),
    *((status, Status.CANCELLED) for status in _ENDS),
}
TALLY: Counter = Counter()


def _state(plan_id: int) -> tuple:
    """Everything an action on the plan could change."""
    plan = Plan.objects.get(pk=plan_id)
    tasks = ApprovalTask.objects.filter(process__planprocess__plan=plan).order_by("id")
    return (
        plan.status,
        plan.revision_count,
        plan.content,
        [(t.pk, t.status, t.owner_id) for t in tasks],
        Decision.objects.filter(plan=plan).count(),
        Event.objects.filter(plan_id=plan.pk).count(),
    )


def _draft(author, lead):
    return plan_services.plan_create(
        actor=author,
        kind="promotional",
        title="Random plan",
        directive="mandatory",
        horizon="short_term",
        content=dict(PROMO_CONTENT),
        **HEADERS[lead],
    )


def machine(people: list, planners: list) -> type[RuleBasedStateMachine]:
    company_of = dict(Membership.objects.values_list("user_id", "company_id"))
    by_company: dict[int, list] = {}
    for each in people:
        by_company.setdefault(company_of[each.pk], []).append(each)
    may_act: dict[tuple[int, int], bool] = {}  # role, company and authorship: fixed per task

    class Workflow(RuleBasedStateMachine):
        """Random actions by random people; ``successes`` counts what the services accepted."""

        def __init__(self):
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.plans: dict[int, int] = {}  # plan id -> company id
            self.touched: int | None = None
            self.successes = 0
            self.events_at_start = Event.objects.exclude(actor_id=None).count()
            self.last_event = Event.objects.order_by("-id").values_list("id", flat=True).first()
            TALLY["examples"] += 1

        def teardown(self):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def _act(self, name, user, action, *, plan_id=None):
            """Run one service call; a refusal must leave the plan exactly as it was."""
            TALLY["steps"] += 1
            self.touched = plan_id
            before = _state(plan_id) if plan_id else None
            company = self.plans.get(plan_id)
            try:
                result = action()
            except NotFound:
                TALLY[f"{name}: not found"] += 1
                assert before is None or _state(plan_id) == before
                return None
            except DomainError as error:
                TALLY[f"{name}: refused"] += 1
                assert company is None or company == company_of[user.pk], (
                    f"{user} of another company was told {error.message!r}, not 'not found'"
                )
                assert before is None or _state(plan_id) == before
                return None
            TALLY[f"{name}: done"] += 1
            self.successes += 1
            assert company is None or company == company_of[user.pk], f"{user} crossed over"
            if plan_id and name not in ("claim", "release"):
                transition = (before[0], Plan.objects.get(pk=plan_id).status)
                assert transition in LEGAL, f"{name} moved the plan {transition}"
            return result

        def _status(self, plan_id):
            return Plan.objects.values_list("status", flat=True).get(pk=plan_id)

        def _pick_task(self, data):
            """An open task of one of the plans; now and then a finished one."""
            tasks = list(
                ApprovalTask.objects.filter(
                    process__planprocess__plan_id__in=self.plans, flow_task_type="HUMAN"
                ).values_list("pk", "process__planprocess__plan_id", "status")
            )
            open_tasks = [t for t in tasks if t[2] in OPEN_STATUSES]
            if not open_tasks:
                return None, None
            picked = data.draw(st.sampled_from(tasks if data.draw(ONE_IN_TEN) else open_tasks))
            return picked[0], picked[1]

        def _may_act(self, person, task_id):
            key = (person.pk, task_id)
            if key not in may_act:
                may_act[key] = task_may_act(person, ApprovalTask.objects.get(pk=task_id))
            return may_act[key]

        def _who(self, data, plan_id, task_id=None):
            """Mostly someone who may act, else someone of the plan's company, else anybody."""
            insiders = by_company[self.plans[plan_id]]
            if task_id is None:
                entitled = [Plan.objects.get(pk=plan_id).author]
            else:
                entitled = [p for p in insiders if self._may_act(p, task_id)] or insiders
            pool = data.draw(WHO)
            return data.draw(
                st.sampled_from({"entitled": entitled, "insider": insiders}.get(pool, people))
            )

        def _create(self, who, lead):
            plan = self._act("create", who, lambda: _draft(who, lead))
            if plan is not None:
                self.plans[plan.pk] = plan.company_id
            return plan

        @initialize(leads=st.lists(st.sampled_from(sorted(HEADERS)), min_size=2, max_size=2))
        def plans_in_flight(self, leads):
            """Each company starts with a submitted plan, so the first steps have work to do."""
            for author, lead in zip(planners, leads, strict=True):
                plan = self._create(author, lead)
                self._act(
                    "submit",
                    author,
                    lambda a=author, p=plan.pk: approvals.plan_submit(actor=a, plan_id=p),
                    plan_id=plan.pk,
                )

        @rule(data=st.data(), action=st.sampled_from(ACTIONS))
        def act(self, data, action):
            """One random action; decisions are drawn most often, as in real life."""
            task_id, plan_id = self._pick_task(data)
            if task_id is None and action in ("decide", "claim", "release"):
                # Nothing is open: get a plan going, a draft if there is one.
                editable = Plan.objects.filter(pk__in=self.plans, status__in=EDITABLE_STATUSES)
                action = "submit" if editable.exists() else "create"
            answer = None  # a request for changes is answered by resubmitting its plan
            if action == "decide" and ApprovalTask.objects.get(pk=task_id).step == "revise":
                action, answer = "submit", plan_id
            if action == "create":
                who = data.draw(st.sampled_from(planners) | st.sampled_from(people))
                self._create(who, data.draw(st.sampled_from(sorted(HEADERS))))
            elif action in ("submit", "cancel"):
                mine = Plan.objects.filter(pk__in=self.plans).order_by("pk")
                unfinished = list(
                    mine.exclude(status__in=FINAL_STATUSES).values_list("pk", flat=True)
                )
                if action == "submit":  # what can be submitted, drafts and plans sent back
                    editable = mine.filter(status__in=EDITABLE_STATUSES).values_list(
                        "pk", flat=True
                    )
                    unfinished = list(editable) or unfinished
                pool = sorted(self.plans) if data.draw(ONE_IN_TEN) or not unfinished else unfinished
                plan_id = answer or data.draw(st.sampled_from(pool))
                who = self._who(data, plan_id)
                service = approvals.plan_submit if action == "submit" else approvals.plan_cancel
                if action == "submit" and self._status(plan_id) == Status.CHANGES_REQUESTED:
                    action = "resubmit"
                self._act(action, who, lambda: service(actor=who, plan_id=plan_id), plan_id=plan_id)
            elif action == "decide":
                who = self._who(data, plan_id, task_id)
                outcome = data.draw(st.sampled_from(OUTCOMES))
                comment = data.draw(st.sampled_from(COMMENTS))
                self._act(
                    f"decide {outcome}",
                    who,
                    lambda: approvals.task_decide(
                        actor=who, task_id=task_id, outcome=outcome, comment=comment
                    ),
                    plan_id=plan_id,
                )
            else:
                who = self._who(data, plan_id, task_id)
                service = approvals.task_claim if action == "claim" else approvals.task_release
                self._act(action, who, lambda: service(actor=who, task_id=task_id), plan_id=plan_id)

        @invariant()
        def statuses_are_legal_and_agree_with_the_process(self):
            statuses = set(Plan.objects.filter(pk__in=self.plans).values_list("status", flat=True))
            assert statuses <= set(Status.values)
            if self.touched:
                plan = Plan.objects.select_related("process").get(pk=self.touched)
                process = getattr(plan, "process", None)
                assert process is None or plan.status == derived_status(process), plan.status

        @invariant()
        def at_most_one_open_task_per_step(self):
            open_tasks = ApprovalTask.objects.filter(
                process__planprocess__plan_id__in=self.plans, status__in=OPEN_STATUSES
            ).values_list("process_id", "flow_task", "data")
            seen = Counter((p, str(f), d.get("department_id")) for p, f, d in open_tasks)
            assert all(n == 1 for n in seen.values()), seen

        @invariant()
        def history_has_one_event_per_successful_action(self):
            by_people = Event.objects.exclude(actor_id=None).count() - self.events_at_start
            assert by_people == self.successes

        @invariant()
        def nothing_crosses_companies(self):
            new = Event.objects.filter(id__gt=self.last_event or 0, plan_id__isnull=False)
            for event_id, plan_id, company_id, actor_id in new.values_list(
                "id", "plan_id", "company_id", "actor_id"
            ):
                assert company_id == self.plans[plan_id]
                assert actor_id is None or company_of[actor_id] == company_id
                self.last_event = event_id
            owners = ApprovalTask.objects.filter(
                process__planprocess__plan_id__in=self.plans, owner__isnull=False
            ).values_list("owner_id", "process__planprocess__plan_id")
            assert all(company_of[owner] == self.plans[plan] for owner, plan in owners)
            decisions = Decision.objects.filter(plan_id__in=self.plans)
            assert all(
                company_of[actor] == self.plans[plan]
                for actor, plan in decisions.values_list("actor_id", "plan_id")
            )

        @invariant()
        def no_author_decided_on_their_own_plan(self):
            mine = Decision.objects.filter(plan_id__in=self.plans, actor_id=F("plan__author_id"))
            assert not mine.exists()

    return Workflow


def test_random_actions_of_two_companies_keep_every_invariant():
    small = small_company("model-s")
    large = large_company("model-l")
    people = [
        small.planner,
        *small.reviewers_of("Marketing & Sales"),
        *small.signers,
        large.planner,
        *large.reviewers_of("Eastern Sales"),
        *large.reviewers_of("Western Sales"),
        *large.signers,
    ]
    TALLY.clear()
    run_state_machine_as_test(
        machine(people, [small.planner, large.planner]),
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    done = {k.removesuffix(": done"): n for k, n in sorted(TALLY.items()) if k.endswith("done")}
    record(
        "workflow model (Hypothesis)",
        examples=TALLY["examples"],
        steps=TALLY["steps"],
        accepted=sum(done.values()),
        refused=sum(n for k, n in TALLY.items() if k.endswith(": refused")),
        not_found=sum(n for k, n in TALLY.items() if k.endswith(": not found")),
        accepted_by_action=done,
    )
    assert done.get("decide approve") and done.get("submit")
