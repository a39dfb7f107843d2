"""viewflow's own frontend (inbox, queue, archive, process list and chart), fenced in.

It is the company administrators' technical view of the engine, in viewflow's own look;
everyone does every step on Greenlight's pages (a task page per step, the plan page's
route picture), so the frontend is not offered to anyone else: for them it does not exist.

viewflow's views read tasks and processes by primary key, and its list views
read every process of the flow. Greenlight mounts them behind a guard: every
URL needs a member of a company, any process or task in a URL must be one the
user may see (else 404, like a missing id), and the list views are scoped to
the user's company. Process cancellation goes through Greenlight's own
``plan_cancel`` service.
"""

from __future__ import annotations

import re
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import URLPattern, URLResolver, path
from django.views import View
from django.views.generic import RedirectView
from viewflow.urls import Application, Site
from viewflow.workflow.flow import FlowAppViewset
from viewflow.workflow.flow.views import (
    DashboardProcessListView,
    DashboardTaskListView,
    DetailProcessView,
)

from apps.core.errors import NotFound
from apps.org.policy import has_company_perm, membership_of
from workflows.flows import PlanApprovalFlow
from workflows.models import ApprovalTask, PlanProcess
from workflows.selectors import process_access, task_access
from workflows.services import plan_cancel

from .errors import act


class ScopedProcessListView(DashboardProcessListView):
    def get_queryset(self):
        membership = membership_of(self.request.user)
        company_id = membership.company_id if membership else None
        return super().get_queryset().filter(plan__company_id=company_id).order_by("-created")


class ScopedTaskListView(DashboardTaskListView):
    @property
    def queryset(self):
        return (
            ApprovalTask.objects.filter(process__flow_class=self.flow_class)
            .for_company_of(self.request.user)
            .select_related("process")
        )


class ScopedProcessDetailView(DetailProcessView):
    def get_queryset(self):
        membership = membership_of(self.request.user)
        company_id = membership.company_id if membership else None
        return PlanProcess.objects.filter(plan__company_id=company_id)


class CancelThroughServiceView(View):
    """viewflow's "cancel process" button, answered by Greenlight's ``plan_cancel``."""

    def get(self, request, process_pk):
        """Ask first, on Greenlight's page, instead of redirecting without a word."""
        process = process_access(user=request.user, process_id=process_pk)
        return render(request, "web/cancel_confirm.html", {"plan": process.plan})

    def post(self, request, process_pk):
        process = process_access(user=request.user, process_id=process_pk)
        act(request, plan_cancel, "The plan is cancelled.", plan_id=process.plan_id)
        return redirect("plan-detail", plan_id=process.plan_id)


class PlanApprovalViewset(FlowAppViewset):
    process_list_view_class = ScopedProcessListView
    task_list_view_class = ScopedTaskListView
    process_detail_view_class = ScopedProcessDetailView
    process_cancel_view_class = CancelThroughServiceView

    def get_process_cancel_view_kwargs(self, **kwargs):
        return {}


# viewflow's task URLs name the node: ``<process_pk>/sign_off/<task_pk>/detail/``.
NODE_IN_ROUTE = re.compile(r"<int:process_pk>/(\w+)/<int:task_pk>")


def _guard(view):
    """Members only; a process or task of the URL must be visible to the user, else 404."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        membership = membership_of(request.user)
        if membership is None or request.user.is_superuser:
            raise NotFound()
        if not has_company_perm(request.user, membership.company, "administer_company"):
            raise NotFound()  # administrators only (see the module's docstring)
        if "process_pk" in kwargs:
            process_access(user=request.user, process_id=kwargs["process_pk"])
        if "task_pk" in kwargs:
            task = task_access(user=request.user, task_id=kwargs["task_pk"])
            if str(task.process_id) != str(kwargs.get("process_pk", task.process_id)):
                raise NotFound()
            node = NODE_IN_ROUTE.search(getattr(request.resolver_match, "route", "") or "")
            if node and node.group(1) != task.flow_task.name:
                raise NotFound()  # a review task is not shown under the sign-off node
        return view(request, *args, **kwargs)

    return login_required(guarded)


# viewflow's undo, revive and cancel of single tasks, and its bulk assign and unassign,
# act on activations directly; Greenlight routes these through its services or not at all.
UNMOUNTED = frozenset({"undo", "revive", "cancel", "tasks_assign", "tasks_unassign"})


def guard_patterns(patterns):
    """Guard every viewflow view, and drop the ones that would bypass the services."""
    kept = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            pattern.url_patterns[:] = guard_patterns(pattern.url_patterns)
            kept.append(pattern)
        elif isinstance(pattern, URLPattern) and pattern.name not in UNMOUNTED:
            pattern.callback = _guard(pattern.callback)
            kept.append(pattern)
    return kept


class BackToGreenlight(Application):
    """A menu entry from viewflow's frontend back to Greenlight's own pages."""

    app_name = "greenlight"
    title = "Plans and tasks"
    icon = "home"

    @property
    def index_path(self):
        return path("", RedirectView.as_view(url="/"), name="index")


site = Site(
    title="Greenlight",
    viewsets=[
        PlanApprovalViewset(PlanApprovalFlow, icon="approval", title="Plan approvals"),
        BackToGreenlight(),
    ],
)
