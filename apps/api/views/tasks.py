"""Approval tasks: my inbox, the queue I may claim from, what I finished; claim, release, decide.

The services check who may act and in which state (``task_access`` hides the
tasks of plans the user may not see); these views only parse and render.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows import services as approvals
from workflows.selectors import task_access, task_done, task_list

from ..base import ApiMixin
from ..serializers import (
    DecideSerializer,
    DecisionResultSerializer,
    TaskFilterSerializer,
    TaskSerializer,
)
from .plans import filtered, plan_detail

TASK_ID = OpenApiParameter("task_id", OpenApiTypes.INT64, OpenApiParameter.PATH)


def _scope_list(scope: str):
    return lambda *, user: task_list(user=user, scope=scope)


# the inbox and the queue as lists that count and read their first page through
# statements compiled once (``selectors.TaskList``); what is done, as a queryset
SCOPES = {"inbox": _scope_list("inbox"), "queue": _scope_list("queue"), "done": task_done}


def task_detail(request, task_id) -> dict:
    """The task as it is now, read again through ``task_access``."""
    return TaskSerializer(task_access(user=request.user, task_id=task_id)).data


@extend_schema(tags=["tasks"])
class TaskListView(ApiMixin, generics.ListAPIView):
    serializer_class = TaskSerializer

    def get_queryset(self):
        scope = filtered(TaskFilterSerializer, self.request)["scope"]
        return SCOPES[scope](user=self.request.user)

    @extend_schema(operation_id="tasks_list", parameters=[TaskFilterSerializer])
    def get(self, request, *args, **kwargs):
        """``inbox``: open tasks assigned to me; ``queue``: tasks I may claim; ``done``: tasks
        I finished. Overdue first in the inbox and the queue."""
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["tasks"], parameters=[TASK_ID])
class TaskClaimView(ApiMixin, APIView):
    @extend_schema(operation_id="tasks_claim", request=None, responses=TaskSerializer)
    def post(self, request, task_id):
        """Take a task from the queue; 409 if somebody else has it already."""
        task = approvals.task_claim(actor=request.user, task_id=task_id)
        return Response(task_detail(request, task.pk))


@extend_schema(tags=["tasks"], parameters=[TASK_ID])
class TaskReleaseView(ApiMixin, APIView):
    @extend_schema(operation_id="tasks_release", request=None, responses=TaskSerializer)
    def post(self, request, task_id):
        """Put a task you claimed back in the queue."""
        task = approvals.task_release(actor=request.user, task_id=task_id)
        return Response(task_detail(request, task.pk))


@extend_schema(tags=["tasks"], parameters=[TASK_ID])
class TaskDecideView(ApiMixin, APIView):
    @extend_schema(
        operation_id="tasks_decide", request=DecideSerializer, responses=DecisionResultSerializer
    )
    def post(self, request, task_id):
        """Approve, approve with concerns, request changes or reject. An unclaimed task is
        claimed with the decision. Answers with the task and the plan as they are now."""
        serializer = DecideSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        task = approvals.task_decide(
            actor=request.user, task_id=task_id, **serializer.validated_data
        )
        plan_id = task.process.planprocess.plan_id
        return Response(
            {"task": task_detail(request, task.pk), "plan": plan_detail(request, plan_id)}
        )
