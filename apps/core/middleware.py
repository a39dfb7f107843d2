"""The edges of every request: limits, a busy database, and the headers every response carries.

These are answers that do not depend on which view runs, so they live here once
instead of in each interface: a body over the upload limit is refused before
anything reads it (413), a database lock that outlasts the busy timeout is a
503 with ``Retry-After`` (never a 500), and responses say what the browser may
do (Permissions-Policy) and, for the API, that they must not be cached.

Paths under ``API_PATH_PREFIX`` get the API's JSON error shape; pages get a
short plain page that needs no database (the database may be what is busy).
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from .errors import error_body

logger = logging.getLogger(__name__)

PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=(), interest-cohort=()"
)
BUSY_MESSAGE = "The database is busy with other requests; try again in a moment."
TOO_LARGE_MESSAGE = "The request body is larger than the server accepts."


def database_busy(exc: BaseException | None) -> bool:
    """Whether ``exc``, or what caused it, is a lock wait that ran out (SQLite busy,
    PostgreSQL lock_timeout); the flow lock wraps the database's error in its own."""
    for _ in range(5):  # a short chain of causes, never a cycle
        if exc is None:
            return False
        if isinstance(exc, OperationalError):
            if getattr(exc.__cause__, "sqlstate", None) == "55P03":  # lock_not_available
                return True
            text = str(exc).lower()
            if "database is locked" in text or "lock timeout" in text:
                return True
        exc = exc.__cause__
    return False


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(getattr(settings, "API_PATH_PREFIX", "/api/"))


def error_response(
    request: HttpRequest, status: int, code: str, message: str, retry_after: int | None = None
) -> HttpResponse:
    """The API's error shape under the API, a plain page elsewhere; no database access."""
    if is_api(request):
        response: HttpResponse = JsonResponse(error_body(code, message), status=status)
    else:
        page = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Greenlight</title>"
            f'<h1>Greenlight</h1><p>{message}</p><p><a href="">Try again</a></p></html>'
        )
        response = HttpResponse(page, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class HardeningMiddleware:
    """Refuses oversize bodies, answers a busy database, and sets the response headers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and _declared_length(request) > limit:
            response = error_response(request, 413, "too_large", TOO_LARGE_MESSAGE)
        else:
            response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if response.status_code == 429 and "Retry-After" not in response:
            # django-axes' lockout page says nothing of when to come back.
            response["Retry-After"] = str(getattr(settings, "LOCKOUT_RETRY_AFTER", 900))
        if is_api(request):
            response["Cache-Control"] = "no-store"
        return response

    def process_exception(self, request: HttpRequest, exception: Exception):
        if isinstance(exception, RequestDataTooBig):
            return error_response(request, 413, "too_large", TOO_LARGE_MESSAGE)
        if database_busy(exception):
            logger.warning("database busy on %s %s: %s", request.method, request.path, exception)
            return error_response(
                request,
                503,
                "busy",
                BUSY_MESSAGE,
                retry_after=getattr(settings, "BUSY_RETRY_AFTER", 2),
            )
        return None
