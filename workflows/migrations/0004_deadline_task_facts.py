"""The deadline row carries its task's fixed facts (plan, author, step, permission and its
object), so that the queue and the inbox judge each task from its deadline.

Non-atomic: the older rows are filled in batches, each its own transaction, so that a
large table is never locked or rewritten in one go; a batch only touches rows still
unfilled, so an interrupted run picks up where it stopped.
"""

from django.db import migrations, models, transaction

from workflows.models import deadline_facts

BATCH = 2000
FIELDS = ["plan_id", "author_id", "step", "owner_permission", "permission_obj_id"]


def fill(apps, schema_editor):
    deadlines = apps.get_model("workflows", "TaskDeadline").objects
    plan = "task__process__planprocess__plan"
    columns = (
        "pk",
        "task__flow_task",
        "task__owner_permission",
        "task__owner_permission_obj_pk",
        f"{plan}_id",
        f"{plan}__author_id",
        f"{plan}__company_id",
    )
    last = 0
    while True:
        rows = list(
            deadlines.filter(pk__gt=last, plan_id__isnull=True).order_by("pk").values_list(
                *columns
            )[:BATCH]
        )
        if not rows:
            return
        filled = []
        for pk, flow_task, permission, obj_pk, plan_id, author_id, company_id in rows:
            facts = deadline_facts(
                flow_task=flow_task,
                owner_permission=permission,
                owner_permission_obj_pk=obj_pk,
                plan_id=plan_id,
                author_id=author_id,
                company_id=company_id,
            )
            filled.append(deadlines.model(pk=pk, **facts))
        with transaction.atomic():
            deadlines.bulk_update(filled, FIELDS)
        last = rows[-1][0]


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("workflows", "0003_outbox"),
    ]

    operations = [
        migrations.AddField(
            model_name="taskdeadline",
            name="plan_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="taskdeadline",
            name="author_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="taskdeadline",
            name="step",
            field=models.CharField(blank=True, default="", max_length=32),
        ),
        migrations.AddField(
            model_name="taskdeadline",
            name="owner_permission",
            field=models.CharField(blank=True, max_length=255, null=True),
        ),
        migrations.AddField(
            model_name="taskdeadline",
            name="permission_obj_id",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
