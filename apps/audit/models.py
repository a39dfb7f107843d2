"""The append-only history of everything that happens to a company's plans.

Events refer to companies, plans, tasks and users by id, not by foreign key:
the trail outlives what it records, and deleting a plan or a user must never
delete or rewrite its history.

Each company's events form a hash chain (see ``chain``); ``ChainHead`` holds
the latest link of each chain and its row lock serialises appends. The
database refuses UPDATE and DELETE on events (triggers, see ``guard``); the
model refuses them too, so that a mistake fails in Python before it reaches
the database.
"""

from django.db import models

from .chain import GENESIS, LEGACY


class Action(models.TextChoices):
    CREATE = "create", "Created"
    EDIT = "edit", "Edited"
    SUBMIT = "submit", "Submitted"
    RESUBMIT = "resubmit", "Resubmitted"
    CLAIM = "claim", "Claimed"
    RELEASE = "release", "Released"
    APPROVE = "approve", "Approved"
    RAISE_CONCERNS = "raise_concerns", "Approved with concerns"
    REQUEST_CHANGES = "request_changes", "Requested changes"
    REJECT = "reject", "Rejected"
    SIGN_OFF = "sign_off", "Signed off"
    FORECAST = "forecast", "Gave a sales forecast"
    CLOSE = "close", "Closed unfinished"
    CANCEL = "cancel", "Cancelled"
    REMIND = "remind", "Reminded"
    ESCALATE = "escalate", "Escalated"
    ACKNOWLEDGE = "acknowledge", "Acknowledged"
    ADOPT = "adopt", "Adopted"
    ADAPT = "adapt", "Adapted"
    DECLINE = "decline", "Declined"
    FEEDBACK = "feedback", "Execution feedback"
    REPLY = "reply", "Replied to feedback"
    CONCLUDE = "conclude", "Closed after execution"
    ORG_CHANGE = "org_change", "Organisation changed"


class AppendOnlyError(RuntimeError):
    """Somebody tried to change or delete a recorded event."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they are never updated.")

    def delete(self):
        raise AppendOnlyError("Audit events are append-only; they are never deleted.")


class Event(models.Model):
    """One thing that happened, written in the same transaction as the change itself."""

    company_id = models.BigIntegerField(db_index=True)
    plan_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    task_id = models.BigIntegerField(null=True, blank=True)
    actor_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor_name = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    step = models.CharField(max_length=64, blank=True)
    from_status = models.CharField(max_length=32, blank=True)
    to_status = models.CharField(max_length=32, blank=True)
    comment = models.TextField(blank=True)
    revision = models.PositiveIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)
    seq = models.PositiveBigIntegerField(
        editable=False, help_text="Position in the company's chain."
    )
    prev_hash = models.CharField(max_length=64, editable=False)
    hash = models.CharField(max_length=64, editable=False, db_index=True)
    key_id = models.CharField(
        max_length=32,
        default=LEGACY,
        editable=False,
        help_text="The HMAC key the hash was made with; 'sha256' before keys existed.",
    )

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["company_id", "id"])]
        constraints = [
            # A second event at the same position would fork the chain.
            models.UniqueConstraint(fields=["company_id", "seq"], name="audit_event_seq_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} on plan {self.plan_id} by {self.actor_name or 'system'}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("Audit events are append-only; they are never updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit events are append-only; they are never deleted.")

    @property
    def action_label(self) -> str:
        return Action(self.action).label if self.action in Action.values else self.action


class ChainHead(models.Model):
    """The latest link of one company's chain.

    Appending an event locks this row (SELECT ... FOR UPDATE), so two actions
    of the same company cannot both attach to the same predecessor. It is also
    the anchor that shows events removed from the end of the chain; the
    database lets it move forward only.
    """

    company_id = models.BigIntegerField(primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS)
    key_id = models.CharField(max_length=32, blank=True)
    mac = models.CharField(max_length=64, blank=True, help_text="HMAC of company, seq and hash.")
    updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"company {self.company_id} at seq {self.seq}"
