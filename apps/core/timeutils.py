"""Time helpers: deadlines count working days (Monday to Friday)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone


def add_working_days(start: datetime, days: int) -> datetime:
    """Return ``start`` moved forward by ``days`` working days, keeping the time of day.

    A start on a weekend counts from the following Monday, so a task created on
    Saturday with one working day is due on Tuesday at the same time.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    moment = start
    while moment.weekday() >= 5:
        moment += timedelta(days=1)
    remaining = days
    while remaining:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            remaining -= 1
    return moment


def working_time_between(start: datetime, end: datetime) -> timedelta:
    """Time from ``start`` to ``end`` that falls on Monday to Friday."""
    total = timedelta()
    cursor = start
    while cursor < end:
        midnight = (cursor + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        step_end = min(end, midnight)
        if cursor.weekday() < 5:
            total += step_end - cursor
        cursor = step_end
    return total


def now() -> datetime:
    """The current time; one place to freeze it in tests."""
    return timezone.now()
