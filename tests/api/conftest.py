"""API clients signed in as the demo users, and a clean throttle for every test."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import PASSWORD as DEMO_PASSWORD


class JsonClient(APIClient):
    """Sends request bodies as JSON, the only body the API accepts."""

    default_format = "json"


@pytest.fixture(autouse=True)
def fresh_throttle():
    """The token throttle counts in the cache; no test inherits another's attempts."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def anonymous():
    return JsonClient()


@pytest.fixture
def sign_in(world):
    """Sign a demo user in through ``POST /api/auth/token/``; return a client using the token."""

    def as_user(username: str) -> APIClient:
        client = JsonClient()
        response = client.post(
            "/api/auth/token/",
            {"username": username, "password": DEMO_PASSWORD},
            format="json",
        )
        assert response.status_code == 200, response.content
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        return client

    return as_user


@pytest.fixture
def api(user):
    """A client with a token for a demo user, without spending a sign-in on it."""

    def as_user(username: str) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user(username))
        client = JsonClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return as_user
