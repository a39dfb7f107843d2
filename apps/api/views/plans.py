"""Plans: list, draft, read, edit, submit, cancel; their revisions, diffs and history.

Each endpoint parses its input, calls one service or selector, and renders the
result. ``plan_access`` is the only way to a plan, so a plan of another company
and a plan that does not exist give the same 404.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.selectors import event_list_for_plan
from apps.plans import services as plan_services
from apps.plans.selectors import (
    plan_access,
    plan_filter,
    plan_list_for,
    revision_diff,
    revision_get,
    revision_list,
)
from workflows import services as approvals

from ..base import ApiMixin
from ..serializers import (
    CommentSerializer,
    DiffQuerySerializer,
    DiffSerializer,
    EventSerializer,
    PlanDetailSerializer,
    PlanFilterSerializer,
    PlanSerializer,
    PlanWriteSerializer,
    RevisionSerializer,
)

PLAN_ID = OpenApiParameter("plan_id", OpenApiTypes.INT64, OpenApiParameter.PATH)
NUMBER = OpenApiParameter(
    "number", OpenApiTypes.INT64, OpenApiParameter.PATH, description="Revision number."
)


def plan_detail(request, plan_id) -> dict:
    """The plan as the user sees it now, read again through the one door."""
    return PlanDetailSerializer(plan_access(user=request.user, plan_id=plan_id)).data


def filtered(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.query_params)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


@extend_schema(tags=["plans"])
class PlanListView(ApiMixin, generics.ListAPIView):
    serializer_class = PlanSerializer

    def get_queryset(self):
        filters = filtered(PlanFilterSerializer, self.request)
        return plan_filter(plan_list_for(user=self.request.user), **filters)

    @extend_schema(operation_id="plans_list", parameters=[PlanFilterSerializer])
    def get(self, request, *args, **kwargs):
        """The plans you may see: your own, and your company's submitted plans if your role
        shows those."""
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="plans_create",
        request=PlanWriteSerializer,
        responses={201: PlanDetailSerializer},
    )
    def post(self, request):
        """Draft a new plan (planners). Drafts may be incomplete; submitting checks them."""
        serializer = PlanWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = plan_services.plan_create(actor=request.user, **serializer.validated_data)
        return Response(plan_detail(request, plan.pk), status=status.HTTP_201_CREATED)


@extend_schema(tags=["plans"], parameters=[PLAN_ID])
class PlanDetailView(ApiMixin, APIView):
    @extend_schema(operation_id="plans_retrieve", responses=PlanDetailSerializer)
    def get(self, request, plan_id):
        """One plan: status, who leads, who acts next and by when, revisions, decisions."""
        return Response(plan_detail(request, plan_id))

    @extend_schema(
        operation_id="plans_partial_update",
        request=PlanWriteSerializer(partial=True),
        responses=PlanDetailSerializer,
    )
    def patch(self, request, plan_id):
        """Edit a draft, or a plan sent back for changes; its author only."""
        plan = plan_access(user=request.user, plan_id=plan_id)
        serializer = PlanWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        plan_services.plan_update(actor=request.user, plan=plan, data=serializer.validated_data)
        return Response(plan_detail(request, plan.pk))


@extend_schema(tags=["plans"], parameters=[PLAN_ID])
class PlanSubmitView(ApiMixin, APIView):
    @extend_schema(operation_id="plans_submit", request=None, responses=PlanDetailSerializer)
    def post(self, request, plan_id):
        """Start the approval of a draft, or resubmit after a request for changes (a new
        revision). Its author only."""
        plan = approvals.plan_submit(actor=request.user, plan_id=plan_id)
        return Response(plan_detail(request, plan.pk))


@extend_schema(tags=["plans"], parameters=[PLAN_ID])
class PlanCancelView(ApiMixin, APIView):
    @extend_schema(
        operation_id="plans_cancel", request=CommentSerializer, responses=PlanDetailSerializer
    )
    def post(self, request, plan_id):
        """Withdraw an unfinished plan: its author, or a head of the company."""
        serializer = CommentSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = approvals.plan_cancel(
            actor=request.user, plan_id=plan_id, comment=serializer.validated_data["comment"]
        )
        return Response(plan_detail(request, plan.pk))


@extend_schema(tags=["plans"], parameters=[PLAN_ID])
class RevisionListView(ApiMixin, generics.ListAPIView):
    serializer_class = RevisionSerializer

    def get_queryset(self):
        return revision_list(
            plan=plan_access(user=self.request.user, plan_id=self.kwargs["plan_id"])
        )

    @extend_schema(operation_id="plans_revisions_list")
    def get(self, request, *args, **kwargs):
        """The plan's frozen revisions, first to last."""
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["plans"], parameters=[PLAN_ID, NUMBER])
class RevisionDiffView(ApiMixin, APIView):
    @extend_schema(
        operation_id="plans_revisions_diff",
        parameters=[DiffQuerySerializer],
        responses=DiffSerializer,
    )
    def get(self, request, plan_id, number):
        """What changed from revision ``against`` (default: the one before) to ``number``."""
        query = filtered(DiffQuerySerializer, request)
        plan = plan_access(user=request.user, plan_id=plan_id)
        revision = revision_get(plan=plan, number=number)
        against_number = query.get("against", revision.number - 1)
        against = revision_get(plan=plan, number=against_number) if against_number else None
        changes = revision_diff(against, revision)
        return Response(
            DiffSerializer(
                {
                    "revision": revision.number,
                    "against": against.number if against else None,
                    "changes": changes,
                }
            ).data
        )


@extend_schema(tags=["plans"], parameters=[PLAN_ID])
class PlanHistoryView(ApiMixin, generics.ListAPIView):
    serializer_class = EventSerializer

    def get_queryset(self):
        plan = plan_access(user=self.request.user, plan_id=self.kwargs["plan_id"])
        return event_list_for_plan(plan_id=plan.pk)

    @extend_schema(operation_id="plans_history_list")
    def get(self, request, *args, **kwargs):
        """The plan's audit events, oldest first."""
        return super().get(request, *args, **kwargs)
