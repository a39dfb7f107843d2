"""Any other path under /api/: the API's JSON 404, never Django's HTML page.

It also keeps Django's APPEND_SLASH from redirecting (or, in DEBUG, failing on)
a POST to a path without its trailing slash.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from apps.core.errors import NotFound

from ..base import ApiMixin


@extend_schema(exclude=True)
class NotFoundView(ApiMixin, APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not request.path.endswith("/"):
            raise NotFound("Not found. Every API path ends with a slash.")
        raise NotFound()
