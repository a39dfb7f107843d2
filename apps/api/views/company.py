"""The company's strategy: read by its members, set by its administrators."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.org.strategy import company_of, company_strategy_update

from ..base import ApiMixin
from ..serializers.company import StrategySerializer, StrategyWriteSerializer


@extend_schema(tags=["company"])
class CompanyStrategyView(ApiMixin, APIView):
    @extend_schema(operation_id="company_strategy_retrieve", responses=StrategySerializer)
    def get(self, request):
        """Your company's marketing focus, current core task and forecast tolerance; who set
        them last and when. New plans take the focus and core task as defaults."""
        return Response(StrategySerializer(company_of(user=request.user)).data)

    @extend_schema(
        operation_id="company_strategy_partial_update",
        request=StrategyWriteSerializer,
        responses=StrategySerializer,
    )
    def patch(self, request):
        """Set the strategy (company administrators only). Plans in flight keep their lead."""
        company = company_of(user=request.user)
        serializer = StrategyWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        company = company_strategy_update(
            actor=request.user, company=company, **serializer.validated_data
        )
        return Response(StrategySerializer(company).data)
