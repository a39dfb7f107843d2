"""A deadline row says when its task closed (``TaskDeadline.closed_at``), so that the
lists' indexes can hold the open tasks' rows only (migration 0007).

Non-atomic: the rows of closed tasks are filled in batches, each its own transaction,
so that a large table is never locked or rewritten in one go; a batch only touches rows
still unfilled, so an interrupted run picks up where it stopped. A task that closed
without a finish time (none should) counts as closed now.
"""

from django.db import migrations, models, transaction
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce, Now

BATCH = 2000
OPEN_STATUSES = ("NEW", "ASSIGNED", "STARTED")  # as workflows.rules has them today


def fill(apps, schema_editor):
    deadlines = apps.get_model("workflows", "TaskDeadline").objects
    tasks = apps.get_model("viewflow", "Task").objects
    finished = Subquery(tasks.filter(pk=OuterRef("task_id")).values("finished")[:1])
    last = 0
    while True:
        ids = list(
            deadlines.filter(pk__gt=last, closed_at__isnull=True)
            .exclude(task__status__in=OPEN_STATUSES)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            return
        with transaction.atomic():
            deadlines.filter(pk__in=ids).update(closed_at=Coalesce(finished, Now()))
        last = ids[-1]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("viewflow", "0015_task_scheduled"),
        ("workflows", "0005_deadline_author_own"),
    ]

    operations = [
        migrations.AddField(
            model_name="taskdeadline",
            name="closed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
