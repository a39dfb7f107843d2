"""Shared fixtures: the demo companies as the README describes them, and their people."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from apps.demo.seed import seed_demo


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Seed the demo once per test database; each test then runs in a rolled-back transaction."""
    with django_db_blocker.unblock():
        seed_demo()
        # The seed commits for real here, so its after-commit work (notifications of the demo
        # plans) ran; tests start, as a freshly seeded demo in a test transaction would, with
        # none of it.
        from apps.notifications.models import FailedJob, Notification, Redelivery

        for model in (Notification, FailedJob, Redelivery):
            model.objects.all().delete()


def _demo_present() -> bool:
    # transactional tests (which pytest-django runs last) empty the tables when they finish
    return get_user_model().objects.filter(username="north.auditor").exists()


@pytest.fixture
def demo(db):
    """The three demo companies, their members and a few plans, created by the real seed."""
    if not _demo_present():
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
