"""The rules' statements compiled once (``apps.core.compiled``) answer as the ORM's do.

A decision asks ``may_act_and_decided`` and the relay asks ``users_who_may_act_list``
through SQL compiled for the first user and task asked about; every later user, task
and step must get the answer the freshly built queryset gives.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from apps.org.policy import Step
from tests.factories import decide, draft, open_task, submitted
from tests.workflows.test_listed_rule import _build as build_every_state
from workflows import rules
from workflows import services as approvals
from workflows.models import ApprovalTask

pytestmark = pytest.mark.django_db

STEPS = (None, Step.REVIEW, Step.SIGN_OFF)
TARGET = {
    "period": "2027 H2",
    "target": "125000",
    "market_forecast": "130000",
    "execution_monitoring": "Monthly sell-out reports",
}


def _tasks(user):
    """A task of every kind: reviews (one per region too), a sign-off, a revision, a
    take-up and a forecast."""
    maple = submitted(user("maple.planner"))
    north = submitted(user("north.planner"))
    review = open_task(maple, step="review")
    tasks = [review, open_task(north, step="review", department="Eastern Sales")]
    approvals.task_decide(actor=user("maple.sales"), task_id=review.pk, outcome="approve")
    tasks.append(open_task(maple, step="sign_off"))
    sent_back = submitted(user("maple.planner"), title="Sent back")
    decide(sent_back, user("maple.sales"), "request_changes", "Prices, please.")
    tasks.append(open_task(sent_back, step="revise"))
    signed = submitted(user("maple.planner"), title="Signed off")
    decide(signed, user("maple.sales"), "approve")
    decide(signed, user("maple.gm"), "approve", step="sign_off")
    tasks.append(open_task(signed, step="take_up"))
    target = submitted(user("maple.planner"), title="Target", kind="sales_target", content=TARGET)
    return [*tasks, open_task(target, step="forecast")]


def test_may_act_and_decided_answers_as_the_orm_for_everyone_and_every_task(user):
    _tasks(user)
    build_every_state(user)  # four eyes across steps, stale claims, a second round
    tasks = ApprovalTask.objects.filter(flow_task_type="HUMAN").select_related(
        "process__planprocess__plan"
    )
    people = list(get_user_model().objects.all())
    assert len(tasks) > 30 and len(people) > 15
    for task in tasks:
        plan = task.process.planprocess.plan
        for person in people:
            for step in STEPS:
                may, did = rules.may_act_and_decided(person, task, step)
                assert may is rules.may_act(person, task), (person, task)
                assert did is (bool(step) and rules.decided(person, plan, step))


def test_the_users_who_may_act_come_out_as_the_orm_lists_them(user):
    for task in _tasks(user):
        listed = {u.pk: u.email for u in rules.users_who_may_act_list(task)}
        assert listed == {u.pk: u.email for u in rules.users_who_may_act(task)}
        assert listed  # someone may act on each of them


def test_task_access_finds_what_plan_list_for_shows_and_nothing_else(user):
    from apps.core.errors import NotFound
    from apps.plans.selectors import plan_list_for
    from workflows.models import ApprovalTask
    from workflows.selectors import task_access

    tasks = _tasks(user)
    everyone = list(get_user_model().objects.all())
    seen = hidden = 0
    for task in ApprovalTask.objects.filter(flow_task_type="HUMAN"):
        for person in everyone:
            visible = plan_list_for(user=person).filter(pk=task.process.planprocess.plan.pk)
            if visible.exists():
                found = task_access(user=person, task_id=task.pk)
                assert found == task
                assert found.process.planprocess.plan.author == task.process.planprocess.plan.author
                assert found.owner_id == task.owner_id
                seen += 1
            else:
                with pytest.raises(NotFound):
                    task_access(user=person, task_id=task.pk)
                hidden += 1
    assert len(tasks) >= 3 and seen and hidden  # some see each task, some do not


def test_the_locked_plan_and_task_come_out_as_the_orm_loads_them(user):
    from django.db import transaction

    from apps.plans.models import Plan
    from workflows.models import ApprovalTask
    from workflows.services._common import current_revision, lock_plan
    from workflows.services.tasks import _lock_task

    _tasks(user)
    plan_fields = [f.attname for f in Plan._meta.concrete_fields]
    for task in ApprovalTask.objects.filter(flow_task_type="HUMAN"):
        expected = Plan.objects.get(pk=task.process.planprocess.plan_id)
        with transaction.atomic():
            locked_task, plan = _lock_task(task.pk, expected.pk)
            bare = lock_plan(expected.pk)
        for got in (plan, bare):
            assert [getattr(got, n) for n in plan_fields] == [
                getattr(expected, n) for n in plan_fields
            ]
            assert got.company == expected.company
        revision = expected.revisions.get(number=expected.revision_count)
        assert current_revision(plan).pk == revision.pk
        assert current_revision(plan).content_sha256 == revision.content_sha256
        assert locked_task == task and locked_task.status == task.status
        assert locked_task.process.planprocess.plan is plan
        assert locked_task.data == task.data


def test_the_relay_and_status_reads_answer_as_the_orm(user):

    from apps.notifications.models import Notification
    from apps.notifications.services import _with_user, notifications_create
    from apps.plans.models import Decision, Plan
    from workflows.models import ApprovalTask, PlanProcess
    from workflows.notifications import _settle_rows, _task
    from workflows.services._common import _open_nodes

    _tasks(user)
    for task in ApprovalTask.objects.all():
        got = _task(task.pk)
        assert got == task and got.owner_id == task.owner_id
        assert got.process.planprocess.plan.author == task.process.planprocess.plan.author
    assert _task(-1) is None
    for process in PlanProcess.objects.all():
        open_nodes = ApprovalTask.objects.filter(rules.open_q(), process=process)
        assert _open_nodes(process) == set(open_nodes.values_list("flow_task", flat=True))
    for plan in Plan.objects.all():
        closed = ApprovalTask.objects.filter(
            flow_task_type="HUMAN", process__planprocess__plan=plan
        ).exclude(rules.open_q())
        requests = Decision.objects.filter(plan=plan, outcome="request_changes")
        expected = [("task", pk) for pk in closed.values_list("pk", flat=True)]
        assert sorted(_settle_rows(plan.pk, False)) == sorted(expected)
        expected += [("decision", pk) for pk in requests.values_list("pk", flat=True)]
        assert sorted(_settle_rows(plan.pk, True)) == sorted(expected)
    notifications_create(
        key="compiled",
        users=get_user_model().objects.all(),
        kind="task_queued",
        message="A message.",
        detail="",
        url="/",
    )
    notifications = Notification.objects.select_related("user")
    assert notifications.exists()
    for notification in notifications:
        (got,) = _with_user(notification.pk)
        assert got == notification and got.user.email == notification.user.email


def test_an_email_claim_reads_the_notification_and_its_user_as_the_orm(user):
    from apps.notifications.models import EmailStatus, Notification
    from apps.notifications.services import _claim, notifications_create

    notifications_create(
        key="claim", users=get_user_model().objects.all(), kind="task_queued", message="M."
    )
    pending = list(Notification.objects.select_related("user").filter(key="claim"))
    assert pending
    for expected in pending:
        got = _claim(expected.pk)
        fields = [f.attname for f in Notification._meta.concrete_fields]
        changed = {"email_status", "emailed_at"}
        assert [getattr(got, n) for n in fields if n not in changed] == [
            getattr(expected, n) for n in fields if n not in changed
        ]
        stored = Notification.objects.get(pk=expected.pk)
        assert got.email_status == stored.email_status == EmailStatus.SENT
        assert got.emailed_at == stored.emailed_at is not None
        user_fields = [f.attname for f in get_user_model()._meta.concrete_fields]
        assert [getattr(got.user, n) for n in user_fields] == [
            getattr(expected.user, n) for n in user_fields
        ]
        assert _claim(expected.pk) is None  # claimed once


def test_plan_access_finds_what_plan_list_for_shows_and_nothing_else(user):
    from apps.core.errors import NotFound
    from apps.plans.models import Plan
    from apps.plans.selectors import plan_access, plan_list_for

    _tasks(user)
    draft(user("maple.planner"), title="A draft")  # seen by its author only
    everyone = list(get_user_model().objects.all())
    fields = [f.attname for f in Plan._meta.concrete_fields]
    seen = hidden = 0
    for plan in Plan.objects.all():
        for person in everyone:
            listed = plan_list_for(user=person).select_related("process").filter(pk=plan.pk)
            if listed.exists():
                for related in ((), ("process",)):
                    found = plan_access(user=person, plan_id=plan.pk, related=related)
                    assert [getattr(found, f) for f in fields] == [getattr(plan, f) for f in fields]
                    assert (found.author.username, found.company.slug) == (
                        plan.author.username,
                        plan.company.slug,
                    )
                    if related:
                        assert getattr(found, "process", None) == getattr(plan, "process", None)
                seen += 1
            else:
                with pytest.raises(NotFound):
                    plan_access(user=person, plan_id=plan.pk)
                hidden += 1
    assert seen and hidden


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
def test_on_postgresql_the_fixed_checks_are_prepared_and_answer_the_same_unprepared(user, settings):
    from workflows.models import ApprovalTask

    tasks = _tasks(user)
    people = [user("maple.sales"), user("maple.gm"), user("maple.planner")]
    prepared = [
        (p.pk, t.pk, rules.may_act_and_decided(p, t, Step.REVIEW)) for p in people for t in tasks
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%org_membership%plans_decision%"],
        )
        assert cursor.fetchone()[0] >= 1  # the may-act check, prepared on this connection
    settings.GREENLIGHT_PREPARED_STATEMENTS = False  # as behind a pooler that cannot keep them
    unprepared = [
        (p.pk, t.pk, rules.may_act_and_decided(p, ApprovalTask.objects.get(pk=t.pk), Step.REVIEW))
        for p in people
        for t in tasks
    ]
    assert unprepared == prepared
    assert {answer for _, _, answer in prepared} != {(False, False)}
