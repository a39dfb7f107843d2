from django.db import migrations, models
from django.db.models import Q

from apps.core.indexes import AddIndexSafely, AddIndexToLibraryTable, CreateStatistics

# rules.OPEN_STATUSES and human tasks only: the rows the queue and the inbox read
OPEN_HUMAN = Q(status__in=["NEW", "ASSIGNED", "STARTED"], flow_task_type="HUMAN")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY on PostgreSQL: the engine keeps writing while they build
    atomic = False

    dependencies = [
        ("viewflow", "0015_task_scheduled"),
        ("workflows", "0001_initial"),
    ]

    operations = [
        AddIndexSafely(
            model_name="taskdeadline",
            index=models.Index(
                fields=["company_id", "due_at", "task"], name="deadline_company_due"
            ),
        ),
        AddIndexToLibraryTable(
            app_label="viewflow",
            model_name="task",
            index=models.Index(
                fields=["owner_permission", "owner_permission_obj_pk"],
                condition=OPEN_HUMAN,
                name="task_open_by_permission",
            ),
        ),
        AddIndexToLibraryTable(
            app_label="viewflow",
            model_name="task",
            index=models.Index(fields=["owner"], condition=OPEN_HUMAN, name="task_open_by_owner"),
        ),
        # status, type and permission go together: without these the planner underestimates
        # the queue's rows and sorts them all instead of walking the deadlines in order
        CreateStatistics(
            name="task_open_stats",
            table="viewflow_task",
            columns=["status", "flow_task_type", "owner_permission", "owner_permission_obj_pk"],
        ),
    ]
