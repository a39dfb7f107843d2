"""The append-only history of everything that happens to a company's plans.

Events refer to companies, plans, tasks and users by id, not by foreign key:
the trail outlives what it records, and deleting a plan or a user must never
delete or rewrite its history.
"""

from django.db import models


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
    CLOSE = "close", "Closed unfinished"
    CANCEL = "cancel", "Cancelled"
    REMIND = "remind", "Reminded"
    ESCALATE = "escalate", "Escalated"
    ACKNOWLEDGE = "acknowledge", "Acknowledged"
    FEEDBACK = "feedback", "Execution feedback"
    ORG_CHANGE = "org_change", "Organisation changed"


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

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["company_id", "id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} on plan {self.plan_id} by {self.actor_name or 'system'}"

    @property
    def action_label(self) -> str:
        return Action(self.action).label if self.action in Action.values else self.action
