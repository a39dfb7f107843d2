"""What a test reads off a response, beyond its status."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.shortcuts import resolve_url


def redirect_path(response) -> str:
    """Where a 302 sends the browser (its path, without the query); fails on anything else."""
    assert response.status_code == 302, response.status_code
    return urlsplit(response["Location"]).path


def sent_to_log_in(response, next_path: str) -> bool:
    """A redirect to the sign-in page that will bring the user back to ``next_path``."""
    query = parse_qs(urlsplit(response["Location"]).query)
    return redirect_path(response) == resolve_url(settings.LOGIN_URL) and query.get("next") == [
        next_path
    ]


def allowed_methods(response) -> set[str]:
    """The methods a 405 names in its ``Allow`` header."""
    assert response.status_code == 405, response.status_code
    return {method.strip() for method in response["Allow"].split(",")}
