"""Shared fixtures: the demo companies as the README describes them, and their people."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from workflows.demo import seed_demo


@pytest.fixture
def demo(db):
    """The three demo companies, their members and a few plans, created by the real seed."""
    seed_demo()
    return get_user_model().objects


@pytest.fixture
def user(demo):
    """Look a demo user up by username: ``user("maple.sales")``."""

    def get(username: str):
        return demo.get(username=username)

    return get


@pytest.fixture
def login(client, user):
    """Sign the test client in as a demo user and return it."""

    def as_user(username: str):
        client.force_login(user(username))
        return client

    return as_user
