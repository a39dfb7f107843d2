"""Marketing plans, the revisions frozen at each submission, and the decisions on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.org.models import CoreTask, Focus
from apps.org.policy import Outcome, Step

from .kinds import KIND_CHOICES


class Directive(models.TextChoices):
    GUIDING = "guiding", "Guiding (sales may adapt it)"
    MANDATORY = "mandatory", "Mandatory (sales must carry it out)"


class Horizon(models.TextChoices):
    LONG_TERM = "long_term", "Long term (strategy)"
    SHORT_TERM = "short_term", "Short term (tactics)"


class Scope(models.TextChoices):
    NATIONAL = "national", "National"
    REGIONAL = "regional", "Regional"


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    AWAITING_SIGNOFF = "awaiting_signoff", "Awaiting sign-off"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    IN_EXECUTION = "in_execution", "In execution"
    CLOSED = "closed", "Closed"


EDITABLE_STATUSES = (Status.DRAFT, Status.CHANGES_REQUESTED)
# Past approval: an approved plan waits for sales to take it up, then is carried out.
FINAL_STATUSES = (
    Status.APPROVED,
    Status.REJECTED,
    Status.CANCELLED,
    Status.IN_EXECUTION,
    Status.CLOSED,
)

# Fields that a revision freezes, besides the kind-specific content.
FROZEN_FIELDS = ("title", "kind", "focus", "core_task", "directive", "horizon")


class Plan(models.Model):
    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="plans")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="authored_plans"
    )
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    title = models.CharField(max_length=200)
    focus = models.CharField(max_length=16, choices=Focus.choices)
    core_task = models.CharField(max_length=32, choices=CoreTask.choices)
    directive = models.CharField(max_length=16, choices=Directive.choices)
    horizon = models.CharField(max_length=16, choices=Horizon.choices)
    core_task_reason = models.TextField(
        blank=True, help_text="Why the plan names a core task other than the company's."
    )
    scope = models.CharField(
        max_length=16, choices=Scope.choices, null=True, blank=True, help_text="Promotions only."
    )
    content = models.JSONField(default=dict, blank=True)
    regions = models.ManyToManyField(
        "org.Department",
        blank=True,
        related_name="+",
        help_text="Large companies: the regional sales departments involved (all if none).",
    )
    status = models.CharField(
        max_length=24, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    route = models.JSONField(
        default=dict, blank=True, help_text="The routing frozen at the first submission."
    )
    revision_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    follows = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="follow_ups",
        help_text="The plan in execution this one follows up; closed when this is signed off.",
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    summary = models.TextField(blank=True)
    actual_sales = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["company", "status"]),
            # the plan list's order within a company (migration 0004: built concurrently)
            models.Index(fields=["company", "-updated_at", "-id"], name="plan_company_recent"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def was_submitted(self) -> bool:
        return self.submitted_at is not None


class PlanRevision(models.Model):
    """An immutable snapshot of a plan, frozen at a submission."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, choices=KIND_CHOICES)
    focus = models.CharField(max_length=16, choices=Focus.choices)
    core_task = models.CharField(max_length=32, choices=CoreTask.choices)
    directive = models.CharField(max_length=16, choices=Directive.choices)
    horizon = models.CharField(max_length=16, choices=Horizon.choices)
    content = models.JSONField(default=dict)
    content_sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="revision_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.plan} r{self.number}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise RuntimeError("A plan revision is immutable once frozen.")
        super().save(*args, **kwargs)


class Decision(models.Model):
    """A reviewer's or signer's outcome on one task: one decision per task, ever."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="decisions")
    revision = models.ForeignKey(PlanRevision, on_delete=models.PROTECT, related_name="decisions")
    task_id = models.BigIntegerField(unique=True)
    step = models.CharField(max_length=16, choices=list(Step.LABELS.items()))
    department = models.ForeignKey(
        "org.Department", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    department_name = models.CharField(max_length=120, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(max_length=24, choices=list(Outcome.LABELS.items()))
    comment = models.TextField(blank=True)
    reclassify = models.BooleanField(
        default=False, help_text="A request for changes that reopens the focus and core task."
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]
        # four eyes in the queue: the plans a person decided at a step (migration 0006)
        indexes = [models.Index(fields=["actor", "step", "plan"], name="decision_actor_step")]

    def __str__(self) -> str:
        return f"{self.outcome} by {self.actor} on {self.revision}"


class SalesForecast(models.Model):
    """A sales department's own forecast for a sales target, given in the flow before review."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="forecasts")
    department = models.ForeignKey(
        "org.Department", on_delete=models.SET_NULL, null=True, related_name="+"
    )
    department_name = models.CharField(max_length=120)
    amount = models.DecimalField(max_digits=17, decimal_places=2)
    rationale = models.TextField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    task_id = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["plan", "id"]
        constraints = [models.UniqueConstraint(fields=["plan", "department"], name="forecast_once")]

    def __str__(self) -> str:
        return f"{self.department_name} forecast for {self.plan}"


class ExecutingDepartment(models.Model):
    """One department that carries a signed-off plan out: its take-up and its feedback rhythm.

    ``reminded_for`` and ``escalated_for`` hold the due date a reminder or an escalation was
    sent for, so the rhythm scan tells nobody twice about the same period.
    """

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="executing_departments")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    department_name = models.CharField(max_length=120)
    take_up = models.CharField(max_length=16, blank=True)
    taken_up_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    taken_up_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    last_feedback_at = models.DateTimeField(null=True, blank=True)
    feedback_due = models.DateField(null=True, blank=True, db_index=True)
    reminded_for = models.DateField(null=True, blank=True)
    escalated_for = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "department"], name="executing_once")
        ]

    def __str__(self) -> str:
        return f"{self.department_name} on {self.plan}"


class FeedbackKind(models.TextChoices):
    CHANNEL_DEVELOPMENT = "channel_development", "Channel development"
    TERMINAL_COVERAGE = "terminal_coverage", "Store coverage"
    TERMINAL_SALES_DISPLAY = "terminal_sales_display", "Store sales and display"
    COMPETITORS = "competitors", "Competitors"
    PLAN_EXECUTION = "plan_execution", "How the plan is carried out"
    OPINIONS = "opinions", "What distributors and consumers say"


class Feedback(models.Model):
    """Market information that an executing sales department reports on a plan."""

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="feedback")
    company = models.ForeignKey("org.Company", on_delete=models.PROTECT, related_name="+")
    department = models.ForeignKey("org.Department", on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=32, choices=FeedbackKind.choices)
    text = models.TextField()
    sales_to_date = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["company", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.plan}"


class FeedbackReply(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.PROTECT, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Reply by {self.author} on {self.feedback}"
