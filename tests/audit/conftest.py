"""Fixtures for the audit tests."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.audit import guard


@pytest.fixture
def tamper():
    """A block with the append-only triggers lifted, as someone owning the database could."""
    return lambda: guard.lifted(connection)
