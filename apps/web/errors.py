"""How the web pages answer the services' errors: one mapping, as the API has its own.

A service raises ``NotFound``, ``Forbidden``, ``Conflict`` or ``ValidationError``
(``apps.core.errors``). On a page:

- an error that escapes a view becomes a page with its status and message
  (``DomainErrorMiddleware``): 404 for "not found" (a missing object and one of
  another company look the same), 403, 409 and 400 for the others;
- a button (claim, release, submit, cancel) reports the error as a message on
  the page it returns to (``act``), and a "not found" is still a 404;
- a form shows the error next to the fields it names (``form_show_error``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.handlers.exception import response_for_exception
from django.http import Http404
from django.shortcuts import render

from apps.core.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from apps.core.middleware import is_api

HEADINGS = {
    Forbidden: "Not allowed",
    Conflict: "Not possible now",
    ValidationError: "Please check what you sent",
}


def not_found_page(request: Any, exception: Any = None):
    """The product's 404 page (``404.html``, as Django renders it with DEBUG off)."""
    return render(request, "404.html", status=404)


def _is_debug_page(request: Any, response: Any) -> bool:
    """Django's technical 404 (DEBUG on): recognised by its title."""
    return (
        not is_api(request)
        and not getattr(response, "streaming", False)
        and response.get("Content-Type", "").startswith("text/html")
        and b"<title>Page not found at" in response.content[:2000]
    )


def error_page(request: Any, error: DomainError):
    """The page for a service error; "not found" is the project's own 404 page, the same
    for a missing object and a hidden one."""
    if isinstance(error, NotFound):
        return response_for_exception(request, Http404(error.message))
    heading = next((text for kind, text in HEADINGS.items() if isinstance(error, kind)), "Error")
    response = render(
        request,
        "web/error.html",
        {"heading": heading, "message": error.message},
        status=error.status,
    )
    retry_after = getattr(error, "retry_after", None)  # a lost lock wait: try again soon
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


class DomainErrorMiddleware:
    """Turns a service error that no view handled into a page with the right status."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.DEBUG and response.status_code == 404 and _is_debug_page(request, response):
            # The demo runs with DEBUG on; a member must still see the product's 404, not
            # Django's technical page that lists every URL.
            return not_found_page(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DomainError):
            return error_page(request, exception)
        return None


def act(request: Any, action: Callable[..., Any], success: str, **kwargs: Any) -> bool:
    """Run a service for a button: its success, or its error, becomes a message.

    ``NotFound`` is not a message: it propagates and the page is a 404.
    """
    try:
        action(actor=request.user, **kwargs)
    except NotFound:
        raise
    except DomainError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, success)
    return True


def form_show_error(
    form: forms.Form, error: DomainError, rename: Callable[[str], str] = str
) -> None:
    """Say what went wrong on ``form``, each field error next to its field.

    ``rename`` maps a service's field name to the form's (``content.budget`` to ``c_budget``).
    """
    form.add_error(None, error.message)
    for key, problems in error.fields.items():
        name = rename(key)
        if name in form.fields:
            for problem in problems:
                form.add_error(name, problem)
