"""Django's last-resort error pages, in the API's error shape under the API.

``handler500`` and ``handler400`` run only when ``DEBUG`` is off, which is when
a client must never see an HTML page from a JSON API.
"""

from __future__ import annotations

from django.views import defaults

from .middleware import error_response, is_api


def server_error(request, *args, **kwargs):
    if is_api(request):
        return error_response(
            request, 500, "server_error", "Something went wrong on our side; it has been logged."
        )
    return defaults.server_error(request, *args, **kwargs)


def bad_request(request, exception=None, *args, **kwargs):
    if is_api(request):
        return error_response(request, 400, "invalid", "The request could not be understood.")
    return defaults.bad_request(request, exception, *args, **kwargs)
