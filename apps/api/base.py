"""What every API view shares: JSON in and out, one error shape, one pagination, one schema."""

from __future__ import annotations

import codecs
import json
import math

from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import AnonRateThrottle

from apps.core.pagination import CappedPaginator

from .errors import exception_handler
from .schema import ApiSchema


class Pagination(PageNumberPagination):
    """``{"count", "next", "previous", "results", "count_is_exact"}``; ``page_size`` up to 200.

    ``count`` is exact up to 1,000 rows; past that it says 1,000 and ``count_is_exact`` is
    false (``CappedPaginator``), and ``next`` goes on to the last page.
    """

    django_paginator_class = CappedPaginator
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        """A ``page_size`` that is not a whole number of 1 or more is refused, not ignored;
        above 200 it is capped (as documented)."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        digits = raw.lstrip("0")
        if not (raw.isascii() and raw.isdigit() and digits):
            raise ValidationError(
                {self.page_size_query_param: ["A whole number of 1 or more (at most 200 used)."]}
            )
        return self.max_page_size if len(digits) > 3 else min(int(digits), self.max_page_size)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_is_exact"] = not self.page.paginator.capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count"]["description"] = "Exact up to 1,000; then 1,000."
        schema["properties"]["count_is_exact"] = {"type": "boolean", "example": True}
        return schema

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
        return parameters


MAX_JSON_DEPTH = 32


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number out of range: {text[:20]}")
    return number


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _depth_ok(value, limit: int) -> bool:
    """Whether ``value`` nests at most ``limit`` containers deep (iteratively: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > limit:
                return False
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return True


class StrictJSONParser(JSONParser):
    """JSON bodies that cannot hurt: bounded nesting, finite numbers, a known encoding.

    Python's decoder recurses once per level, so ``[`` ten thousand times would end
    in a RecursionError (a 500); no request body of this API nests deeper than a few
    levels, so anything past ``MAX_JSON_DEPTH`` is a 400.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = codecs.getreader(encoding)(stream).read()
            data = json.loads(text, parse_float=_finite_float, parse_constant=_refuse_constant)
        except LookupError:
            raise ParseError(f"Unknown character set {encoding!r}.") from None
        except RecursionError:
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.") from None
        except ValueError as exc:  # includes UnicodeDecodeError
            raise ParseError(f"JSON parse error - {exc}") from None
        if not _depth_ok(data, MAX_JSON_DEPTH):
            raise ParseError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels.")
        return data


class TokenThrottle(AnonRateThrottle):
    """Guesses at passwords through the token endpoint, limited per client address.

    The rate is read when a request comes in (``API_TOKEN_RATE`` in the settings,
    default ten a minute), so tests and deployments can change it.
    """

    scope = "token"

    def get_rate(self) -> str:
        return getattr(settings, "API_TOKEN_RATE", "10/minute")


class ApiMixin:
    """Mixed into every API view before DRF's own view class."""

    renderer_classes = [JSONRenderer]
    parser_classes = [StrictJSONParser]
    pagination_class = Pagination
    schema = ApiSchema()

    def get_exception_handler(self):
        return exception_handler
