"""Fixtures for the audit tests."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from apps.audit import guard
from workflows.demo import seed_demo


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker):
    """The demo seed, once per test module, rolled back after the module.

    Seeding takes seconds and these tests need it dozens of times. Each test
    still runs inside its own savepoint, so nothing one test does is seen by
    the next. Modules with transactional tests must not use it.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        seed_demo()
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(demo_once, db):
    """The root ``demo`` fixture, without seeding again for every test."""
    return get_user_model().objects


@pytest.fixture
def tamper():
    """A block with the append-only triggers lifted, as someone owning the database could."""
    return lambda: guard.lifted(connection)
