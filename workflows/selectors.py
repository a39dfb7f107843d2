"""Reads of approval tasks and processes, scoped to what the user may see."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, Exists, F, OuterRef, Q, QuerySet, Value, When

from apps.core import compiled
from apps.core.errors import NotFound
from apps.core.ids import object_id
from apps.core.timeutils import now
from apps.org.models import Company
from apps.org.policy import Step, company_perm_q, membership_of
from apps.plans.models import ExecutingDepartment, Plan, Status
from apps.plans.selectors import plan_list_for
from apps.plans.strategy import SALES_TARGET

from . import rules
from .models import ApprovalTask, PlanProcess


def _tasks() -> QuerySet[ApprovalTask]:
    return ApprovalTask.objects.filter(flow_task_type="HUMAN").select_related(
        "owner", "deadline", "process__planprocess__plan__author"
    )


def task_access(*, user: Any, task_id: Any) -> ApprovalTask:
    """A human task of a plan the user may see; anything else is not found.

    The plans the user may see are ``plan_list_for``'s: of the member's company, their
    own or, with ``view_submitted_plans`` on the company, every submitted one. The task,
    its owner, deadline, process, plan and author come in one statement that checks
    the permission too; compiled once (``apps.core.compiled``), since every action
    asks it first (``tests/workflows/test_compiled_rules.py`` compares its answers with
    ``plan_list_for``'s).
    """
    task_id = object_id(task_id)
    membership = membership_of(user)
    if membership is None or user.is_superuser:
        raise NotFound()
    found = compiled.objects(
        "task_access",
        _task_access,
        task_id,
        membership.company_id,
        user.pk,
        ContentType.objects.get_for_model(Company).pk,
    )
    if not found:
        raise NotFound()
    return found[0]


def _task_access(
    task_id: int, company_id: int, user_id: int, content_type_id: int
) -> QuerySet[ApprovalTask]:
    sees_submitted = company_perm_q("view_submitted_plans", user_id, company_id, content_type_id)
    plan = "process__planprocess__plan__"
    return _tasks().filter(
        Q(**{f"{plan}author_id": user_id})
        | (Q(**{f"{plan}submitted_at__isnull": False}) & sees_submitted),
        pk=task_id,
        **{f"{plan}company_id": company_id},
    )[:1]


def process_access(*, user: Any, process_id: Any) -> PlanProcess:
    process_id = object_id(process_id)
    visible_plans = plan_list_for(user=user).values("pk")
    process = PlanProcess.objects.filter(pk=process_id, plan__in=visible_plans).first()
    if process is None:
        raise NotFound()
    return process


# what a listed task shows (its owner, deadline, plan and author), and the lists' order
LISTED_RELATED = ("owner", "deadline", "process__planprocess__plan__author")
LISTED_ORDER = ("deadline__due_at", "id")


def _listed(standing: rules.Standing) -> QuerySet[ApprovalTask]:
    """Open human tasks the user may act on (``rules.may_act_listed_q``), overdue first.

    For open tasks "overdue first, then by due date" is the due date's own order (overdue
    means due before now), so the company's deadlines index (company_id, due_at, task)
    yields the rows in order, each row says itself whether the user may act on its task,
    and a page stops after its rows instead of sorting every match. Every human task gets
    its deadline, with the facts the rule reads, in the transaction that opens it
    (``hooks.task_opened``); the deadline leaves that index when its task closes
    (``moves.task_saved``), so the walk passes no closed task however long the company's
    history, and the task's own status still decides.
    """
    return (
        ApprovalTask.objects.filter(
            rules.open_q(), flow_task_type="HUMAN", deadline__closed_at__isnull=True
        )
        .filter(rules.may_act_listed_q(standing))
        .select_related(*LISTED_RELATED)
        .order_by(*LISTED_ORDER)
    )


def task_inbox(*, user: Any, standing: rules.Standing | None = None) -> QuerySet[ApprovalTask]:
    """Open tasks assigned to the user that the user may still act on, overdue first.

    A paginated list reads it through ``TaskList``, which counts it in any order (the
    database then reads the user's own open tasks, index ``task_open_by_owner``, and
    stops at the cap, where counting in due order walks the company's deadlines to find
    them) and, when that count stops short of the cap (the user holds few tasks, or
    none), reads its pages from those rows too (``_inbox_few``): the same walk would
    read every open deadline of the company to find the few.
    """
    return _inbox_of(standing or rules.standing_of(user))


def _inbox_of(standing: rules.Standing) -> QuerySet[ApprovalTask]:
    return _listed(standing).filter(owner_id=standing.user_id)


def _inbox_few(inbox: QuerySet[ApprovalTask], cap: int) -> QuerySet[ApprovalTask]:
    """The inbox of someone holding at most ``cap`` tasks, read from their own rows (index
    ``task_open_by_owner``) and sorted: the same rows, in the same order. The rule is
    asked once, in the subquery that finds those rows (all of them, there being no more
    than ``cap``); the outer query only joins what a row shows and sorts."""
    found = inbox.order_by().values("pk")[: cap + 1]
    return (
        ApprovalTask.objects.filter(pk__in=found)
        .select_related(*LISTED_RELATED)
        .order_by(*LISTED_ORDER)
    )


def task_queue(*, user: Any, standing: rules.Standing | None = None) -> QuerySet[ApprovalTask]:
    """Tasks the user may claim, overdue first: unclaimed, or claimed by someone who may
    no longer act (``rules.claim_is_stale_q``)."""
    return _queue_of(standing or rules.standing_of(user))


def _queue_of(standing: rules.Standing) -> QuerySet[ApprovalTask]:
    stale = rules.claim_is_stale_q(rules.ON_DEADLINE)
    return _listed(standing).filter(Q(owner__isnull=True) | stale)


class TaskList:
    """``task_inbox`` or ``task_queue`` of one user for a paginated list
    (``CappedPaginator``): its capped count and its first page are statements compiled
    once per shape of the user's standing (``apps.core.compiled``), since building these
    rules through the ORM costs more than running them; any other page is read through
    the queryset. The rows and the count are the queryset's (tests/workflows/test_task_panel.py).
    """

    model = ApprovalTask
    ordered = True
    # the first page of up to this many rows is compiled; a longer one is read as any other
    COMPILED_ROWS = 201

    def __init__(self, scope: str, standing: rules.Standing) -> None:
        if scope not in ("inbox", "queue"):
            raise ValueError(scope)
        self.scope, self.standing = scope, standing
        self._shape, self._ids = _standing_key(standing)

    def queryset(self, few: bool = False, cap: int = 0) -> QuerySet[ApprovalTask]:
        return self._build(self.standing, few, cap)

    def _build(self, standing: rules.Standing, few: bool, cap: int) -> QuerySet[ApprovalTask]:
        if self.scope == "queue":
            return _queue_of(standing)
        inbox = _inbox_of(standing)
        return _inbox_few(inbox, cap) if few else inbox

    def _standing(self, ids: tuple) -> rules.Standing:
        return _standing_from(self._shape, ids)

    def capped_count(self, cap: int) -> int:
        """How many rows, counting no further than ``cap`` + 1: the queue in its due order
        (its index yields them in order and stops), the inbox from the user's own rows."""
        if self.standing.company_id is None:
            return 0

        def build(*ids: Any) -> tuple[str, tuple]:
            tasks = self._build(self._standing(ids), False, 0)
            if self.scope == "inbox":
                tasks = tasks.order_by()
            sql, params = compiled.sql_of(tasks.values("pk")[: cap + 1])
            return f"SELECT COUNT(*) FROM ({sql}) c", params  # noqa: S608 (the ORM's SQL)

        key = ("task_list_count", self.scope, self._shape, cap)
        # not prepared: how far the count walks depends on the user (``apps.core.compiled``)
        return compiled.first_row(key, build, *self._ids, prepare=False)[0]

    def rows(self, bottom: int, top: int, *, few: bool = False, cap: int = 0) -> list:
        """Rows ``bottom`` to ``top`` in due order; ``few`` when the count stopped short of
        ``cap``: the inbox is then read from the user's own rows (``_inbox_few``)."""
        few = few and self.scope == "inbox"
        if self.standing.company_id is None or top <= bottom:
            return []
        if bottom or top > self.COMPILED_ROWS:
            return list(self.queryset(few, cap)[bottom:top])
        key = ("task_list_rows", self.scope, self._shape, few, cap if few else 0, top)
        return compiled.objects(
            key,
            lambda *ids: self._build(self._standing(ids), few, cap)[:top],
            *self._ids,
            prepare=False,
        )


def task_list(*, user: Any, scope: str) -> TaskList:
    """``TaskList`` of ``task_inbox`` (scope ``inbox``) or ``task_queue`` (``queue``)."""
    return TaskList(scope, rules.standing_of(user))


def task_done(*, user: Any) -> QuerySet[ApprovalTask]:
    return (
        _tasks()
        .for_company_of(user)
        .filter(owner=user, finished__isnull=False)
        .order_by("-finished", "-id")
    )


@dataclass(frozen=True)
class CurrentStep:
    task: ApprovalTask
    step: str
    title: str
    department: str
    assignee: Any
    candidates: str
    due_at: datetime | None
    overdue: bool


def _step_of(task: ApprovalTask, plan: Plan, moment: datetime) -> CurrentStep:
    step = task.flow_task.step
    department = task.data.get("department_name", "")
    if step in (Step.FORECAST, Step.REVIEW, Step.TAKE_UP):  # the department's reviewers
        candidates = f"reviewers of {department}"
    elif step == Step.SIGN_OFF:
        candidates = f"signers of {plan.company.name}"
    else:
        candidates = "the author"
    deadline = getattr(task, "deadline", None)
    return CurrentStep(
        task=task,
        step=step,
        title=Step.LABELS.get(step, step),
        department=department,
        assignee=task.owner,
        candidates=candidates,
        due_at=deadline.due_at if deadline else None,
        overdue=rules.is_overdue(task, moment),
    )


def current_steps(*, plan: Plan) -> list[CurrentStep]:
    """The plan's open human tasks: who may act next, and by when."""
    tasks = _tasks().filter(rules.open_q(), process__planprocess__plan=plan).order_by("id")
    moment = now()
    return [_step_of(task, plan, moment) for task in tasks]


def plans_next_steps(plans: Iterable[Plan]) -> list[Plan]:
    """The plans of a page, each with ``next_steps`` (as ``current_steps``), ``next_due`` and
    ``overdue``: who acts next and by when, in one query for the whole page."""
    return plans_next_steps_of(plans)[0]


def plans_next_steps_of(*lists: Iterable[Plan]) -> list[list[Plan]]:
    """``plans_next_steps`` for several lists of a page at once, in one query for them all,
    compiled once per number of plans (up to ``compiled.SENTINELS``)."""
    lists = [list(plans) for plans in lists]
    by_plan: dict[int, list[CurrentStep]] = {plan.pk: [] for plans in lists for plan in plans}
    plans = {plan.pk: plan for plans in lists for plan in plans}
    if by_plan:
        ids = sorted(by_plan)
        if len(ids) <= len(compiled.SENTINELS):
            tasks = compiled.objects(("next_steps", len(ids)), _next_steps_of, *ids)
        else:
            tasks = list(_next_steps_of(*ids))
        moment = now()
        for task in tasks:
            by_plan[task.plan_key].append(_step_of(task, plans[task.plan_key], moment))
    for plans in lists:
        for plan in plans:
            plan.next_steps = list(by_plan[plan.pk])
            dues = [step.due_at for step in plan.next_steps if step.due_at]
            plan.next_due = min(dues) if dues else None
            plan.overdue = any(step.overdue for step in plan.next_steps)
    return lists


def _next_steps_of(*plan_ids: int) -> QuerySet[ApprovalTask]:
    """The open human tasks of the plans, with what a step shows of them (the owner, the
    deadline), and their plan's id: the plan itself is the caller's."""
    return (
        ApprovalTask.objects.filter(
            rules.open_q(), flow_task_type="HUMAN", process__planprocess__plan__in=plan_ids
        )
        .select_related("owner", "deadline")
        .annotate(plan_key=F("process__planprocess__plan_id"))
        .order_by("id")
    )


NEXT_STEPS = (Step.FORECAST, Step.REVIEW, Step.SIGN_OFF, Step.REVISE, Step.TAKE_UP)


def _open_tasks_of_plan() -> QuerySet[ApprovalTask]:
    return ApprovalTask.objects.filter(
        rules.open_q(), flow_task_type="HUMAN", process__planprocess__plan=OuterRef("pk")
    )


def plan_waiting_filter(
    plans: QuerySet[Plan], *, user: Any, step: str = "", overdue: bool = False, mine: bool = False
) -> QuerySet[Plan]:
    """Plans by who acts next: at a step (``review``, ``sign_off``, ...), overdue, or on the
    user (``rules.may_act_q``), each an open human task of the plan; ordered by due date."""
    if step in NEXT_STEPS:
        # node names are the step names: ``workflows/flows.PlanApprovalFlow.review``
        plans = plans.filter(Exists(_open_tasks_of_plan().filter(flow_task__endswith=f".{step}")))
    if overdue:
        moment = now()
        plans = plans.filter(Exists(_open_tasks_of_plan().filter(rules.overdue_q(moment))))
    if mine:
        plans = plans.filter(Exists(_open_tasks_of_plan().filter(rules.may_act_q(user.pk))))
    return plans


def plans_in_flight(*, user: Any, visible: QuerySet[Plan] | None = None) -> list[Plan]:
    """The user's own plans under way (submitted, not finished): who acts next, soonest due.

    ``visible`` is ``plan_list_for(user=user)`` when the caller has it already."""
    return in_flight_order(plans_next_steps(plans_in_flight_list(user=user, visible=visible)))


def plans_in_flight_list(*, user: Any, visible: QuerySet[Plan] | None = None) -> QuerySet[Plan]:
    """The plans ``plans_in_flight`` shows, before their next steps and their order."""
    return (
        (plan_list_for(user=user) if visible is None else visible)
        .filter(
            author=user,
            status__in=[Status.IN_REVIEW, Status.AWAITING_SIGNOFF, Status.APPROVED],
        )
        .select_related("company")
        .order_by("-updated_at")[:20]
    )


def in_flight_order(plans: list[Plan]) -> list[Plan]:
    """Overdue first, then soonest due (plans with their next steps)."""
    far = datetime.max.replace(tzinfo=UTC)
    return sorted(plans, key=lambda p: (not p.overdue, p.next_due or far))


# A dashboard's badge says "100+" past this: a number anyone reads, counted without walking
# a long queue to its end (the API's lists count to 1,000, ``apps.core.pagination``).
COUNT_CAP = 100


@dataclass(frozen=True)
class TaskPanel:
    """A dashboard's tasks: the first rows of the inbox and of the queue, and the badges."""

    inbox: list[ApprovalTask]
    queue: list[ApprovalTask]
    counts: dict[str, Any]


def task_panel(*, user: Any, standing: rules.Standing | None = None, size: int = 10) -> TaskPanel:
    """The first ``size`` tasks of ``task_inbox`` and ``task_queue`` and their badges, in two
    statements compiled once per shape of the user's standing (``apps.core.compiled``):
    building these rules through the ORM costs more than running them.

    The badges stop at ``COUNT_CAP``, and ``capped`` names those that would go on, so that
    a long queue is not counted in full. The queue's first rows in due order hold all its
    overdue tasks (due before now), so one walk counts both; the inbox is counted from the
    user's own rows (``task_open_by_owner``). Someone who holds fewer tasks than the cap
    gets their inbox's rows from those rows too (``_inbox_few``).
    """
    standing = standing or rules.standing_of(user)
    if standing.company_id is None:
        return TaskPanel([], [], {"inbox": 0, "queue": 0, "overdue": 0, "capped": []})
    cap = COUNT_CAP
    shape, ids = _standing_key(standing)
    inbox_n, inbox_overdue, queue_n, queue_overdue = compiled.first_row(
        ("task_panel_counts", shape, cap), _panel_counts(shape, cap), *ids, now(), prepare=False
    )
    few = inbox_n <= cap
    inbox, queue = compiled.objects_parts(
        ("task_panel_lists", shape, cap, few, size), _panel_lists(shape, cap, few, size), *ids
    )
    # one statement returns both lists; each comes in its own order, kept here explicitly
    inbox, queue = (sorted(tasks, key=_due_order) for tasks in (inbox, queue))
    raw = {"inbox": inbox_n, "queue": queue_n, "overdue": inbox_overdue + queue_overdue}
    counts: dict[str, Any] = {name: min(count, cap) for name, count in raw.items()}
    counts["capped"] = [name for name, count in raw.items() if count > cap]
    return TaskPanel(inbox, queue, counts)


def _due_order(task: ApprovalTask) -> tuple:
    return (task.deadline.due_at, task.pk)


def _standing_key(standing: rules.Standing) -> tuple[tuple, tuple]:
    """A standing as a compiled statement takes it: its shape (how many departments the
    user reviews for, whether they sign off), part of the statement's key, and its ids
    (the user, the company, those departments), the statement's parameters."""
    shape = (len(standing.reviews), standing.signs)
    return shape, (standing.user_id, standing.company_id, *sorted(standing.reviews))


def _standing_from(shape: tuple, ids: tuple) -> rules.Standing:
    """The standing ``_standing_key`` gave ``shape`` and ``ids`` of (more ids may follow)."""
    reviews, signs = shape
    user_id, company_id = ids[:2]
    return rules.Standing(user_id, company_id, frozenset(ids[2 : 2 + reviews]), signs)


def _panel_counts(shape: tuple, cap: int) -> Any:
    """The badges' statement: the inbox (in any order) and its overdue part, each counted
    to one past the cap, and the queue's first rows past the cap with their overdue ones."""

    def build(*ids: Any) -> tuple[str, tuple]:
        standing, moment = _standing_from(shape, ids), ids[-1]
        inbox = _inbox_of(standing).order_by()
        over = Case(When(deadline__due_at__lt=moment, then=Value(1)))
        inbox_sql, inbox_params = compiled.sql_of(inbox.values("pk")[: cap + 1])
        late_sql, late_params = compiled.sql_of(
            inbox.filter(deadline__due_at__lt=moment).values("pk")[: cap + 1]
        )
        queue_sql, queue_params = compiled.sql_of(
            _queue_of(standing).annotate(late_=over).values("late_")[: cap + 1]
        )
        sql = (  # the ORM's own SQL put together; the values stay parameters
            f"SELECT (SELECT COUNT(*) FROM ({inbox_sql}) i), "  # noqa: S608
            f"(SELECT COUNT(*) FROM ({late_sql}) l), COUNT(*), COUNT(q.late_) "
            f"FROM ({queue_sql}) q"
        )
        return sql, (*inbox_params, *late_params, *queue_params)

    return build


def _panel_lists(shape: tuple, cap: int, few: bool, size: int) -> Any:
    def build(*ids: Any) -> list[QuerySet[ApprovalTask]]:
        standing = _standing_from(shape, ids)
        inbox = _inbox_of(standing)
        if few:
            inbox = _inbox_few(inbox, cap)
        return [inbox[:size], _queue_of(standing)[:size]]

    return build


def feedback_owed(*, user: Any) -> QuerySet[ExecutingDepartment]:
    """The executing departments through which the user reports on plans in execution,
    soonest due first: the feedback they owe."""
    membership = membership_of(user)
    if membership is None:
        return ExecutingDepartment.objects.none()
    return _owed(membership.company_id, user.pk)


def feedback_owed_first(*, user: Any, size: int = 10) -> list[ExecutingDepartment]:
    """The first ``size`` of ``feedback_owed``, its statement compiled once (a dashboard)."""
    membership = membership_of(user)
    if membership is None:
        return []
    return compiled.objects(
        ("feedback_owed", size), lambda *ids: _owed(*ids)[:size], membership.company_id, user.pk
    )


def _owed(company_id: int, user_id: int) -> QuerySet[ExecutingDepartment]:
    return (
        ExecutingDepartment.objects.filter(
            plan__company_id=company_id, plan__status=Status.IN_EXECUTION
        )
        .filter(rules.executing_q(user_id))
        .select_related("plan")
        .order_by("feedback_due", "id")
    )


@dataclass
class Stage:
    key: str
    title: str
    state: str  # done, current, ended, skipped or "" (still ahead)
    note: str = ""


ROUTE_ORDER = ("submit", Step.REVIEW, Step.SIGN_OFF, Step.TAKE_UP, "execution", "closed")
STATUS_STAGE = {
    Status.DRAFT: "submit",
    Status.IN_REVIEW: Step.REVIEW,
    Status.CHANGES_REQUESTED: Step.REVIEW,
    Status.AWAITING_SIGNOFF: Step.SIGN_OFF,
    Status.APPROVED: Step.TAKE_UP,
    Status.IN_EXECUTION: "execution",
    Status.CLOSED: "closed",
}
STATE_WORDS = {"done": "done", "current": "now", "ended": "ended here", "skipped": "not reached"}


def route_stages(*, plan: Plan) -> list[Stage]:
    """Where the plan is in its route, step by step, in the words of the pages: each stage
    done, current (now), ended (rejected or cancelled there), not reached, or still ahead."""
    titles = {
        "submit": "Draft and submit",
        **{step: Step.LABELS[step] for step in (Step.REVIEW, Step.SIGN_OFF, Step.TAKE_UP)},
        "execution": "In execution",
        "closed": "Closed",
    }
    human = list(
        ApprovalTask.objects.filter(flow_task_type="HUMAN", process__planprocess__plan=plan)
        .order_by("id")
        .values_list("flow_task", "status")
    )
    open_steps = {flow_task.step for flow_task, status in human if status in rules.OPEN_STATUSES}
    if plan.status in (Status.REJECTED, Status.CANCELLED):
        last = next((ft.step for ft, _ in reversed(human) if ft.step != Step.REVISE), "submit")
        here, end_state = last if last in ROUTE_ORDER else Step.REVIEW, "ended"
    else:
        here, end_state = STATUS_STAGE.get(plan.status, "submit"), "current"
    position = ROUTE_ORDER.index(here)
    stages = []
    for index, key in enumerate(ROUTE_ORDER):
        if index < position:
            state = "done"
        elif index == position:
            state = "done" if key == "closed" else end_state
        else:
            state = "skipped" if end_state == "ended" else ""
        stages.append(Stage(key, titles[key], state, STATE_WORDS.get(state, "")))
    route = plan.route or {}
    departments = ", ".join(d["name"] for d in route.get("review_departments", []))
    review = stages[1]
    if departments:
        review.title = f"{review.title} ({departments})"
    rounds = sum(1 for ft, _ in human if ft.step == Step.REVISE)
    if rounds:
        review.note += f" · sent back {rounds}×"
    if plan.status == Status.CHANGES_REQUESTED or Step.REVISE in open_steps:
        stages.insert(
            2, Stage(Step.REVISE, Step.LABELS[Step.REVISE], "current", "now, by the author")
        )
        review.state, review.note = "done", "changes requested" + review.note
    if plan.status in (Status.REJECTED, Status.CANCELLED):
        stages[ROUTE_ORDER.index(here)].note = f"{plan.get_status_display().lower()} here"
    if plan.kind == SALES_TARGET:
        _forecast_stage_insert(stages, review, human)
    return stages


def _forecast_stage_insert(stages: list[Stage], review: Stage, human: list) -> None:
    """A sales target asks each reviewing sales department for its forecast before the
    review: while forecasts are awaited (or the plan ended there) that stage is where the plan
    is, and the review is still ahead. A target submitted before the step existed has none."""
    asked = any(flow_task.step == Step.FORECAST for flow_task, _ in human)
    reviewed = any(flow_task.step == Step.REVIEW for flow_task, _ in human)
    if reviewed and not asked:
        return
    forecast = Stage(Step.FORECAST, Step.LABELS[Step.FORECAST], "done" if reviewed else "")
    if not reviewed and review.state in ("current", "ended"):
        forecast.state, forecast.note = review.state, review.note
        review.state = "skipped" if review.state == "ended" else ""
        review.note = STATE_WORDS.get(review.state, "")
    elif not reviewed:
        forecast.state, forecast.note = review.state, review.note
    stages.insert(stages.index(review), forecast)
