"""The approval process of one plan, its tasks as seen through the company's policy,
and each human task's deadline."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from django.utils import timezone
from viewflow.workflow.managers import TaskQuerySet
from viewflow.workflow.models import Process, Task
from viewflow.workflow.status import STATUS

from apps.org.models import Department
from apps.org.policy import has_company_perm, membership_of

OPEN_STATUSES = (STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED)


class PlanProcess(Process):
    """One approval run per plan; the plan keeps it for its whole life."""

    plan = models.OneToOneField("plans.Plan", on_delete=models.PROTECT, related_name="process")

    class Meta:
        verbose_name = "plan approval process"

    @property
    def brief(self) -> str:
        return f"{self.plan.title} ({self.plan.get_kind_display()})"


class ApprovalTaskQuerySet(TaskQuerySet):
    """viewflow's task queries, scoped to the user's company and the approval policy.

    viewflow's own queue reads guardian's generic permission table; Greenlight
    grants on direct foreign-key tables, so the queue is computed here instead,
    and the author of a plan never sees its tasks in their queue.
    """

    def for_company_of(self, user: Any) -> ApprovalTaskQuerySet:
        membership = membership_of(user)
        if membership is None or user.is_superuser:
            return self.none()
        return self.filter(process__planprocess__plan__company_id=membership.company_id)

    def user_queue(self, user: Any, flow_class: Any = None) -> ApprovalTaskQuerySet:
        queryset = self.filter(flow_task_type="HUMAN").for_company_of(user)
        if flow_class is not None:
            queryset = queryset.filter(process__flow_class=flow_class)
        membership = membership_of(user)
        if membership is None:
            return queryset.none()
        departments = Department.objects.filter(
            company_id=membership.company_id,
            departmentuserobjectpermission__user=user,
            departmentuserobjectpermission__permission__codename="review_plans",
        ).values_list("pk", flat=True)
        allowed = Q(
            owner_permission="org.review_plans",
            owner_permission_obj_pk__in=[str(pk) for pk in departments],
        )
        if has_company_perm(user, membership.company, "sign_off_plans"):
            allowed |= Q(
                owner_permission="org.sign_off_plans",
                owner_permission_obj_pk=str(membership.company_id),
            )
        return (
            queryset.filter(allowed | Q(owner=user))
            .exclude(process__planprocess__plan__author=user)
            # a removed member's claim returns to the queue
            .filter(Q(owner__isnull=True) | Q(owner__is_active=False))
        )

    def user_archive(self, user: Any, flow_class: Any = None) -> ApprovalTaskQuerySet:
        return super().user_archive(user, flow_class).for_company_of(user)

    def filter_available(self, flow_classes, user):
        """What viewflow's process dashboard lists: the user's company only."""
        return super().filter_available(flow_classes, user).for_company_of(user)

    def inbox(self, flow_classes, user):
        return super().inbox(flow_classes, user).for_company_of(user)

    def queue(self, flow_classes, user):
        return super().queue(flow_classes, user).for_company_of(user)

    def archive(self, flow_classes, user):
        return super().archive(flow_classes, user).for_company_of(user)


class ApprovalTask(Task):
    class Meta:
        proxy = True

    objects = ApprovalTaskQuerySet.as_manager()

    @property
    def step(self) -> str:
        return getattr(self.flow_task, "step", "")

    @property
    def is_overdue(self) -> bool:
        """Open and past its deadline."""
        deadline = getattr(self, "deadline", None)
        return bool(self.finished is None and deadline and deadline.due_at < timezone.now())


class TaskDeadline(models.Model):
    """When a human task is due; reminders and escalations hang off this row."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="deadline")
    company_id = models.BigIntegerField(db_index=True)
    due_at = models.DateTimeField(db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"task {self.task_id} due {self.due_at:%Y-%m-%d %H:%M}"
