"""The floor's tables: a document row and one history row per step, nothing else.

No migrations: the benchmark creates them with ``migrate --run-syncdb`` in its own database.
"""

from django.db import models


class FloorPlan(models.Model):
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=30)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.title


class FloorEvent(models.Model):
    plan = models.ForeignKey(FloorPlan, on_delete=models.CASCADE)
    action = models.CharField(max_length=30)
    actor_id = models.BigIntegerField()
    from_status = models.CharField(max_length=30)
    to_status = models.CharField(max_length=30)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.action} of plan {self.plan_id}"
