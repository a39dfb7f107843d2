"""One error body for every failure the API reports: ``{"error": {"code", "message", "fields"?}}``.

Services raise ``apps.core.errors.DomainError``; DRF raises its own exceptions for
parsing, authentication, permissions, throttling and serializer validation. Both
end here, so a client handles a single shape whatever went wrong.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from apps.core.errors import DomainError, error_body

NOT_FOUND_MESSAGE = "Not found."

# DRF's codes renamed where the domain already has a word for the same thing.
CODES = {
    "permission_denied": "forbidden",
    "error": "invalid",
}


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field.sub": ["message", ...]}``."""
    if isinstance(detail, dict):
        flat: dict[str, list[str]] = {}
        for key, value in detail.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _validation_body(exc: exceptions.ValidationError) -> dict:
    fields = _flatten(exc.detail)
    general = fields.pop("non_field_errors", [])
    message = " ".join(general) if general else "Please correct the highlighted fields."
    return error_body("invalid", message, fields)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's ``EXCEPTION_HANDLER`` for the API views; anything unexpected stays a 500."""
    if isinstance(exc, DomainError):
        set_rollback()
        response = Response(error_body(exc.code, exc.message, exc.fields), status=exc.status)
        if getattr(exc, "retry_after", None):
            response["Retry-After"] = str(exc.retry_after)
        return response
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(NOT_FOUND_MESSAGE)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)  # keeps WWW-Authenticate and Retry-After
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = _validation_body(exc)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = getattr(exc, "default_code", "error")
        response.data = error_body(CODES.get(code, code), str(detail))
    return response


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Stable machine-readable code, e.g. `conflict`.")
    message = serializers.CharField(help_text="What went wrong, for a person to read.")


# "fields" cannot be a class attribute of a serializer (it would hide Serializer.fields).
ErrorDetailSerializer._declared_fields["fields"] = serializers.DictField(
    child=serializers.ListField(child=serializers.CharField()),
    required=False,
    help_text='Invalid input by field: `{"title": ["A plan needs a title."]}`.',
)


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    error = ErrorDetailSerializer()
