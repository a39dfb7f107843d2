"""Signing in, the signed-in user, and the audit trail."""

from __future__ import annotations

from rest_framework import serializers

from apps.audit.models import Action, Event
from apps.org.models import Role, Size

from .plans import DepartmentRefSerializer, QuerySerializer, StrictCharField, id_field


class TokenRequestSerializer(serializers.Serializer):
    username = StrictCharField(min_length=1, max_length=150)
    password = StrictCharField(min_length=1, max_length=4096, trim_whitespace=False)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()


class CompanySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    size = serializers.ChoiceField(choices=Size.choices)


class UserSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    first_name = serializers.CharField(allow_blank=True)
    last_name = serializers.CharField(allow_blank=True)
    email = serializers.EmailField(allow_blank=True)


class MeSerializer(serializers.Serializer):
    user = UserSerializer()
    company = CompanySerializer(allow_null=True)
    department = DepartmentRefSerializer(allow_null=True)
    title = serializers.CharField(allow_blank=True)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices))


class EventSerializer(serializers.ModelSerializer):
    action_label = serializers.CharField()

    class Meta:
        model = Event
        fields = [
            "id",
            "created_at",
            "plan_id",
            "task_id",
            "actor_id",
            "actor_name",
            "action",
            "action_label",
            "step",
            "from_status",
            "to_status",
            "revision",
            "comment",
            "data",
            "seq",
            "prev_hash",
            "hash",
        ]


class EventFilterSerializer(QuerySerializer):
    """The filters of the audit pages (``apps.plans.history.event_filter``)."""

    plan = id_field(required=False, source="plan_id")
    actor = id_field(required=False, source="actor_id", help_text="A user id (`actor_id`).")
    action = serializers.ChoiceField(choices=Action.choices, required=False)
    step = serializers.CharField(required=False, max_length=64)
    since = serializers.DateField(required=False, help_text="From this day on (site time).")
    until = serializers.DateField(required=False, help_text="Up to and including this day.")


class ExportFilterSerializer(EventFilterSerializer):
    format = serializers.ChoiceField(choices=["csv", "jsonl"], default="csv")
