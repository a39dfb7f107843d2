"""The real parts some tests need, and what happens when one is missing."""

from __future__ import annotations

import os

import pytest

CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing_part(reason: str) -> None:
    """A real part the test needs (Chromium, PostgreSQL, a Redis broker) is not there.

    Locally the test skips and says why. In CI (``CI=true``) it fails when this run is the
    one that is supposed to have the part: Chromium in every run; a Redis broker in the
    PostgreSQL run (the SQLite run has no broker by design, and its worker could not see the
    in-memory database anyway). PostgreSQL-only tests skip on SQLite in every run, since
    the SQLite run is SQLite by design; the PostgreSQL run cannot lack PostgreSQL (its test
    database could not be created). A CI that stays green without the part proves nothing.
    """
    if CI:
        pytest.fail(f"CI run without a part it must have: {reason}", pytrace=False)
    pytest.skip(reason)
