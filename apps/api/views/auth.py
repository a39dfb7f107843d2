"""Signing in for a token, and who the token belongs to."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import ValidationError
from apps.org.policy import membership_of

from ..base import ApiMixin, TokenThrottle
from ..serializers import MeSerializer, TokenRequestSerializer, TokenSerializer
from ..tokens import ExpiringTokenAuthentication, token_issue

CREDENTIALS_MESSAGE = "Unable to sign in with that username and password."


class TokenView(ApiMixin, APIView):
    """Exchange a username and password for an API token (rate limited per address);
    ``DELETE`` revokes the token the request is made with."""

    def _revoking(self) -> bool:
        return getattr(getattr(self, "request", None), "method", None) == "DELETE"

    def get_authenticators(self):
        return [ExpiringTokenAuthentication()] if self._revoking() else []

    def get_permissions(self):
        return [IsAuthenticated()] if self._revoking() else [AllowAny()]

    def get_throttles(self):
        return [] if self._revoking() else [TokenThrottle()]

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenRequestSerializer,
        responses={200: TokenSerializer},
        auth=[],
        tags=["auth"],
    )
    def post(self, request):
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The DRF request is passed on purpose: django-axes marks a locked-out attempt on
        # it, and this view answers that in the API's own error shape.
        user = authenticate(
            request=request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if getattr(request, "axes_locked_out", False):
            raise Throttled(
                wait=settings.LOCKOUT_RETRY_AFTER,
                detail="Too many failed sign-ins; try again later.",
            )
        if user is None or not user.is_active:
            raise ValidationError(CREDENTIALS_MESSAGE)
        return Response({"token": token_issue(user=user).key})

    @extend_schema(
        operation_id="auth_token_destroy",
        request=None,
        responses={204: OpenApiResponse(description="The token no longer works.")},
        tags=["auth"],
    )
    def delete(self, request):
        request.auth.delete()
        return Response(status=204)


class MeView(ApiMixin, APIView):
    """The signed-in user, their company and their roles."""

    @extend_schema(operation_id="me_retrieve", responses=MeSerializer, tags=["auth"])
    def get(self, request):
        user = request.user
        membership = None if user.is_superuser else membership_of(user)
        data = {
            "user": user,
            "company": membership.company if membership else None,
            "department": membership.department if membership else None,
            "title": membership.title if membership else "",
            "roles": sorted(membership.role_names) if membership else [],
        }
        return Response(MeSerializer(data).data)
