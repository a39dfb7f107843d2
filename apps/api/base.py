"""What every API view shares: JSON in and out, one error shape, one pagination, one schema."""

from __future__ import annotations

from django.conf import settings
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.throttling import AnonRateThrottle

from .errors import exception_handler
from .schema import ApiSchema


class Pagination(PageNumberPagination):
    """``{"count", "next", "previous", "results"}``; ``page_size`` up to 200."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 200


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
    parser_classes = [JSONParser]
    pagination_class = Pagination
    schema = ApiSchema()

    def get_exception_handler(self):
        return exception_handler
