"""After sign-off: a plan's market feedback, replies, the company's market feed, the close.

Take-up is a decision on a ``take_up`` task (``tasks/{id}/decide/``). These views
parse, call one service or selector, and render; a plan or feedback of another
company is the same 404 as a missing one.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response

from apps.plans.selectors import feedback_access, feedback_list_for, plan_access, plan_feedback
from workflows import services as approvals

from ..base import ApiMixin
from ..serializers import (
    CloseSerializer,
    FeedbackFilterSerializer,
    FeedbackSerializer,
    FeedbackWriteSerializer,
    PlanDetailSerializer,
    ReplySerializer,
    ReplyWriteSerializer,
)
from .plans import PLAN_ID, filtered, plan_detail

FEEDBACK_ID = OpenApiParameter("feedback_id", OpenApiTypes.INT64, OpenApiParameter.PATH)


def _feedback(request, feedback_id) -> dict:
    return FeedbackSerializer(feedback_access(user=request.user, feedback_id=feedback_id)).data


@extend_schema(tags=["execution"], parameters=[PLAN_ID])
class PlanFeedbackView(ApiMixin, generics.ListAPIView):
    serializer_class = FeedbackSerializer

    def get_queryset(self):
        plan = plan_access(user=self.request.user, plan_id=self.kwargs["plan_id"])
        return plan_feedback(plan=plan)

    @extend_schema(operation_id="plans_feedback_list")
    def get(self, request, *args, **kwargs):
        """The plan's market feedback, newest first, each with its replies."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="plans_feedback_create",
        request=FeedbackWriteSerializer,
        responses={201: FeedbackSerializer},
    )
    def post(self, request, plan_id):
        """File market feedback on a plan in execution: reviewers of its executing departments."""
        plan_access(user=request.user, plan_id=plan_id)  # another company's plan: 404 first
        serializer = FeedbackWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        feedback = approvals.feedback_file(
            actor=request.user, plan_id=plan_id, **serializer.validated_data
        )
        return Response(_feedback(request, feedback.pk), status=status.HTTP_201_CREATED)


@extend_schema(tags=["execution"])
class FeedbackListView(ApiMixin, generics.ListAPIView):
    serializer_class = FeedbackSerializer

    def get_queryset(self):
        filters = filtered(FeedbackFilterSerializer, self.request)
        return feedback_list_for(user=self.request.user, **filters)

    @extend_schema(operation_id="feedback_list", parameters=[FeedbackFilterSerializer])
    def get(self, request, *args, **kwargs):
        """The market feed: your company's feedback on the plans you may see, newest first."""
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["execution"], parameters=[FEEDBACK_ID])
class FeedbackReplyView(ApiMixin, generics.GenericAPIView):
    serializer_class = ReplySerializer

    @extend_schema(
        operation_id="feedback_replies_create",
        request=ReplyWriteSerializer,
        responses={201: ReplySerializer},
    )
    def post(self, request, feedback_id):
        """Reply to market feedback: the plan's author and the company's planners."""
        feedback_access(user=request.user, feedback_id=feedback_id)
        serializer = ReplyWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reply = approvals.feedback_reply(
            actor=request.user, feedback_id=feedback_id, text=serializer.validated_data["text"]
        )
        return Response(ReplySerializer(reply).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["execution"], parameters=[PLAN_ID])
class PlanCloseView(ApiMixin, generics.GenericAPIView):
    serializer_class = PlanDetailSerializer

    @extend_schema(
        operation_id="plans_close", request=CloseSerializer, responses=PlanDetailSerializer
    )
    def post(self, request, plan_id):
        """Close a plan in execution with a summary (and, for a sales target, the actual sales):
        its author or a head of the company."""
        plan_access(user=request.user, plan_id=plan_id)
        serializer = CloseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = approvals.plan_close(
            actor=request.user, plan_id=plan_id, **serializer.validated_data
        )
        return Response(plan_detail(request, plan.pk))
