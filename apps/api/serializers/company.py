"""The company's strategy as the API shows and accepts it."""

from __future__ import annotations

from rest_framework import serializers

from apps.org.models import CoreTask, Focus
from apps.org.strategy import MAX_TOLERANCE

from .plans import UserRefSerializer


class StrategySerializer(serializers.Serializer):
    focus = serializers.ChoiceField(choices=Focus.choices, allow_null=True)
    core_task = serializers.ChoiceField(choices=CoreTask.choices, allow_null=True)
    forecast_tolerance_pct = serializers.IntegerField()
    changed_by = UserRefSerializer(source="strategy_changed_by", allow_null=True)
    changed_at = serializers.DateTimeField(source="strategy_changed_at", allow_null=True)

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # not set yet reads as null, not as an empty string that is not a choice
        return {key: (None if value == "" else value) for key, value in data.items()}


class StrategyWriteSerializer(serializers.Serializer):
    focus = serializers.ChoiceField(choices=Focus.choices, required=False)
    core_task = serializers.ChoiceField(choices=CoreTask.choices, required=False)
    forecast_tolerance_pct = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_TOLERANCE,
        help_text="How far (%) a sales target may exceed sales' forecasts without a comment.",
    )
