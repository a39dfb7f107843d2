"""Two viewflow nodes shaped for plan approval.

``ApprovalStep`` is a human task whose rights come from the approval policy
(company, role, segregation of duties) rather than from a model-wide
permission, and whose claim and release go through Greenlight's services.
``ReviewSplit`` opens one review task per reviewing department of the plan's
route: one for a small or medium company, one per region for a large one.
"""

from __future__ import annotations

from typing import Any

from viewflow import this
from viewflow.workflow import flow
from viewflow.workflow.activation import Activation
from viewflow.workflow.nodes.split import SplitActivation

from apps.org.models import Company, Department
from apps.org.policy import Step


class ApprovalStep(flow.View):
    cancel_view_class = None
    undo_view_class = None
    revive_view_class = None

    def __init__(self, view: Any, *, step: str, **kwargs: Any) -> None:
        super().__init__(view, **kwargs)
        self.step = step

    def _ready(self) -> None:
        super()._ready()
        from . import node_views

        self.assign_view_class = node_views.ClaimTaskView
        self.unassign_view_class = node_views.ReleaseTaskView

    def calc_owner_permission(self, activation: Activation) -> str | None:
        return {Step.REVIEW: "org.review_plans", Step.SIGN_OFF: "org.sign_off_plans"}.get(self.step)

    def calc_owner_permission_obj(self, activation: Activation) -> Any:
        if self.step == Step.REVIEW:
            return Department.objects.get(pk=activation.task.data["department_id"])
        if self.step == Step.SIGN_OFF:
            return Company.objects.get(pk=activation.process.plan.company_id)
        return None

    def can_assign(self, user: Any, task: Any) -> bool:
        from .policy import task_may_act

        return task.owner_id is None and task_may_act(user, task)

    def can_execute(self, user: Any, task: Any) -> bool:
        from .policy import task_may_act

        return task.owner_id == getattr(user, "pk", None) and task_may_act(user, task)

    def can_unassign(self, user: Any, task: Any) -> bool:
        return task.owner_id is not None and task.owner_id == getattr(user, "pk", None)


class ReviewSplitActivation(SplitActivation):
    @Activation.status.super()
    def activate(self) -> None:
        departments = self.flow_task._departments(self)
        node = self.flow_task._activate_next[0][0]
        self.next_tasks = [
            (node, {"department_id": dept["id"], "department_name": dept["name"]})
            for dept in departments
        ]


class ReviewSplit(flow.Split):
    activation_class = ReviewSplitActivation

    def __init__(self, departments: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._departments = departments

    def _resolve(self, instance: Any) -> None:
        super()._resolve(instance)
        self._departments = this.resolve(instance, self._departments)
