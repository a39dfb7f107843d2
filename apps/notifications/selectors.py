"""Reads of a user's notifications."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import EmailStatus, Notification


def notifications_for(*, user: Any) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    return Notification.objects.filter(user_id=user.pk).order_by("-created_at", "-id")


def unread_count(*, user: Any) -> int:
    if user is None or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=user.pk, read_at__isnull=True).count()


def emails_pending(*, key: str) -> list[int]:
    """Notifications of one event whose email is still to be sent."""
    return list(
        Notification.objects.filter(key=key, email_status=EmailStatus.PENDING)
        .order_by("id")
        .values_list("pk", flat=True)
    )
