"""The OpenAPI description of the API: every operation lists the errors it can answer with."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import AllowAny

from .errors import ErrorSerializer

ERROR_DESCRIPTIONS = {
    "400": "Invalid input: malformed JSON, a wrong type, or a field the rules refuse.",
    "401": "No credentials, or credentials that are not valid.",
    "403": "The object is visible to you, but you may not do this to it.",
    "404": "No such object, or one of another company: the same answer.",
    "405": "The path does not accept this method.",
    "409": "The object's state does not allow this now, or someone else got there first.",
    "406": "The Accept header asks for something other than JSON.",
    "413": "The body is larger than the server accepts.",
    "415": "The body is not JSON.",
    "429": "Too many requests: wait for the number of seconds in Retry-After.",
    "503": "The database stayed busy: try again after the seconds in Retry-After.",
}


class ApiSchema(AutoSchema):
    """drf-spectacular's schema, with the error responses each operation can produce."""

    def _error_codes(self) -> list[str]:
        has_body = self.method in ("POST", "PUT", "PATCH")
        on_object = "{" in self.path
        public = any(isinstance(p, AllowAny) for p in self.view.get_permissions())
        codes = ["400", "405", "406"]
        if not public:  # 404 also answers a trail asked for by anyone but auditors and heads
            codes += ["401", "403", "404"]
        if has_body and on_object:
            codes.append("409")
        if has_body or self.method == "DELETE":
            codes += ["413", "415", "503"]
        if self.view.get_throttles():
            codes.append("429")
        return sorted(codes)

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    OpenApiResponse(ErrorSerializer, description=ERROR_DESCRIPTIONS[code]),
                    code,
                    media_types=["application/json"],
                    direction=direction,
                )
        return responses
