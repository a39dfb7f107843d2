from django.db import migrations, models

from apps.core.indexes import AddIndexSafely, RemoveIndexSafely


class Migration(migrations.Migration):
    # CREATE (and DROP) INDEX CONCURRENTLY on PostgreSQL: the engine keeps writing meanwhile.
    # The open rows' indexes first, then the old ones go: the lists always have one.
    atomic = False

    dependencies = [
        ("workflows", "0006_deadline_closed_at"),
    ]

    operations = [
        AddIndexSafely(
            model_name="taskdeadline",
            index=models.Index(
                condition=models.Q(closed_at__isnull=True),
                fields=["company_id", "due_at", "task"],
                name="deadline_open_company_due",
            ),
        ),
        AddIndexSafely(
            model_name="taskdeadline",
            index=models.Index(
                condition=models.Q(owner_permission__isnull=True, closed_at__isnull=True),
                fields=["company_id", "author_id", "due_at", "task"],
                name="deadline_open_author_own",
            ),
        ),
        RemoveIndexSafely(model_name="taskdeadline", name="deadline_company_due"),
        RemoveIndexSafely(model_name="taskdeadline", name="deadline_author_own"),
    ]
