"""Errors that services raise, and that every interface maps to one response.

Views turn them into messages and status codes, the API into its error body,
the Celery tasks into a logged failure. A service never returns an error value.
"""

from __future__ import annotations

from django.conf import settings


class DomainError(Exception):
    """Base of every expected error: something a user did, not a bug."""

    code = "error"
    status = 400

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(DomainError):
    """The input is invalid; ``fields`` says which field and why."""

    code = "invalid"
    status = 400


class NotFound(DomainError):
    """The object does not exist, or exists for somebody else (the same answer)."""

    code = "not_found"
    status = 404

    def __init__(self, message: str = "Not found.", **kwargs) -> None:
        super().__init__(message, **kwargs)


class Forbidden(DomainError):
    """The user may see the object but may not do this to it."""

    code = "forbidden"
    status = 403


class Conflict(DomainError):
    """The object's state does not allow the action (done already, or lost a race)."""

    code = "conflict"
    status = 409


class Busy(Conflict):
    """Lost the wait for a lock (the database or another action held it too long).

    Still a conflict for the client, with ``Retry-After``: trying again soon will work.
    """

    @property
    def retry_after(self) -> int:
        return int(getattr(settings, "BUSY_RETRY_AFTER", 2))


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    """The one error shape of the API: ``{"error": {"code", "message", "fields"?}}``."""
    body: dict = {"code": code, "message": message}
    if fields:
        body["fields"] = fields
    return {"error": body}
