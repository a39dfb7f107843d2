"""The engine's rules about tasks, each written once: who may act, open, overdue, outcomes.

Every place that asks one of these questions imports it from here: the queue
and the inbox, the services, viewflow's node checks, the reminders and
escalations, the notification candidates, the web pages and the API.

"May this user act on this task now" is one definition, ``may_act_q``: a filter
on tasks with the user as a parameter. The user may be a known id (the queue,
the per-object check), the task's own owner (is a claim stale?) or the outer
user of a query over users (who should be told?). All three forms read the same
rules, so they cannot disagree. The plan's company, author and id are read through the
process, or from the task's deadline row, which carries them (``ON_DEADLINE``). The
queue and the inbox ask it for one user at a time in the list form ``may_act_listed_q``:
the user's standing read once, each task judged from its deadline row (a test compares
the two forms over tasks in every state):

- review and take-up: an active, non-superuser member of the plan's company who
  holds ``review_plans`` on the task's department, and is not the plan's author;
- forecast (a sales target's): the same as a review, for the department asked;
- sign-off: the same with ``sign_off_plans`` on the company, and not someone who
  reviewed the plan; nor does someone who decided a sign-off review a later round
  (four eyes across steps, whatever roles they hold);
- revision: the plan's author, while an active member of its company.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import CharField, Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Cast
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from apps.core import compiled
from apps.core.timeutils import now
from apps.org.models import (
    Company,
    CompanyUserObjectPermission,
    DepartmentUserObjectPermission,
    Membership,
)
from apps.org.policy import Route, Step, outcomes_for
from apps.plans.models import Decision

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)
PLAN = "process__planprocess__plan"

# The permission a step's task carries (viewflow's owner_permission), and on what.
REVIEW_PERMISSION = "org.review_plans"
SIGN_OFF_PERMISSION = "org.sign_off_plans"
STEP_PERMISSIONS = {
    Step.FORECAST: REVIEW_PERMISSION,  # a reviewer of the department gives its forecast
    Step.REVIEW: REVIEW_PERMISSION,
    Step.TAKE_UP: REVIEW_PERMISSION,  # any reviewer of the executing department
    Step.SIGN_OFF: SIGN_OFF_PERMISSION,
}
DEPARTMENT_STEPS = (Step.FORECAST, Step.REVIEW, Step.TAKE_UP)


# Open and overdue.


def is_open(task: Any) -> bool:
    return task.status in OPEN_STATUSES


def open_q(prefix: str = "") -> Q:
    """Open tasks; ``prefix`` reaches the task from another model (``"task__"``)."""
    return Q(**{f"{prefix}status__in": OPEN_STATUSES})


def is_overdue(task: Any, moment: datetime | None = None) -> bool:
    """Open and past its deadline."""
    deadline = getattr(task, "deadline", None)
    due_at = deadline.due_at if deadline is not None else None
    return bool(is_open(task) and due_at and due_at < (moment or now()))


def overdue_q(moment: datetime | None = None, prefix: str = "") -> Q:
    """Open tasks past their deadline, as a filter (``prefix`` as in ``open_q``)."""
    return open_q(prefix) & Q(**{f"{prefix}deadline__due_at__lt": moment or now()})


# The outcomes a step allows.


def plan_of(task: Any) -> Any:
    """The task's plan, through the process the task carries (the flow's ``PlanProcess``).

    Inside an action that is the process the activations share, whose plan the service
    attached after locking it: no second load of either.
    """
    return task.process.coerced.plan


def task_outcomes(task: Any) -> list[str]:
    """What a decision on this task may say now: nothing once it is closed.

    A consultative review (marketing leads) may only approve or raise concerns; the
    take-up of a mandatory plan only acknowledges it (``apps.org.policy.outcomes_for``).
    """
    plan = plan_of(task)
    if not is_open(task) or not plan.route:
        return []
    step = getattr(task.flow_task, "step", "")
    return outcomes_for(
        step=step,
        sales_review=Route.from_dict(plan.route).sales_review,
        directive=plan.directive,
    )


# Who may act.


def _inside(user: Any) -> Any:
    """The user reference as seen from one subquery deeper than the task query."""
    if isinstance(user, OuterRef):
        return OuterRef(user)
    if isinstance(user, F):
        return OuterRef(user.name)
    return user


# Where a task query finds its plan's company, author and id: through the process, or on
# the task's deadline row, which carries them (``TaskDeadline``) and spares the joins.
THROUGH_PROCESS = {"company": f"{PLAN}__company_id", "author": f"{PLAN}__author_id", "plan": PLAN}
ON_DEADLINE = {
    "company": "deadline__company_id",
    "author": "deadline__author_id",
    "plan": "deadline__plan",
}


def may_act_q(user: Any, plan_facts: dict[str, str] = THROUGH_PROCESS) -> Q:
    """Tasks that ``user`` may act on now; ``user`` is an id, ``F("owner_id")`` or an OuterRef.

    Says nothing of the task's state (open or claimed): callers add that.
    """
    inner = _inside(user)
    company = OuterRef(plan_facts["company"])
    member = Exists(
        Membership.objects.filter(
            user_id=inner,
            company_id=company,
            user__is_active=True,
            user__is_superuser=False,
        )
    )
    # The task's permission object is a department id as text (viewflow's column); the
    # comparison is made on text so that the database can estimate it from the task's column.
    reviews = Exists(
        DepartmentUserObjectPermission.objects.annotate(
            object_pk=Cast("content_object_id", CharField())
        ).filter(
            user_id=inner,
            permission__codename="review_plans",
            object_pk=OuterRef("owner_permission_obj_pk"),
            content_object__company_id=company,
        )
    )
    signs = Exists(
        CompanyUserObjectPermission.objects.filter(
            user_id=inner, permission__codename="sign_off_plans", content_object_id=company
        )
    )
    reviewed = _decided(inner, Step.REVIEW, plan_facts)
    signed = _decided(inner, Step.SIGN_OFF, plan_facts)
    # the review node is named after its step (viewflow stores "app/module.Flow.node")
    review_task = Q(flow_task__endswith=f".{Step.REVIEW}")
    author = Q(**{plan_facts["author"]: user})
    return (
        Q(flow_task_type="HUMAN")
        & member
        & (
            (Q(owner_permission=REVIEW_PERMISSION) & reviews & ~author & ~(review_task & signed))
            | (Q(owner_permission=SIGN_OFF_PERMISSION) & signs & ~author & ~reviewed)
            | (Q(owner_permission__isnull=True) & author)
        )
    )


def _decided(inner: Any, step: str, plan_facts: dict[str, str]) -> Exists:
    """Whether the user decided a ``step`` task of the task's plan (any round)."""
    plan = OuterRef(f"{plan_facts['plan']}_id")
    return Exists(Decision.objects.filter(plan_id=plan, actor_id=inner, step=step))


def may_act(user: Any, task: Any) -> bool:
    """The per-object form: may ``user`` act on ``task`` now (its state aside)?"""
    if user is None or not getattr(user, "is_authenticated", False) or task is None:
        return False
    return Task.objects.filter(pk=task.pk).filter(may_act_q(user.pk)).exists()


def _standing_on(user_id: int, company_id: int, department_id: int, plan_id: int) -> QuerySet:
    """What ``may_act_q`` asks of one user about one task whose facts are known: five
    EXISTS on indexed columns (the member, the two permissions, the two steps decided)."""
    decided = [
        Exists(Decision.objects.filter(plan_id=plan_id, actor_id=user_id, step=step))
        for step in (Step.REVIEW, Step.SIGN_OFF)
    ]
    return (
        Company.objects.filter(pk=company_id)
        .values_list(
            Exists(
                Membership.objects.filter(
                    user_id=user_id,
                    company_id=company_id,
                    user__is_active=True,
                    user__is_superuser=False,
                )
            ),
            Exists(
                DepartmentUserObjectPermission.objects.filter(
                    user_id=user_id,
                    permission__codename="review_plans",
                    content_object_id=department_id,
                    content_object__company_id=company_id,
                )
            ),
            Exists(
                CompanyUserObjectPermission.objects.filter(
                    user_id=user_id,
                    permission__codename="sign_off_plans",
                    content_object_id=company_id,
                )
            ),
            *decided,
        )
        .order_by()
    )


def may_act_and_decided(user: Any, task: Any, step: str | None) -> tuple[bool, bool]:
    """``may_act(user, task)`` and ``decided(user, plan, step)`` (False without a ``step``),
    asked in one statement: what a decision checks before anything else.

    The task's facts (its permission and object, its plan's company and author) are
    known to the caller, so the statement only asks what the user holds and decided:
    ``may_act_q``'s rule, judged here as ``may_act_listed_q`` judges a deadline row.
    The whole rule in one statement cost the planner far more than the run (PostgreSQL
    planned it in about 18 ms, ran it in under 1). tests/workflows/test_compiled_rules.py
    compares both answers with the ORM's for every person and every kind of task.
    """
    if user is None or not getattr(user, "is_authenticated", False) or task is None:
        return False, False
    plan = plan_of(task)
    permission = task.owner_permission
    department = task.owner_permission_obj_pk
    department_id = int(department) if department and str(department).isdigit() else 0
    # compiled once (``apps.core.compiled``): the ids are its parameters
    row = compiled.first_row(
        "standing_on", _standing_on, user.pk, plan.company_id, department_id, plan.pk
    )
    member, reviews, signs, reviewed, signed = (bool(v) for v in row) if row else (False,) * 5
    author = plan.author_id == user.pk
    is_review = getattr(task.flow_task, "step", "") == Step.REVIEW
    if task.flow_task_type != "HUMAN" or not member:
        may = False
    elif permission == REVIEW_PERMISSION:
        may = reviews and not author and not (is_review and signed)
    elif permission == SIGN_OFF_PERMISSION:
        may = signs and not author and not reviewed
    else:
        may = permission is None and author
    did = {Step.REVIEW: reviewed, Step.SIGN_OFF: signed}.get(step, False)
    return may, did


def decided(user: Any, plan: Any, step: str) -> bool:
    """Whether ``user`` decided a ``step`` task of ``plan``: four eyes across review and
    sign-off (the per-plan form of the condition in ``may_act_q``)."""
    return Decision.objects.filter(plan=plan, actor_id=user.pk, step=step).exists()


@dataclass(frozen=True)
class Standing:
    """What one user holds that ``may_act_q`` asks about, read once for a list.

    ``company_id`` is None unless the user is an active, non-superuser member (then
    they act on nothing); ``reviews`` are the departments of that company on which they
    hold ``review_plans``; ``signs``, whether they hold ``sign_off_plans`` on it.
    """

    user_id: int
    company_id: int | None
    reviews: frozenset[int]
    signs: bool


def standing_of(user: Any, membership: Membership | None = None) -> Standing:
    """The user's standing, in two queries, whatever the number of tasks; in one when the
    caller has read the user's ``membership`` already (with the user)."""
    if membership is not None and membership.user_id == user.pk:
        company_id = membership.company_id if user.is_active and not user.is_superuser else None
    else:
        company_id = (
            Membership.objects.filter(
                user_id=user.pk, user__is_active=True, user__is_superuser=False
            )
            .values_list("company_id", flat=True)
            .first()
        )
    if company_id is None:
        return Standing(user.pk, None, frozenset(), False)
    # compiled once (``apps.core.compiled``): every dashboard and task list asks it
    held = compiled.values("standing", _held, user.pk, company_id)
    return Standing(
        user_id=user.pk,
        company_id=company_id,
        reviews=frozenset(pk for kind, pk in held if kind == "review"),
        signs=any(kind == "sign" for kind, _ in held),
    )


def _held(user_id: int, company_id: int) -> QuerySet:
    """What ``Standing`` holds: ("review", department) and ("sign", company) rows."""
    reviews = DepartmentUserObjectPermission.objects.filter(
        user_id=user_id, permission__codename="review_plans", content_object__company_id=company_id
    ).values_list(Value("review"), "content_object_id")
    signs = CompanyUserObjectPermission.objects.filter(
        user_id=user_id, permission__codename="sign_off_plans", content_object_id=company_id
    ).values_list(Value("sign"), "content_object_id")
    return reviews.union(signs, all=True)


def may_act_listed_q(standing: Standing, prefix: str = "deadline__") -> Q:
    """``may_act_q`` for one user, on the facts a task's deadline carries (``TaskDeadline``).

    The same rule in the form a list needs: the user's standing is read once, and each
    task is judged from its own deadline row (company, author, step, permission and its
    object), so that the queue and the inbox walk the deadlines in due order without
    reaching the plan through the process. Only the four-eyes check asks the decisions.
    tests/workflows/test_listed_rule.py compares it with ``may_act_q`` over many tasks.
    """
    if standing.company_id is None:
        return Q(pk__in=[])
    user = standing.user_id
    author = Q(**{f"{prefix}author_id": user})
    plan = OuterRef(f"{prefix}plan_id")

    def decided(step: str) -> Exists:
        return Exists(Decision.objects.filter(plan_id=plan, actor_id=user, step=step))

    branches = Q(**{f"{prefix}owner_permission__isnull": True}) & author
    if standing.reviews:
        branches |= (
            Q(
                **{
                    f"{prefix}owner_permission": REVIEW_PERMISSION,
                    f"{prefix}permission_obj_id__in": sorted(standing.reviews),
                }
            )
            & ~author
            & ~(Q(**{f"{prefix}step": Step.REVIEW}) & decided(Step.SIGN_OFF))
        )
    if standing.signs:
        branches |= (
            Q(**{f"{prefix}owner_permission": SIGN_OFF_PERMISSION})
            & ~author
            & ~decided(Step.REVIEW)
        )
    return Q(**{f"{prefix}company_id": standing.company_id}) & branches


def claim_is_stale_q(plan_facts: dict[str, str] = THROUGH_PROCESS) -> Q:
    """Claimed by someone who may no longer act: the task is back in the others' queue."""
    return Q(owner__isnull=False) & ~may_act_q(F("owner_id"), plan_facts)


def claim_is_stale(task: Any) -> bool:
    return task.owner_id is not None and not may_act(task.owner, task)


def users_who_may_act(task: Any) -> QuerySet:
    """The users form: everyone who may act on ``task`` now."""
    return _users_who_may_act_query(task.pk)


def _users_who_may_act_query(task_id: int) -> QuerySet:
    may = Task.objects.filter(pk=task_id).filter(may_act_q(OuterRef("pk")))
    return get_user_model().objects.filter(Exists(may))


def users_who_may_act_list(task: Any) -> list[Any]:
    """``users_who_may_act`` as a list, its statement compiled once (``apps.core.compiled``)."""
    return compiled.objects("users_who_may_act", _users_who_may_act_query, task.pk)


# Who carries a plan out.


def executing_q(user: Any) -> Q:
    """Executing departments (``ExecutingDepartment`` rows) whose feedback ``user`` may file.

    A reviewer of the department, an active non-superuser member of the plan's company,
    and not the plan's author: the same people who may take the plan up (``may_act_q``).
    """
    inner = _inside(user)
    member = Exists(
        Membership.objects.filter(
            user_id=inner,
            company_id=OuterRef("plan__company_id"),
            user__is_active=True,
            user__is_superuser=False,
        )
    )
    reviews = Exists(
        DepartmentUserObjectPermission.objects.filter(
            user_id=inner,
            permission__codename="review_plans",
            content_object_id=OuterRef("department_id"),
        )
    )
    return member & reviews & ~Q(plan__author_id=user)


def executing_department_of(user: Any, plan: Any) -> Any:
    """The per-object form: the department through which ``user`` reports on ``plan``, or None."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return plan.executing_departments.filter(executing_q(user.pk)).order_by("id").first()
