"""What people are told: in-app notifications (each maybe also an email) for users,
and background jobs that failed for good, for administrators.

The app knows nothing of plans or flows: callers say who is told what, under
which idempotency key, and this app makes sure it happens once.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Not sent yet"
    SENT = "sent", "Sent"
    NONE = "none", "No address"


class Notification(models.Model):
    """One message to one user; ``key`` names the side effect, so it exists at most once."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    key = models.CharField(max_length=120, help_text="The event that caused it, e.g. remind:42.")
    kind = models.CharField(max_length=32)
    message = models.CharField(max_length=300)
    detail = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=8, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key", "user"], name="notification_once_per_user")
        ]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.message}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class FailedJob(models.Model):
    """A background task that gave up: after its retries, or after killing workers repeatedly.

    Repeats of the same task with the same arguments (the periodic scan proposes
    the same work every few minutes) add to ``occurrences`` of one open row
    instead of flooding the list.
    """

    task_name = models.CharField(max_length=200)
    task_id = models.CharField(max_length=64, help_text="The last failed attempt's id.")
    signature = models.CharField(max_length=64, db_index=True, editable=False)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    reason = models.CharField(max_length=500)
    traceback = models.TextField(blank=True)
    occurrences = models.PositiveIntegerField(default=1)
    first_failed_at = models.DateTimeField()
    last_failed_at = models.DateTimeField(db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_failed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}: {self.reason[:80]}"


class Redelivery(models.Model):
    """How often the broker handed the same task message out again (worker lost)."""

    task_id = models.CharField(max_length=64, unique=True)
    task_name = models.CharField(max_length=200)
    count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.task_name} {self.task_id}: {self.count}"
