from django.db import migrations, models

from apps.core.indexes import AddIndexSafely


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY on PostgreSQL: the engine keeps writing while it builds
    atomic = False

    dependencies = [
        ("workflows", "0004_deadline_task_facts"),
    ]

    operations = [
        AddIndexSafely(
            model_name="taskdeadline",
            index=models.Index(
                fields=["company_id", "author_id", "due_at", "task"],
                condition=models.Q(owner_permission__isnull=True),
                name="deadline_author_own",
            ),
        ),
    ]
