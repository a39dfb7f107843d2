"""What every approval service shares: the lock, the plan's status and its writes.

The plan writes that only make sense inside an action (freeze a revision, move
the status, record a decision) live here as private helpers: they write no
history of their own; the service that calls them writes the one event.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import OuterRef, QuerySet, Subquery
from viewflow.workflow.exceptions import FlowLockFailed
from viewflow.workflow.status import PROCESS, STATUS

from apps.core import compiled
from apps.core.errors import Busy, Conflict, NotFound, ValidationError
from apps.core.timeutils import now
from apps.org.models import Department
from apps.plans.fingerprints import content_fingerprint, revision_payload
from apps.plans.kinds import content_clean
from apps.plans.models import FINAL_STATUSES, Decision, Plan, PlanRevision, Status

from .. import rules
from ..flows import PlanApprovalFlow
from ..lock import service_lock
from ..models import ApprovalTask, PlanProcess
from ..moves import Moves
from ..notifications import notices_settle


class locked:
    """The flow's process lock (the one viewflow's activations take), a lost lock a conflict.

    Taken in the service's own transaction without savepoints (``lock.service_lock``):
    every service is an atomic block, so an error rolls the whole action back.
    """

    def __init__(self, process_pk: int) -> None:
        self.scope = service_lock(PlanApprovalFlow, process_pk)

    def __enter__(self):
        try:
            return self.scope.__enter__()
        except FlowLockFailed:
            raise Busy("Someone else is acting on this plan right now; try again.") from None

    def __exit__(self, *exc):
        return self.scope.__exit__(*exc)


_REVISION_FIELDS = ("id", "content_sha256")


def lock_plan(plan_id: int, *, with_revision: bool = False) -> Plan:
    """The plan's row, locked (the company comes with it, unlocked).

    ``with_revision``: the current revision's id and fingerprint come in the same
    statement, for ``current_revision``.
    """
    # compiled once (``apps.core.compiled``): every action locks its plan
    found = compiled.objects(
        ("lock_plan", with_revision), lambda pk: _locking_plan(pk, with_revision), plan_id
    )
    if not found:
        raise NotFound()
    return found[0]


def _locking_plan(plan_id: int, with_revision: bool) -> QuerySet[Plan]:
    plans = Plan.objects.select_for_update(of=("self",)).select_related("company")
    if with_revision:
        current = PlanRevision.objects.filter(
            plan=OuterRef("pk"), number=OuterRef("revision_count")
        )
        plans = plans.annotate(
            **{f"_revision_{name}": Subquery(current.values(name)) for name in _REVISION_FIELDS}
        )
    return plans.filter(pk=plan_id)[:1]


def current_revision(plan: Plan) -> PlanRevision:
    """The plan's current revision; what ``lock_plan(with_revision=True)`` read is not read again.

    That read leaves the revision's other columns deferred: loaded if something asks.
    """
    if getattr(plan, "_revision_id", None) is None:
        return plan.revisions.get(number=plan.revision_count)
    known = {"plan_id": plan.pk, "number": plan.revision_count}
    known |= {name: getattr(plan, f"_revision_{name}") for name in _REVISION_FIELDS}
    names = [f.attname for f in PlanRevision._meta.concrete_fields if f.attname in known]
    revision = PlanRevision.from_db(plan._state.db, names, [known[name] for name in names])
    revision.plan = plan
    return revision


def _open_nodes(process: PlanProcess) -> set[Any]:
    # compiled once (``apps.core.compiled``): asked after every action
    return {node for (node,) in compiled.values("open_nodes", _open_node_rows, process.pk)}


def _open_node_rows(process_id: int) -> QuerySet:
    return ApprovalTask.objects.filter(rules.open_q(), process_id=process_id).values_list(
        "flow_task"
    )


def _status_while_open(open_tasks: set[Any]) -> str:
    """The plan status that the process's open tasks imply (the process runs)."""
    for node, status in (
        (PlanApprovalFlow.revise, Status.CHANGES_REQUESTED),
        (PlanApprovalFlow.sign_off, Status.AWAITING_SIGNOFF),
        (PlanApprovalFlow.execution, Status.IN_EXECUTION),
        (PlanApprovalFlow.take_up, Status.APPROVED),  # signed off, waiting for sales
        (PlanApprovalFlow.split_take_up, Status.APPROVED),
        (PlanApprovalFlow.join_take_up, Status.APPROVED),
    ):
        if node in open_tasks:
            return status
    return Status.IN_REVIEW


def derived_status(process: PlanProcess, open_tasks: set[Any] | None = None) -> str:
    """The plan status that the process's state implies."""
    if process.status == PROCESS.CANCELED:
        return Status.CANCELLED
    tasks = ApprovalTask.objects.filter(process=process)
    if process.status == PROCESS.DONE:
        ended = set(tasks.filter(status=STATUS.DONE).values_list("flow_task", flat=True))
        if PlanApprovalFlow.closed in ended:
            return Status.CLOSED
        # processes signed off before execution existed end at `approved`
        return Status.APPROVED if PlanApprovalFlow.approved in ended else Status.REJECTED
    return _status_while_open(_open_nodes(process) if open_tasks is None else open_tasks)


def set_status(plan: Plan, status: str) -> str:
    """Move the plan to ``status``; return the status it had. The caller writes the event."""
    previous = plan.status
    plan.status = status
    if status in FINAL_STATUSES and plan.finished_at is None:
        plan.finished_at = now()  # the approval's end: execution and close keep it
    plan.save()
    return previous


def sync_status(
    plan: Plan,
    process: PlanProcess,
    *,
    ended: bool = False,
    settle: bool = True,
    moves: Moves | None = None,
) -> tuple[str, str]:
    """Set the plan's status from where its process stands after the action.

    ``moves``: what the action did to the tasks (``workflows.moves``), noted as it did
    it. Unless the action reached an end of the flow, the tasks it opened say the new
    status; an action that opened none (one region's review of several) leaves it as
    it was, as the tasks still open are the ones that made it. Without ``moves``, the open tasks
    are asked for: while one is open the process is neither done (its end waits for
    every task) nor cancelled (a cancellation closes them), so they alone say the
    status. Only a process with nothing open, or one the action ``ended`` (cancelled,
    closed), is read again.
    ``settle=False``: nothing can wait on the plan yet (its first submission: no task
    of it was ever closed, no decision ever sent it back), so no notice is looked for.
    """
    before = plan.status
    if moves is not None and not ended and not moves.reached_an_end():
        opened = {task.flow_task for task in moves.opened()}
        after = _status_while_open(opened) if opened else before
        if settings.GREENLIGHT_CHECK_MOVES:  # the test settings: the query must agree
            asked = _status_while_open(_open_nodes(process))
            if asked != after:
                raise AssertionError(f"status from the moves {after}, from the tasks {asked}")
    else:
        open_tasks = None if ended else _open_nodes(process)
        if open_tasks:
            after = _status_while_open(open_tasks)
        else:
            process.refresh_from_db()
            after = derived_status(process, open_tasks)
    if after != before:
        set_status(plan, after)
    if settle:  # what was acted on no longer waits in anyone's notifications
        notices_settle(plan=plan)
    return before, after


def freeze_revision(plan: Plan, actor: Any) -> PlanRevision:
    """Freeze the plan's current text as its next revision; it must be complete now."""
    content = content_clean(plan.kind, plan.content, complete=True)
    payload = revision_payload(plan) | {"content": content}
    number = plan.revision_count + 1
    revision = PlanRevision.objects.create(
        plan=plan,
        number=number,
        created_by=actor,
        created_at=now(),
        content_sha256=content_fingerprint(payload),
        **payload,
    )
    plan.revision_count = number
    return revision


def record_decision(
    plan: Plan,
    task: ApprovalTask,
    actor: Any,
    outcome: str,
    comment: str,
    *,
    reclassify: bool = False,
) -> Decision:
    department_id = task.data.get("department_id")
    department = None
    if department_id is not None:
        # the locked task brought its department's name (``tasks._lock_task``); else read it
        name = getattr(task, "_department_name", None)
        department = (
            Department(pk=department_id, name=name)
            if name is not None
            else Department.objects.filter(pk=department_id).first()
        )
    return Decision.objects.create(
        plan=plan,
        revision=current_revision(plan),
        task_id=task.pk,
        step=task.flow_task.step,
        department=department,
        department_name=department.name if department else "",
        actor=actor,
        outcome=outcome,
        comment=comment,
        reclassify=reclassify,
        created_at=now(),
    )


MAX_COMMENT = 5000


def clean_comment(comment: str) -> str:
    """A comment of a decision or a cancellation: refused, never cut, when it is too long."""
    comment = (comment or "").strip()
    if "\x00" in comment:
        raise ValidationError("Remove the NUL character.", fields={"comment": ["NUL."]})
    if len(comment) > MAX_COMMENT:
        raise ValidationError(
            "The comment is too long.", fields={"comment": [f"At most {MAX_COMMENT}."]}
        )
    return comment


TASK_FINISHED = "This task is already finished."


def check_open(task: ApprovalTask) -> None:
    if not rules.is_open(task):
        raise Conflict(TASK_FINISHED)
