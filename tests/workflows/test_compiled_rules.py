"""The rules' statements compiled once (``apps.core.compiled``) answer as the ORM's do.

A decision asks ``may_act_and_decided`` and the relay asks ``users_who_may_act_list``
through SQL compiled for the first user and task asked about; every later user, task
and step must get the answer the freshly built queryset gives.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from apps.org.policy import Step
from tests.factories import open_task, submitted
from workflows import rules
from workflows import services as approvals

pytestmark = pytest.mark.django_db

STEPS = (None, Step.REVIEW, Step.SIGN_OFF)


def _tasks(user):
    maple = submitted(user("maple.planner"))
    north = submitted(user("north.planner"))
    review = open_task(maple, step="review")
    tasks = [review, open_task(north, step="review", department="Eastern Sales")]
    approvals.task_decide(actor=user("maple.sales"), task_id=review.pk, outcome="approve")
    return [*tasks, open_task(maple, step="sign_off")]


def test_may_act_and_decided_answers_as_the_orm_for_everyone_and_every_task(user):
    tasks = _tasks(user)
    for task in tasks:
        plan = task.process.planprocess.plan
        for person in get_user_model().objects.all():
            for step in STEPS:
                may, did = rules.may_act_and_decided(person, task, step)
                assert may is rules.may_act(person, task)
                assert did is (bool(step) and rules.decided(person, plan, step))


def test_the_users_who_may_act_come_out_as_the_orm_lists_them(user):
    for task in _tasks(user):
        listed = {u.pk: u.email for u in rules.users_who_may_act_list(task)}
        assert listed == {u.pk: u.email for u in rules.users_who_may_act(task)}
        assert listed  # someone may act on each of them
