"""The views viewflow's frontend links to for an approval task.

viewflow routes "execute", "assign" and "unassign" of a task here. Each one
hands over to Greenlight's own task page or services, so that a claim from
viewflow's queue is checked and recorded exactly like one from anywhere else.
"""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View

from apps.core.errors import DomainError


class TaskDecideView(View):
    """viewflow's execute URL for a review or sign-off: the decision lives on the task page."""

    def dispatch(self, request, *args, **kwargs):
        return redirect("task-detail", task_id=kwargs["task_pk"])


class TaskReviseView(View):
    """viewflow's execute URL for a revision: the author edits and resubmits the plan."""

    def dispatch(self, request, *args, **kwargs):
        plan_id = request.activation.process.plan_id
        return redirect("plan-edit", plan_id=plan_id)


class _ServiceTaskAction(View):
    service_name = ""
    done_message = ""

    def get(self, request, *args, **kwargs):
        return redirect("task-detail", task_id=kwargs["task_pk"])

    def post(self, request, *args, **kwargs):
        from . import services

        task_id = kwargs["task_pk"]
        try:
            getattr(services, self.service_name)(actor=request.user, task_id=task_id)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, self.done_message)
        return redirect(reverse("task-detail", kwargs={"task_id": task_id}))


class ClaimTaskView(_ServiceTaskAction):
    service_name = "task_claim"
    done_message = "The task is yours now."


class ReleaseTaskView(_ServiceTaskAction):
    service_name = "task_release"
    done_message = "The task is back in the queue."
