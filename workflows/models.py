"""The approval process of one plan, its tasks as seen through the company's policy,
and each human task's deadline."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Q
from viewflow.workflow.managers import TaskQuerySet
from viewflow.workflow.models import Process, Task

from apps.org.policy import Step, membership_of

from . import rules


class PlanProcess(Process):
    """One approval run per plan; the plan keeps it for its whole life."""

    plan = models.OneToOneField("plans.Plan", on_delete=models.PROTECT, related_name="process")

    class Meta:
        verbose_name = "plan approval process"

    @property
    def brief(self) -> str:
        return f"{self.plan.title} ({self.plan.get_kind_display()})"


class ApprovalTaskQuerySet(TaskQuerySet):
    """viewflow's task queries, scoped to the user's company and the approval rules."""

    def for_company_of(self, user: Any) -> ApprovalTaskQuerySet:
        membership = membership_of(user)
        if membership is None or user.is_superuser:
            return self.none()
        return self.filter(process__planprocess__plan__company_id=membership.company_id)

    def may_act(self, user: Any) -> ApprovalTaskQuerySet:
        """Human tasks of the user's company that the user may act on (``rules.may_act_q``)."""
        return self.for_company_of(user).filter(rules.may_act_q(user.pk))

    def user_queue(self, user: Any, flow_class: Any = None) -> ApprovalTaskQuerySet:
        """Tasks the user may claim: unclaimed, or claimed by someone who may no longer act.

        viewflow's own queue reads guardian's generic permission table; Greenlight
        grants on direct foreign-key tables, so the queue is computed from the rules.
        """
        queryset = self.may_act(user)
        if flow_class is not None:
            queryset = queryset.filter(process__flow_class=flow_class)
        return queryset.filter(Q(owner__isnull=True) | rules.claim_is_stale_q())

    def user_archive(self, user: Any, flow_class: Any = None) -> ApprovalTaskQuerySet:
        return super().user_archive(user, flow_class).for_company_of(user)

    def filter_available(self, flow_classes, user):
        """What viewflow's process dashboard lists: the user's company only."""
        return super().filter_available(flow_classes, user).for_company_of(user)

    def inbox(self, flow_classes, user):
        return (
            super().inbox(flow_classes, user).for_company_of(user).filter(rules.may_act_q(user.pk))
        )

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
    def step_label(self) -> str:
        return Step.LABELS.get(self.step, self.step)

    @property
    def is_open(self) -> bool:
        return rules.is_open(self)

    @property
    def is_overdue(self) -> bool:
        return rules.is_overdue(self)


class TaskDeadline(models.Model):
    """When a human task is due; reminders and escalations hang off this row.

    The row also carries the facts about its task that never change once the task is
    open (``hooks.task_opened`` writes them with the deadline, migration 0004 filled the
    older rows): the plan, its company and author, the step, and the permission the task
    asks for and on what. The queue and the inbox walk these rows in due order and decide
    who may act from them (``rules.may_act_listed_q``) without reaching the plan through
    the process. What does change (the task's status and owner) stays on the task, but
    for ``closed_at``: when the task closed (done or cancelled), set in the transaction
    that closes it (``moves.task_saved``; migration 0006 filled the older rows), so that
    the lists' indexes hold the open tasks' rows only and a company's history never
    lengthens their walk.
    """

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="deadline")
    company_id = models.BigIntegerField(db_index=True)
    due_at = models.DateTimeField(db_index=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    plan_id = models.BigIntegerField(null=True, blank=True)
    author_id = models.BigIntegerField(null=True, blank=True)
    step = models.CharField(max_length=32, blank=True, default="")
    # viewflow's task.owner_permission and its object's id (a department or the company)
    owner_permission = models.CharField(max_length=255, null=True, blank=True)
    permission_obj_id = models.BigIntegerField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_at"]
        # the queue and the inbox walk a company's open tasks in due order (migration 0007;
        # 0002 indexed every row, closed or not)
        indexes = [
            models.Index(
                fields=["company_id", "due_at", "task"],
                condition=models.Q(closed_at__isnull=True),
                name="deadline_open_company_due",
            ),
            # the author's own steps (no permission: a revision) in due order, for those who
            # review and sign nothing (a planner, an auditor), whose queue would otherwise
            # walk every open deadline of the company to find none (0005, 0007)
            models.Index(
                fields=["company_id", "author_id", "due_at", "task"],
                condition=models.Q(owner_permission__isnull=True, closed_at__isnull=True),
                name="deadline_open_author_own",
            ),
        ]

    def __str__(self) -> str:
        return f"task {self.task_id} due {self.due_at:%Y-%m-%d %H:%M}"

    @staticmethod
    def facts_of(task: Any, plan: Any) -> dict[str, Any]:
        """The fixed facts a deadline carries about its open task (see the class)."""
        return deadline_facts(
            flow_task=task.flow_task,
            owner_permission=task.owner_permission,
            owner_permission_obj_pk=task.owner_permission_obj_pk,
            plan_id=plan.pk,
            author_id=plan.author_id,
            company_id=plan.company_id,
        )


def deadline_facts(
    *,
    flow_task: Any,
    owner_permission: str | None,
    owner_permission_obj_pk: str | None,
    plan_id: int,
    author_id: int,
    company_id: int,
) -> dict[str, Any]:
    """``TaskDeadline``'s facts from the task's and the plan's columns (also migration 0004)."""
    return {
        "company_id": company_id,
        "plan_id": plan_id,
        "author_id": author_id,
        "step": getattr(flow_task, "step", ""),
        "owner_permission": owner_permission or None,
        "permission_obj_id": int(owner_permission_obj_pk) if owner_permission_obj_pk else None,
    }


class OutboxEvent(models.Model):
    """A notification an action owes, written in the action's own transaction.

    The relay (``workflows.outbox``) turns it into in-app notifications and
    e-mails after the commit; a rolled-back action leaves no row, and a row
    whose trigger never reached the broker waits here for the beat sweep.
    Relayed rows stay for ``OUTBOX_RETENTION`` as a record, then the sweep prunes them.
    """

    kind = models.CharField(max_length=32)
    args = models.JSONField(default=dict, help_text="Ids and keys the relay needs.")
    created_at = models.DateTimeField()
    relayed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["id"], condition=Q(relayed_at__isnull=True), name="outbox_unrelayed"
            ),
            models.Index(fields=["relayed_at"], name="outbox_relayed_at"),
        ]

    def __str__(self) -> str:
        state = "relayed" if self.relayed_at else "waiting"
        return f"{self.kind} {self.args} ({state})"
