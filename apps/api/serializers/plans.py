"""Plans, their revisions, diffs and decisions, as the API shows and accepts them."""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.org.policy import Lead, Outcome, Step, plan_lead
from apps.plans.kinds import KIND_CHOICES
from apps.plans.models import (
    CoreTask,
    Directive,
    FeedbackKind,
    Focus,
    Horizon,
    Plan,
    PlanRevision,
    Scope,
    Status,
)
from apps.plans.selectors import decision_list, execution_summary, revision_list
from apps.plans.strategy import (
    forecast_gap_pct,
    forecasts_of,
    long_term_tactic,
    sign_off_needs_comment,
)
from workflows.selectors import current_steps

MAX_ID = 2**63 - 1  # a database bigint; larger numbers are invalid input, not a crash


def id_field(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class StrictCharField(serializers.CharField):
    """Text that must arrive as a JSON string: ``12345`` is not a title."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def written_text(**kwargs):
    """Text a person must write: a JSON string with something besides white space.

    The pattern puts "not blank" into the schema, so a client reading it does not send
    "   " (which white-space trimming would leave empty).
    """
    return StrictCharField(
        max_length=5000, validators=[RegexValidator(r"\S", "Write something.")], **kwargs
    )


class QuerySerializer(serializers.Serializer):
    """Query filters: a parameter given without a value is refused, not ignored."""

    def to_internal_value(self, data):
        empty = {
            name: ["Give a value, or leave the parameter out."]
            for name in self.fields
            if hasattr(data, "get") and name in data and data.get(name) == ""
        }
        if empty:
            raise serializers.ValidationError(empty)
        return super().to_internal_value(data)


class UserRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    name = serializers.CharField(source="get_full_name")


def _lead(plan: Plan) -> Lead:
    """The route frozen at submission, or for a draft the lead it would get today."""
    return plan_lead(plan)


class PlanRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    status = serializers.ChoiceField(choices=Status.choices)
    author = UserRefSerializer()


class PlanSerializer(serializers.ModelSerializer):
    """A plan in a list: its header, status and who leads it."""

    author = UserRefSerializer()
    lead_department = serializers.SerializerMethodField()
    sales_review = serializers.SerializerMethodField()
    off_strategy = serializers.SerializerMethodField()
    follows = serializers.PrimaryKeyRelatedField(
        read_only=True, allow_null=True, help_text="The plan this one follows up, if any."
    )

    class Meta:
        model = Plan
        fields = [
            "id",
            "title",
            "kind",
            "focus",
            "core_task",
            "core_task_reason",
            "off_strategy",
            "directive",
            "horizon",
            "scope",
            "status",
            "author",
            "lead_department",
            "sales_review",
            "revision_count",
            "created_at",
            "updated_at",
            "submitted_at",
            "finished_at",
            "follows",
        ]
        read_only_fields = fields  # an answer always carries every field

    @extend_schema_field(serializers.ChoiceField(choices=["marketing", "sales"]))
    def get_lead_department(self, plan: Plan) -> str:
        return _lead(plan).department

    @extend_schema_field(serializers.ChoiceField(choices=["binding", "consultative"]))
    def get_sales_review(self, plan: Plan) -> str:
        return _lead(plan).sales_review

    @extend_schema_field(
        serializers.BooleanField(help_text="Names a core task other than the company's.")
    )
    def get_off_strategy(self, plan: Plan) -> bool:
        return _lead(plan).off_strategy


class CurrentStepSerializer(serializers.Serializer):
    task_id = serializers.IntegerField(source="task.pk")
    step = serializers.ChoiceField(choices=list(Step.LABELS))
    step_label = serializers.CharField(source="title")
    department = serializers.CharField(help_text="The reviewing department; empty otherwise.")
    assignee = UserRefSerializer(allow_null=True, help_text="Who claimed the task, if anyone.")
    candidates = serializers.CharField(help_text="Who may claim it while nobody has.")
    deadline = serializers.DateTimeField(source="due_at", allow_null=True)
    overdue = serializers.BooleanField()


class RevisionSummarySerializer(serializers.ModelSerializer):
    created_by = UserRefSerializer()

    class Meta:
        model = PlanRevision
        fields = ["number", "title", "content_sha256", "created_by", "created_at"]


class RevisionSerializer(serializers.ModelSerializer):
    created_by = UserRefSerializer()
    content = serializers.DictField(child=serializers.CharField(allow_blank=True))

    class Meta:
        model = PlanRevision
        fields = [
            "number",
            "title",
            "kind",
            "focus",
            "core_task",
            "directive",
            "horizon",
            "content",
            "content_sha256",
            "created_by",
            "created_at",
        ]


class DecisionSerializer(serializers.Serializer):
    step = serializers.ChoiceField(choices=list(Step.LABELS))
    department = serializers.CharField(source="department_name")
    actor = UserRefSerializer()
    outcome = serializers.ChoiceField(choices=list(Outcome.LABELS))
    comment = serializers.CharField()
    revision = serializers.IntegerField(source="revision.number")
    created_at = serializers.DateTimeField()


class DepartmentRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ExecutingDepartmentSerializer(serializers.Serializer):
    department = serializers.CharField()
    take_up = serializers.ChoiceField(choices=sorted(Outcome.TAKE_UP), allow_null=True)
    by = UserRefSerializer(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)
    last_feedback_at = serializers.DateTimeField(allow_null=True)
    feedback_due = serializers.DateField(allow_null=True)


class ExecutionSerializer(serializers.Serializer):
    departments = ExecutingDepartmentSerializer(many=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    summary = serializers.CharField(allow_blank=True)
    actual_sales = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)


class ForecastSerializer(serializers.Serializer):
    department = serializers.CharField(source="department_name")
    amount = serializers.DecimalField(max_digits=17, decimal_places=2)
    rationale = serializers.CharField()
    by = UserRefSerializer(source="author")
    at = serializers.DateTimeField(source="created_at")


class PlanDetailSerializer(PlanSerializer):
    """One plan: everything in the list, its content, who acts next, its revisions."""

    content = serializers.DictField(child=serializers.CharField(allow_blank=True))
    lead_reason = serializers.SerializerMethodField()
    regions = DepartmentRefSerializer(many=True)
    current_steps = serializers.SerializerMethodField()
    revisions = serializers.SerializerMethodField()
    decisions = serializers.SerializerMethodField()
    execution = serializers.SerializerMethodField()
    forecasts = serializers.SerializerMethodField()
    forecast_gap_pct = serializers.SerializerMethodField()
    long_term_tactic = serializers.SerializerMethodField()
    sign_off_needs_comment = serializers.SerializerMethodField()

    class Meta(PlanSerializer.Meta):
        fields = [
            *PlanSerializer.Meta.fields,
            "forecasts",
            "forecast_gap_pct",
            "long_term_tactic",
            "sign_off_needs_comment",
            "lead_reason",
            "content",
            "regions",
            "current_steps",
            "revisions",
            "decisions",
            "execution",
        ]
        read_only_fields = fields

    @extend_schema_field(ExecutionSerializer())
    def get_execution(self, plan: Plan) -> dict:
        return ExecutionSerializer(execution_summary(plan=plan)).data

    @extend_schema_field(ForecastSerializer(many=True))
    def get_forecasts(self, plan: Plan) -> list[dict]:
        return ForecastSerializer(forecasts_of(plan), many=True).data

    @extend_schema_field(
        serializers.DecimalField(
            max_digits=20,
            decimal_places=1,
            allow_null=True,
            help_text="(target - the sales forecasts' total) / that total x 100; "
            "null until every forecast is in.",
        )
    )
    def get_forecast_gap_pct(self, plan: Plan) -> str | None:
        gap = forecast_gap_pct(plan)
        return None if gap is None else str(gap)

    @extend_schema_field(
        serializers.BooleanField(help_text="A promotion (a tactic) planned as long-term strategy.")
    )
    def get_long_term_tactic(self, plan: Plan) -> bool:
        return long_term_tactic(plan)

    @extend_schema_field(
        serializers.ListField(
            child=serializers.CharField(),
            help_text="Why approving at sign-off needs a comment (empty: it does not).",
        )
    )
    def get_sign_off_needs_comment(self, plan: Plan) -> list[str]:
        return sign_off_needs_comment(plan)

    def get_lead_reason(self, plan: Plan) -> str:
        return _lead(plan).reason

    @extend_schema_field(CurrentStepSerializer(many=True))
    def get_current_steps(self, plan: Plan) -> list[dict]:
        return CurrentStepSerializer(current_steps(plan=plan), many=True).data

    @extend_schema_field(RevisionSummarySerializer(many=True))
    def get_revisions(self, plan: Plan) -> list[dict]:
        return RevisionSummarySerializer(revision_list(plan=plan), many=True).data

    @extend_schema_field(DecisionSerializer(many=True))
    def get_decisions(self, plan: Plan) -> list[dict]:
        return DecisionSerializer(decision_list(plan=plan), many=True).data


class PlanFilterSerializer(QuerySerializer):
    status = serializers.ChoiceField(choices=Status.choices, required=False)
    kind = serializers.ChoiceField(choices=KIND_CHOICES, required=False)
    author = serializers.CharField(required=False, max_length=150, help_text="A username.")
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Words in the title, or in the author's name as shown (full name or username).",
    )


class PlanWriteSerializer(serializers.Serializer):
    """The fields of a draft. The plan services check them against the plan's rules."""

    kind = serializers.ChoiceField(choices=KIND_CHOICES)
    title = StrictCharField(min_length=1, max_length=200)
    focus = serializers.ChoiceField(
        choices=Focus.choices, required=False, help_text="Default: the company's focus."
    )
    core_task = serializers.ChoiceField(
        choices=CoreTask.choices, required=False, help_text="Default: the company's core task."
    )
    core_task_reason = StrictCharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text="Required when the core task differs from the company's.",
    )
    directive = serializers.ChoiceField(
        choices=Directive.choices,
        required=False,
        help_text="Default: mandatory for a national promotion, guiding otherwise.",
    )
    horizon = serializers.ChoiceField(choices=Horizon.choices)
    scope = serializers.ChoiceField(
        choices=Scope.choices,
        required=False,
        allow_null=True,
        help_text="Promotional plans: national or regional.",
    )
    content = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        help_text="The kind's own fields; drafts may leave some empty.",
    )
    region_ids = serializers.ListField(
        child=id_field(),
        required=False,
        help_text="Large companies: the regional sales departments involved (all if none).",
    )
    follows = id_field(
        required=False,
        allow_null=True,
        help_text="A plan of yours in execution that this plan follows up (on drafting only).",
    )


class CommentSerializer(serializers.Serializer):
    comment = StrictCharField(required=False, allow_blank=True, default="", max_length=5000)


class DiffQuerySerializer(QuerySerializer):
    against = id_field(required=False, help_text="Compare with this revision (default: previous).")


class ChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    old = serializers.CharField(allow_blank=True)
    new = serializers.CharField(allow_blank=True)


class DiffSerializer(serializers.Serializer):
    revision = serializers.IntegerField()
    against = serializers.IntegerField(allow_null=True)
    changes = ChangeSerializer(many=True)


class ReplySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserRefSerializer()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()


class FeedbackSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    plan = PlanRefSerializer()
    department = DepartmentRefSerializer()
    author = UserRefSerializer()
    kind = serializers.ChoiceField(choices=FeedbackKind.choices)
    kind_label = serializers.CharField(source="get_kind_display")
    text = serializers.CharField()
    sales_to_date = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    created_at = serializers.DateTimeField()
    replies = ReplySerializer(many=True)


class FeedbackWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FeedbackKind.choices)
    text = written_text()
    sales_to_date = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )


class FeedbackFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=FeedbackKind.choices, required=False)
    department = id_field(required=False, help_text="A department id.")
    plan = id_field(required=False, help_text="A plan id.")


class ReplyWriteSerializer(serializers.Serializer):
    text = written_text()


class CloseSerializer(serializers.Serializer):
    summary = written_text()
    actual_sales = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        allow_null=True,
        help_text="Required for a sales target; optional for a promotion; refused otherwise.",
    )
