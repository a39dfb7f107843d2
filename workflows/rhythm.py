"""The feedback rhythm of plans in execution: who owes market feedback, and who hears of it.

Each executing department owes feedback every N working days (the company's
``feedback_days``). When its due day passes without any, the department's
reviewers are reminded; one period later the plan's author and the signers are
told. Like the deadline scan, the periodic scan only proposes work: each service
decides again under the process lock and claims its side effect with a
conditional UPDATE on the row (``reminded_for`` / ``escalated_for`` hold the due
day they were sent for), so a duplicated scan or a redelivered task tells nobody
twice about the same period.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import Action
from apps.audit.services import event_record
from apps.core import timeutils
from apps.notifications.selectors import emails_pending
from apps.notifications.services import notifications_create
from apps.org.policy import reviewers_of, signers_of
from apps.plans.models import ExecutingDepartment, Status

from .lock import lock_process

RHYTHM_REMINDER = "feedback_reminder"
RHYTHM_OVERDUE = "feedback_overdue"


def _today(moment: datetime) -> date:
    return timezone.localdate(moment)


def escalation_day(row: ExecutingDepartment) -> date:
    """One more period after the due day: then the author and the signers hear of it."""
    start = timezone.make_aware(datetime.combine(row.feedback_due, time(12)))
    return timeutils.add_working_days(start, row.plan.company.feedback_days).date()


def _owing(moment: datetime):
    return ExecutingDepartment.objects.filter(
        plan__status=Status.IN_EXECUTION, feedback_due__lt=_today(moment)
    ).select_related("plan__company")


def remind_due(row: ExecutingDepartment, moment: datetime) -> bool:
    return (
        row.plan.status == Status.IN_EXECUTION
        and row.feedback_due is not None
        and row.feedback_due < _today(moment)
        and row.reminded_for != row.feedback_due
    )


def escalate_due(row: ExecutingDepartment, moment: datetime) -> bool:
    return (
        row.plan.status == Status.IN_EXECUTION
        and row.feedback_due is not None
        and escalation_day(row) < _today(moment)
        and row.escalated_for != row.feedback_due
    )


def rhythm_due(*, moment: datetime) -> tuple[list[int], list[int]]:
    """Executing departments to remind and to escalate now, as two lists of ids."""
    owing = _owing(moment)
    not_reminded = Q(reminded_for__isnull=True) | ~Q(reminded_for=F("feedback_due"))
    not_escalated = Q(escalated_for__isnull=True) | ~Q(escalated_for=F("feedback_due"))
    remind = list(owing.filter(not_reminded).order_by("id").values_list("pk", flat=True))
    escalate = [
        row.pk for row in owing.filter(not_escalated).order_by("id") if escalate_due(row, moment)
    ]
    return remind, escalate


def _row(row_id: int) -> ExecutingDepartment | None:
    return (
        ExecutingDepartment.objects.select_related("plan__company", "plan__author", "department")
        .filter(pk=row_id)
        .first()
    )


def _event(row: ExecutingDepartment, action: str, **data: Any) -> None:
    plan = row.plan
    event_record(
        company_id=plan.company_id,
        plan_id=plan.pk,
        action=action,
        actor=None,
        step="feedback",
        from_status=plan.status,
        to_status=plan.status,
        revision=plan.revision_count or None,
        data={"department": row.department_name, "due": row.feedback_due.isoformat(), **data},
    )


def _once_per_period(
    row_id: int,
    *,
    name: str,
    is_due: Callable[[ExecutingDepartment, datetime], bool],
    field: str,
    tell: Callable[[ExecutingDepartment, str], list[int]],
) -> list[int]:
    """Under the plan's lock, claim this period's reminder or escalation for the row (the
    ``field`` holds the period it was sent for) and ``tell(row, key)`` once; a repeat, or a
    period not yet due, only returns the e-mails of ``key`` still to send."""
    row = _row(row_id)
    if row is None or not hasattr(row.plan, "process"):
        return []
    with lock_process(row.plan.process.pk):
        row = _row(row_id)
        key = f"rhythm-{name}:{row.pk}:{row.feedback_due}"
        if not is_due(row, timeutils.now()):
            return emails_pending(key=key)
        claimed = (
            ExecutingDepartment.objects.filter(pk=row.pk, feedback_due=row.feedback_due)
            .exclude(**{field: row.feedback_due})
            .update(**{field: row.feedback_due})
        )
        if not claimed:
            return emails_pending(key=key)
        return tell(row, key)


@transaction.atomic
def rhythm_remind(*, row_id: int) -> list[int]:
    """Remind the department's reviewers once per period; return emails still to send."""

    def tell(row: ExecutingDepartment, key: str) -> list[int]:
        users = list(reviewers_of(row.department).exclude(pk=row.plan.author_id))
        _event(row, Action.REMIND, reminded=[u.username for u in users])
        return notifications_create(
            key=key,
            users=users,
            kind=RHYTHM_REMINDER,
            message=(
                f"Market feedback on “{row.plan.title}” from {row.department_name} "
                f"was due {row.feedback_due:%a %d %b %Y}."
            ),
            url=reverse("plan-detail", kwargs={"plan_id": row.plan_id}) + "#feedback",
        )

    return _once_per_period(
        row_id, name="remind", is_due=remind_due, field="reminded_for", tell=tell
    )


@transaction.atomic
def rhythm_escalate(*, row_id: int) -> list[int]:
    """Tell the author and the signers, once per period, that a department has gone quiet."""

    def tell(row: ExecutingDepartment, key: str) -> list[int]:
        plan = row.plan
        users = list(signers_of(plan.company).exclude(pk=plan.author_id)) + [plan.author]
        _event(row, Action.ESCALATE, escalated_to=[u.username for u in users])
        return notifications_create(
            key=key,
            users=users,
            kind=RHYTHM_OVERDUE,
            message=(
                f"{row.department_name} has filed no market feedback on “{plan.title}” "
                f"since it was due {row.feedback_due:%a %d %b %Y}."
            ),
            url=reverse("plan-detail", kwargs={"plan_id": plan.pk}) + "#feedback",
        )

    return _once_per_period(
        row_id, name="escalate", is_due=escalate_due, field="escalated_for", tell=tell
    )
