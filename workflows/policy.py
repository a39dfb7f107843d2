"""Who may act on an approval task: the org policy applied to one task."""

from __future__ import annotations

from typing import Any

from apps.org.models import Company, Department
from apps.org.policy import Step, may_review, may_sign_off


def task_may_act(user: Any, task: Any) -> bool:
    """Role, company and segregation of duties; says nothing of the task's state."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    plan = task.process.planprocess.plan
    step = getattr(task.flow_task, "step", None)
    if step == Step.REVIEW:
        department = Department.objects.filter(
            pk=task.data.get("department_id"), company_id=plan.company_id
        ).first()
        return department is not None and may_review(
            user, department=department, author_id=plan.author_id
        )
    if step == Step.SIGN_OFF:
        company = Company.objects.get(pk=plan.company_id)
        return may_sign_off(user, company=company, author_id=plan.author_id)
    if step == Step.REVISE:
        return user.pk == plan.author_id and not user.is_superuser
    return False
