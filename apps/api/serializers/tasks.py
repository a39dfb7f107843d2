"""Approval tasks as the API shows them, and the decision a reviewer or signer sends."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.org.policy import Outcome, Step
from workflows import rules

from .plans import (
    PlanDetailSerializer,
    PlanRefSerializer,
    QuerySerializer,
    StrictCharField,
    UserRefSerializer,
)

TASK_STATUSES = ["new", "assigned", "started", "done", "canceled", "error"]


class TaskSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    step = serializers.ChoiceField(choices=list(Step.LABELS))
    step_label = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField()
    plan = PlanRefSerializer(source="process.planprocess.plan")
    department = serializers.SerializerMethodField()
    assignee = UserRefSerializer(source="owner", allow_null=True)
    deadline = serializers.DateTimeField(source="deadline.due_at", allow_null=True)
    overdue = serializers.SerializerMethodField()
    outcome = serializers.SerializerMethodField()
    outcomes = serializers.SerializerMethodField()
    created = serializers.DateTimeField()
    finished = serializers.DateTimeField(allow_null=True)

    def get_step_label(self, task) -> str:
        return Step.LABELS.get(task.step, task.step)

    @extend_schema_field(
        serializers.CharField(help_text=f"The task's state: one of {', '.join(TASK_STATUSES)}.")
    )
    def get_status(self, task) -> str:
        return str(task.status).lower()

    def get_department(self, task) -> str:
        return task.data.get("department_name", "")

    def get_overdue(self, task) -> bool:
        return rules.is_overdue(task)

    @extend_schema_field(serializers.ChoiceField(choices=list(Outcome.LABELS), allow_null=True))
    def get_outcome(self, task) -> str | None:
        return task.data.get("outcome")

    @extend_schema_field(
        serializers.ListField(
            child=serializers.CharField(),
            help_text="The outcomes that decide accepts on this task now (none once finished).",
        )
    )
    def get_outcomes(self, task) -> list[str]:
        """What ``decide`` accepts on this task while it is open."""
        return rules.task_outcomes(task)


class TaskFilterSerializer(QuerySerializer):
    scope = serializers.ChoiceField(
        choices=["inbox", "queue", "done"],
        default="inbox",
        help_text="inbox: assigned to me; queue: I may claim; done: I finished.",
    )


class DecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=list(Outcome.LABELS))
    comment = StrictCharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Required to raise concerns, request changes, reject, adapt or decline, "
        "and as the rationale of a forecast.",
    )
    amount = serializers.CharField(
        required=False,
        allow_null=True,
        max_length=40,
        help_text="A forecast's amount (a sales department's own forecast); only then.",
    )
    reclassify = serializers.BooleanField(
        required=False,
        default=False,
        help_text="With request_changes: reopen the plan's focus and core task for the author.",
    )


class DecisionResultSerializer(serializers.Serializer):
    task = TaskSerializer()
    plan = PlanDetailSerializer()
