"""Fixtures for notification and deadline tests: commits that run their hooks, a movable clock."""

from __future__ import annotations

import pytest

from apps.core import timeutils
from apps.notifications.models import Notification


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the after-commit hooks of the block, as a real commit would."""

    def block():
        return django_capture_on_commit_callbacks(execute=True)

    return block


@pytest.fixture
def clock(monkeypatch):
    """Move the clock that reminders and escalations read: ``clock(moment)``."""

    def set_to(moment):
        monkeypatch.setattr(timeutils, "now", lambda: moment)
        return moment

    return set_to


TITLE = "Velvet scarves"  # every plan these tests submit; the demo's own plans are other news


def told(kind: str, **filters) -> list[str]:
    """Usernames notified of ``kind`` about the test's plan, in order."""
    notes = Notification.objects.filter(kind=kind, message__contains=TITLE, **filters)
    notes = notes.order_by("user__username")
    return [note.user.username for note in notes]


def mailed(mailoutbox, about: str = "") -> list[str]:
    """Addressees of the emails sent (whose subject mentions ``about``), one per email."""
    return sorted(
        address for message in mailoutbox if about in message.subject for address in message.to
    )
