"""Helpers for the audit tests: run the checks, and catch the events an action writes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import models

from apps.audit.chain import GENESIS, digest, record_of
from apps.audit.keys import verification_keys
from apps.audit.models import ChainHead, Event


def verify_audit(*args: str) -> tuple[bool, str]:
    """Run ``verify_audit``; return whether it passed and everything it printed."""
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit", *args, stdout=out, stderr=err)
    except CommandError as error:
        assert error.returncode == 1
        return False, out.getvalue() + str(error)
    return True, out.getvalue()


@contextmanager
def recorded() -> Iterator[list[Event]]:
    """The events written inside the block, oldest first."""
    mark = Event.objects.order_by("-id").values_list("id", flat=True).first() or 0
    events: list[Event] = []
    yield events
    events.extend(Event.objects.filter(id__gt=mark).order_by("id"))


def rewrite(event: Event, **fields) -> None:
    """Change a stored event as an UPDATE would, skipping the model's refusal (lift the
    triggers first)."""
    models.QuerySet.update(Event.objects.filter(pk=event.pk), **fields)


def rehashed(event: Event, **fields) -> str:
    """The hash ``event`` would carry with ``fields`` changed: what a forger who knows how
    events are hashed, and holds the chain's key, writes next to them. The one place
    tampering tests compute a hash."""
    return digest({**record_of(event), **fields}, verification_keys())


def chain_of(company_id: int) -> list[Event]:
    return list(Event.objects.filter(company_id=company_id).order_by("seq"))


def head_of(company_id: int) -> ChainHead:
    return ChainHead.objects.get(company_id=company_id)


def assert_chained(events: list[Event], *, after: ChainHead | None) -> None:
    """``events`` follow ``after`` (a head read before they were written) link by link.

    An empty list is a failure: every caller expects events to have been written."""
    assert events, "no events to check"
    seq, prev_hash = (after.seq, after.hash) if after else (0, GENESIS)
    for event in events:
        assert (event.seq, event.prev_hash) == (seq + 1, prev_hash)
        assert event.hash == digest(event, verification_keys())
        seq, prev_hash = event.seq, event.hash
