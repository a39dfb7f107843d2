"""Two viewflow nodes shaped for plan approval, and where viewflow's task URLs hand over.

``ApprovalStep`` is a human task whose rights come from the approval rules
(company, role, segregation of duties) rather than from a model-wide
permission. ``DepartmentSplit`` opens one task per department of the plan's
route: one review (and later one take-up) for a small or medium company, one per
region for a large one.

viewflow's frontend links a task's "execute", "assign" and "unassign" to the
node. Greenlight decides, claims and releases on its own pages, through its
services, so these URLs hand over by URL name: a GET goes to the task's page,
a POST is redirected with its body (307) to the claim or release endpoint, where
it is checked and recorded like a claim from anywhere else.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation

from apps.org.policy import Step, company_department

from . import rules
from .gateways import LeanSplitActivation, Split


class TaskPageView(View):
    """viewflow's execute URL of a review or sign-off: the decision lives on the task page."""

    def dispatch(self, request, *args, **kwargs):
        return redirect("task-detail", task_id=kwargs["task_pk"])


class RevisePageView(View):
    """viewflow's execute URL of a revision: the author edits and resubmits the plan."""

    def dispatch(self, request, *args, **kwargs):
        return redirect("plan-edit", plan_id=request.activation.process.plan_id)


class _TaskActionHandOff(View):
    url_name = ""

    def get(self, request, *args, **kwargs):
        return redirect("task-detail", task_id=kwargs["task_pk"])

    def post(self, request, *args, **kwargs):
        target = reverse(self.url_name, kwargs={"task_id": kwargs["task_pk"]})
        return HttpResponseRedirect(target, status=307)


class ClaimHandOff(_TaskActionHandOff):
    url_name = "task-claim"


class ReleaseHandOff(_TaskActionHandOff):
    url_name = "task-release"


class ApprovalStep(flow.View):
    cancel_view_class = None
    undo_view_class = None
    revive_view_class = None
    assign_view_class = ClaimHandOff
    unassign_view_class = ReleaseHandOff

    def __init__(self, view: Any, *, step: str, **kwargs: Any) -> None:
        super().__init__(view, **kwargs)
        self.step = step

    def calc_owner_permission(self, activation: Activation) -> str | None:
        return rules.STEP_PERMISSIONS.get(self.step)

    def calc_owner_permission_obj(self, activation: Activation) -> Any:
        plan = activation.process.plan
        if self.step in rules.DEPARTMENT_STEPS:
            return company_department(plan.company, activation.task.data["department_id"])
        if self.step == Step.SIGN_OFF:
            return plan.company
        return None

    def can_assign(self, user: Any, task: Any) -> bool:
        return task.owner_id is None and rules.may_act(user, task)

    def can_execute(self, user: Any, task: Any) -> bool:
        return task.owner_id == getattr(user, "pk", None) and rules.may_act(user, task)

    def can_unassign(self, user: Any, task: Any) -> bool:
        return task.owner_id is not None and task.owner_id == getattr(user, "pk", None)


class DepartmentSplitActivation(LeanSplitActivation):
    @Activation.status.super()
    def activate(self) -> None:
        departments = self.flow_task._departments(self)
        node = self.flow_task._activate_next[0][0]
        self.next_tasks = [
            (node, {"department_id": dept["id"], "department_name": dept["name"]})
            for dept in departments
        ]


class DepartmentSplit(Split):
    """One task of the next node per department that ``departments`` names."""

    activation_class = DepartmentSplitActivation

    def __init__(self, departments: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._departments = departments

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._departments = this.resolve(instance, self._departments)
