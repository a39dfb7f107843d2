"""The queue and the inbox judge who may act from each task's deadline row
(``rules.may_act_listed_q``): the same answers as the rule itself (``rules.may_act_q``),
over many tasks in every state, for every person of every company."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from apps.org import services as org
from apps.org.models import Department, Membership
from tests.factories import decide, draft, grant, open_task, submitted
from tests.workflows.test_strategy import TARGET
from workflows import rules
from workflows import services as approvals
from workflows.models import ApprovalTask, TaskDeadline
from workflows.selectors import task_inbox, task_queue


def _reviewer(company, username, department):
    return org.member_create(
        actor=None,
        company=company,
        username=username,
        email="",
        first_name="Extra",
        last_name="Reviewer",
        password="another-long-password-7",
        department=department,
        roles={"reviewer"},
    ).user


def _build(user):
    """Tasks in every state the rule tells apart, in all three companies."""
    planner, sales, gm, salesdir = (
        user("maple.planner"),
        user("maple.sales"),
        user("maple.gm"),
        user("maple.salesdir"),
    )
    company = planner.membership.company
    sales_dept = Department.objects.get(company=company, name="Sales")
    marketing = Department.objects.get(company=company, name="Marketing")
    grant(salesdir, "reviewer")  # four eyes across steps: reviews some plans, signs others
    submitted(planner, title="waiting")
    approvals.task_claim(
        actor=sales, task_id=open_task(submitted(planner, title="claimed"), step="review").pk
    )
    decide(submitted(planner, title="to sign"), sales, "approve")
    decide(submitted(planner, title="reviewed by the director"), salesdir, "approve")
    signed = decide(submitted(planner, title="to take up"), sales, "approve")
    decide(signed, salesdir, "approve", step="sign_off")
    decide(submitted(planner, title="sent back"), sales, "request_changes", "Cut it.")
    sent_back = decide(submitted(planner, title="round two"), sales, "approve")
    decide(sent_back, salesdir, "request_changes", "Cut it.", step="sign_off")
    approvals.plan_submit(actor=planner, plan_id=sent_back.pk)  # the director signed round one
    submitted(planner, kind="sales_target", title="target", content=dict(TARGET))
    draft(planner, title="a draft")
    # stale claims: removed, deactivated, moved to another department
    removed = _reviewer(company, "maple.removed", sales_dept)
    idle = _reviewer(company, "maple.idle", sales_dept)
    moved = _reviewer(company, "maple.moved", sales_dept)
    for who in (removed, idle, moved):
        task = open_task(submitted(planner, title=f"held by {who.username}"), step="review")
        approvals.task_claim(actor=who, task_id=task.pk)
    org.member_remove(actor=gm, membership=Membership.objects.get(user=removed))
    get_user_model().objects.filter(pk=idle.pk).update(is_active=False)
    org.member_save(actor=gm, company=company, user=moved, department=marketing, roles={"reviewer"})
    # a small company: reviewers who also plan, a head who signs
    lotus_planner, seller = user("lotus.planner"), user("lotus.seller")
    decide(submitted(lotus_planner, title="lotus one"), seller, "approve")
    submitted(seller, title="lotus two")
    # a large one: a review per region, one claimed
    east = user("north.sales.east")
    regional = submitted(user("north.planner"), title="regions")
    approvals.task_claim(actor=east, task_id=open_task(regional, step="review").pk)
    submitted(
        user("north.planner"), kind="sales_target", title="north target", content=dict(TARGET)
    )


def _ids(tasks) -> set[int]:
    return set(tasks.values_list("pk", flat=True))


def test_the_lists_show_exactly_what_the_rule_allows_for_everyone(user):
    _build(user)
    open_tasks = ApprovalTask.objects.filter(rules.open_q(), flow_task_type="HUMAN")
    assert open_tasks.count() >= 15
    shown = {"queue": 0, "inbox": 0, "stale": 0}
    for person in get_user_model().objects.order_by("pk"):
        by_rule = _ids(open_tasks.filter(rules.may_act_q(person.pk)))
        standing = rules.standing_of(person)
        member = Membership.objects.filter(user=person).first()
        if member is not None:  # read from the membership a page has loaded: the same
            assert rules.standing_of(person, membership=member) == standing, person
        assert _ids(open_tasks.filter(rules.may_act_listed_q(standing))) == by_rule, person

        queue = _ids(ApprovalTask.objects.user_queue(person).filter(rules.open_q()))
        assert _ids(task_queue(user=person)) == queue, person
        inbox = _ids(ApprovalTask.objects.may_act(person).filter(rules.open_q(), owner=person))
        assert _ids(task_inbox(user=person)) == inbox, person
        shown["queue"] += len(queue)
        shown["inbox"] += len(inbox)
        shown["stale"] += len(queue & _ids(open_tasks.filter(owner__isnull=False)))
    # the comparison covered real lists: queues, claimed tasks, and stale claims in queues
    assert shown["queue"] >= 20 and shown["inbox"] >= 2 and shown["stale"] >= 3


def test_the_standing_from_a_loaded_membership_is_the_one_read(user):
    sales = user("maple.sales")
    member = Membership.objects.get(user=sales)
    assert rules.standing_of(sales, membership=member) == rules.standing_of(sales)
    assert rules.standing_of(sales).reviews
    for change in ("is_superuser", "is_active"):
        setattr(sales, change, change == "is_superuser")
        sales.save()
        assert rules.standing_of(sales, membership=member).company_id is None
        assert rules.standing_of(sales, membership=member) == rules.standing_of(sales)
        setattr(sales, change, change != "is_superuser")
        sales.save()


def test_every_deadline_carries_the_facts_of_its_task_and_plan(user):
    _build(user)
    deadlines = TaskDeadline.objects.select_related("task__process__planprocess__plan")
    assert deadlines.count() >= 25
    for deadline in deadlines:
        task, plan = deadline.task, deadline.task.process.planprocess.plan
        assert deadline.plan_id == plan.pk and deadline.author_id == plan.author_id
        assert deadline.company_id == plan.company_id
        assert deadline.step == ApprovalTask.objects.get(pk=task.pk).step
        assert deadline.owner_permission == (task.owner_permission or None)
        obj = task.owner_permission_obj_pk
        assert deadline.permission_obj_id == (int(obj) if obj else None)


def test_the_migration_fills_older_deadlines_as_the_engine_writes_them(user):
    from importlib import import_module

    from django.apps import apps

    _build(user)
    written = {d.pk: d for d in TaskDeadline.objects.all()}
    TaskDeadline.objects.update(
        plan_id=None, author_id=None, step="", owner_permission=None, permission_obj_id=None
    )
    import_module("workflows.migrations.0004_deadline_task_facts").fill(apps, None)
    for deadline in TaskDeadline.objects.all():
        before = written[deadline.pk]
        for field in ("plan_id", "author_id", "step", "owner_permission", "permission_obj_id"):
            assert getattr(deadline, field) == getattr(before, field), field
