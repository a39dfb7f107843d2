from django.db import migrations, models

from apps.core.indexes import AddIndexSafely


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY on PostgreSQL: decisions go on being recorded while it builds
    atomic = False

    dependencies = [
        ("plans", "0005_plan_company_recent_index"),
    ]

    operations = [
        AddIndexSafely(
            model_name="decision",
            index=models.Index(fields=["actor", "step", "plan"], name="decision_actor_step"),
        ),
    ]
