"""Shared fixtures: the suite's world (one company of each size and its people, built by the
factories in tests/factories.py through the real services), and signing its people in.

The demo seed is not the suite's fixture: tests/demo tests it once, as a seed."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from hypothesis import settings as hypothesis_settings

from tests.factories import world_build
from tests.parts import CI

# Hypothesis: randomized locally (new cases every run), derandomized in CI, so that a failure
# there is the same failure on the next run and on a developer's machine.
hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev")
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if CI else "dev"))


if os.environ.get("GREENLIGHT_EXISTING_TEST_DB"):

    @pytest.fixture(scope="session")
    def django_db_setup():
        """``make mutate``: the database (tests.mutation_settings) was migrated and given
        its world before the run; every mutant's tests use it as it is."""

else:

    @pytest.fixture(scope="session")
    def django_db_setup(django_db_setup, django_db_blocker):
        """Build the world once per test database; each test then runs in a rolled-back
        transaction, and adds the plans it needs."""
        with django_db_blocker.unblock():
            world_build()


def _world_present() -> bool:
    # transactional tests (which pytest-django runs last) empty the tables when they finish
    return get_user_model().objects.filter(username="north.auditor").exists()


@pytest.fixture
def world(db):
    """Lotus (small), Red Maple (medium) and Northstar (large): departments, people, roles."""
    if not _world_present():
        world_build()
    return get_user_model().objects


@pytest.fixture
def user(world):
    """Look a member of the world up by username: ``user("maple.sales")``."""

    def get(username: str):
        return world.get(username=username)

    return get


@pytest.fixture
def login(client, user):
    """Sign the test client in as a member of the world and return it."""

    def as_user(username: str):
        client.force_login(user(username))
        return client

    return as_user
