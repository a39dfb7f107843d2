"""Red Maple Apparel as the target of the security tests: its objects, and how to point at them."""

from __future__ import annotations

from apps.notifications.models import Notification
from apps.org.models import Department, Membership
from apps.plans.models import Feedback, Plan
from tests.factories import open_task
from workflows.flows import PlanApprovalFlow
from workflows.models import ApprovalTask

TARGET = "maple"
MISSING = "999999999"

# What a POST carries: a plausible decision, so that the API's body checks pass and the
# request reaches the question of whether the object exists for this user.
POSTED = {"outcome": "approve", "comment": "Looks fine."}


def target_ids(company) -> dict[str, str]:
    plan = Plan.objects.filter(company=company, process__isnull=False).order_by("id").first()
    task = open_task(plan, step="review") if plan.status == "in_review" else None
    task = (
        task
        or ApprovalTask.objects.filter(
            process__planprocess__plan__company=company, flow_task_type="HUMAN"
        ).first()
    )
    return {
        "plan_id": plan.pk,
        "number": 1,
        "task_id": task.pk,
        "membership_id": Membership.objects.filter(company=company).first().pk,
        "department_id": Department.objects.filter(company=company).first().pk,
        "notification_id": Notification.objects.filter(user__membership__company=company)
        .first()
        .pk,
        "feedback_id": Feedback.objects.filter(company=company).first().pk,
    }


def node_ids(company, node: str | None) -> dict[str, str]:
    """A process and task of the target company; for a node's URL, a task of that node."""
    tasks = ApprovalTask.objects.filter(process__planprocess__plan__company=company)
    if node == "approved" and not tasks.filter(flow_task=PlanApprovalFlow.approved).exists():
        node = "closed"  # kept for old processes; new ones end at `closed` (issue 11)
    if node is not None:
        tasks = tasks.filter(flow_task=getattr(PlanApprovalFlow, node))
    task = tasks.order_by("id").first()
    assert task is not None, f"no {node} task in {company} to point at"
    return {"process_pk": task.process_id, "task_pk": task.pk}
