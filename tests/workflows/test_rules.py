"""One definition of "may this user act on this task now", in every form it is asked.

The per-object form (the services, viewflow's node checks), the queryset form
(the queue and the inbox) and the users form (reminders, escalations and
notification candidates) are built from one filter; this table shows that they
agree, case by case, and that a claim nobody may hold any more is back in the
others' queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from apps.org import services as org
from apps.org.models import Membership, Role
from tests.factories import open_task, submitted
from tests.reliability.harness import large_company, medium_company, person
from workflows import rules
from workflows import services as approvals
from workflows.models import ApprovalTask
from workflows.notifications import candidates
from workflows.selectors import task_inbox, task_queue


@dataclass
class World:
    medium: Any
    large: Any
    plan: Any  # a medium company's plan in review
    regional: Any  # a large company's plan in review by East and West

    def review(self) -> Any:
        return open_task(self.plan, step="review")


@pytest.fixture
def world(db) -> World:
    medium = medium_company("rules", reviewers=2)
    large = large_company("rulesxl")
    return World(
        medium=medium,
        large=large,
        plan=submitted(medium.planner),
        regional=submitted(large.planner),
    )


def _lose_role(user: Any) -> Any:
    membership = Membership.objects.get(user=user)
    org.member_save(
        actor=None,
        company=membership.company,
        user=user,
        department=membership.department,
        roles=set(),
    )
    return user


def _remove(user: Any) -> Any:
    org.member_remove(actor=None, membership=Membership.objects.get(user=user))
    return user


def _deactivate(user: Any) -> Any:
    user.is_active = False
    user.save()
    return user


def _make_superuser(user: Any) -> Any:
    user.is_superuser = True
    user.save()
    return user


def _approve_review(world: World) -> Any:
    approvals.task_decide(
        actor=world.medium.reviewers_of("Sales")[0], task_id=world.review().pk, outcome="approve"
    )
    return open_task(world.plan, step="sign_off")


# case: (who, which task, may act?)
CASES: dict[str, tuple[Callable[[World], Any], Callable[[World], Any], bool]] = {
    "a reviewer of the department": (
        lambda w: w.medium.reviewers_of("Sales")[0],
        World.review,
        True,
    ),
    "a reviewer who lost the role": (
        lambda w: _lose_role(w.medium.reviewers_of("Sales")[0]),
        World.review,
        False,
    ),
    "a removed member": (
        lambda w: _remove(w.medium.reviewers_of("Sales")[0]),
        World.review,
        False,
    ),
    "a deactivated member": (
        lambda w: _deactivate(w.medium.reviewers_of("Sales")[0]),
        World.review,
        False,
    ),
    "the plan's author, even as a reviewer": (
        lambda w: _grant_review(w),
        World.review,
        False,
    ),
    "another region's reviewer": (
        lambda w: w.large.reviewers_of("Eastern Sales")[0],
        lambda w: open_task(w.regional, step="review", department="Western Sales"),
        False,
    ),
    "the region's own reviewer": (
        lambda w: w.large.reviewers_of("Western Sales")[0],
        lambda w: open_task(w.regional, step="review", department="Western Sales"),
        True,
    ),
    "another company's reviewer": (
        lambda w: w.large.reviewers_of("Eastern Sales")[0],
        World.review,
        False,
    ),
    "a superuser holding the role": (
        lambda w: _make_superuser(w.medium.reviewers_of("Sales")[0]),
        World.review,
        False,
    ),
    "a signer, on the sign-off": (
        lambda w: w.medium.signers[0],
        _approve_review,
        True,
    ),
    "a reviewer, on the sign-off": (
        lambda w: w.medium.reviewers_of("Sales")[1],
        _approve_review,
        False,
    ),
}


def _grant_review(world: World) -> Any:
    planner = world.medium.planner
    sales = world.medium.company.departments.get(name="Sales")
    org.member_save(
        actor=None,
        company=world.medium.company,
        user=planner,
        department=sales,
        roles={Role.PLANNER, Role.REVIEWER},
    )
    return planner


def _forms(user: Any, task: Any) -> dict[str, bool]:
    """Every form of the rule, asked the same question."""
    user.refresh_from_db()
    return {
        "per object": rules.may_act(user, task),
        "queryset": ApprovalTask.objects.may_act(user).filter(pk=task.pk).exists(),
        "users": rules.users_who_may_act(task).filter(pk=user.pk).exists(),
        "queue": task_queue(user=user).filter(pk=task.pk).exists(),
    }


@pytest.mark.parametrize("case", list(CASES))
def test_every_form_of_may_act_gives_the_same_answer(world, case):
    who, which, expected = CASES[case]
    task = which(world)
    user = who(world)
    assert _forms(user, task) == dict.fromkeys(
        ("per object", "queryset", "users", "queue"), expected
    )


@pytest.mark.parametrize("change", [_lose_role, _remove, _deactivate])
def test_a_claim_held_by_someone_who_may_no_longer_act_is_back_in_the_others_queue(world, change):
    holder, other = world.medium.reviewers_of("Sales")
    task = world.review()
    approvals.task_claim(actor=holder, task_id=task.pk)
    assert not task_queue(user=other).filter(pk=task.pk).exists()
    assert [task.pk] == [t.pk for t in task_inbox(user=holder).filter(pk=task.pk)]

    change(holder)
    task.refresh_from_db()

    assert task_queue(user=other).filter(pk=task.pk).exists()
    assert not task_inbox(user=holder).filter(pk=task.pk).exists()
    assert rules.claim_is_stale(task)
    assert list(candidates(task)) == [other]  # the reminders go to who may take it over
    approvals.task_claim(actor=other, task_id=task.pk)
    task.refresh_from_db()
    assert task.owner_id == other.pk


def test_a_claim_held_by_someone_who_may_act_stays_theirs(world):
    holder, other = world.medium.reviewers_of("Sales")
    task = world.review()
    approvals.task_claim(actor=holder, task_id=task.pk)
    task.refresh_from_db()
    assert not rules.claim_is_stale(task)
    assert list(candidates(task)) == [holder]
    assert not task_queue(user=other).filter(pk=task.pk).exists()


def test_the_revision_is_the_authors_alone(world):
    approvals.task_decide(
        actor=world.medium.reviewers_of("Sales")[0],
        task_id=world.review().pk,
        outcome="request_changes",
        comment="Fix the dates.",
    )
    task = open_task(world.plan, step="revise")
    author = world.medium.planner
    assert rules.may_act(author, task)
    assert list(rules.users_who_may_act(task)) == [author]
    assert not rules.may_act(world.medium.reviewers_of("Sales")[0], task)
    stranger = person(world.medium.company, "rules.stranger", Role.PLANNER)
    assert not rules.may_act(stranger, task)
