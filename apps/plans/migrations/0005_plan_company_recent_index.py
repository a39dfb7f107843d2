from django.db import migrations, models

from apps.core.indexes import AddIndexSafely


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY on PostgreSQL: writes to plans go on while it builds
    atomic = False

    dependencies = [
        ("org", "0002_execution"),
        ("plans", "0004_strategy_forecasts_scope"),
    ]

    operations = [
        AddIndexSafely(
            model_name="plan",
            index=models.Index(
                fields=["company", "-updated_at", "-id"], name="plan_company_recent"
            ),
        ),
    ]
