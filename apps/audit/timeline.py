"""A plan's events shaped as a timeline: grouped by revision, with the time each step took.

A step opens when the plan is submitted or its status changes (a review round
opens at the submission, the sign-off when the last review moves the plan on,
a revision when changes are requested); a decision or a resubmission closes
the step it answers, and ``took`` is the time between the two. Parallel
reviews in a large company all count from the same opening.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .models import Action, Event

CLOSING = frozenset(
    {
        Action.APPROVE,
        Action.RAISE_CONCERNS,
        Action.REQUEST_CHANGES,
        Action.REJECT,
        Action.SIGN_OFF,
        Action.RESUBMIT,
    }
)
OPENING = frozenset({Action.SUBMIT, Action.RESUBMIT})


def duration_text(value: timedelta | None) -> str:
    if value is None:
        return ""
    minutes = int(value.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


@dataclass
class Entry:
    event: Event
    took: timedelta | None = None  # for a decision or resubmission: since its step opened
    waited: timedelta | None = None  # for a claim: how long the task waited for someone

    @property
    def took_text(self) -> str:
        return duration_text(self.took)

    @property
    def waited_text(self) -> str:
        return duration_text(self.waited)


@dataclass
class RevisionGroup:
    revision: int
    entries: list[Entry] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"Revision {self.revision}" if self.revision else "Draft"

    @property
    def fingerprint(self) -> str:
        """The SHA-256 of the revision's text, as its submission recorded it."""
        for entry in self.entries:
            if entry.event.action in OPENING:
                return entry.event.data.get("content_sha256", "")
        return ""

    @property
    def started_at(self) -> datetime:
        return self.entries[0].event.created_at

    @property
    def ended_at(self) -> datetime:
        return self.entries[-1].event.created_at


def timeline(events: Iterable[Event]) -> list[RevisionGroup]:
    """Consecutive events of one revision form a group; a draft's events form revision 0."""
    groups: list[RevisionGroup] = []
    opened_at: datetime | None = None
    for event in sorted(events, key=lambda e: (e.seq, e.pk or 0)):
        entry = Entry(event)
        if opened_at is not None and event.action in CLOSING:
            entry.took = event.created_at - opened_at
        elif opened_at is not None and event.action == Action.CLAIM:
            entry.waited = event.created_at - opened_at
        if event.action in OPENING or (event.to_status and event.from_status != event.to_status):
            opened_at = event.created_at
        revision = event.revision or 0
        if not groups or groups[-1].revision != revision:
            groups.append(RevisionGroup(revision))
        groups[-1].entries.append(entry)
    return groups
