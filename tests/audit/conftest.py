"""Fixtures for the audit tests."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.audit import guard
from apps.audit.models import Event
from apps.org.models import Company
from tests.factories import BRAND_CONTENT, decide, submitted

from .helpers import chain_of


@pytest.fixture
def tamper():
    """A block with the append-only triggers lifted, as someone owning the database could."""
    return lambda: guard.lifted(connection)


@pytest.fixture
def maple(user) -> list[Event]:
    """Red Maple's chain, oldest first: the world's organisation events, then a promotion in
    review and a brand plan on which sales raised concerns before the GM signed it off."""
    planner, sales, gm = user("maple.planner"), user("maple.sales"), user("maple.gm")
    submitted(planner, title="Autumn coats national promotion")
    brand = submitted(
        planner,
        lead="marketing_leads",
        title="Brand refresh 2027",
        kind="brand",
        directive="guiding",
        horizon="long_term",
        content=dict(BRAND_CONTENT),
    )
    decide(brand, sales, "raise_concerns", "Store staff need training material first.")
    decide(brand, gm, "approve", "Go ahead.", step="sign_off")
    chain = chain_of(Company.objects.get(slug="maple").pk)
    assert len(chain) >= 12  # the positions the tests below tamper with exist
    return chain
