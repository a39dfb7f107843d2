"""Every read of plans that an interface needs; ``plan_access`` is the one door."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Value
from django.db.models.functions import Concat

from apps.core import compiled
from apps.core.errors import NotFound
from apps.core.ids import object_id
from apps.org.policy import Outcome, has_company_perm, membership_of

from .kinds import KINDS
from .models import (
    FROZEN_FIELDS,
    Decision,
    ExecutingDepartment,
    Feedback,
    Plan,
    PlanRevision,
)


def plan_list_for(*, user: Any, perms: frozenset[str] | None = None) -> QuerySet[Plan]:
    """Plans the user may see: their own, and the company's submitted plans if their role shows
    those (DOMAIN.md "Visibility inside a company"). Nothing of another company, ever.

    ``perms`` is ``policy.company_perms(user, company)`` when the caller has it already."""
    membership = membership_of(user)
    if membership is None or user.is_superuser:
        return Plan.objects.none()
    sees_submitted = (
        "view_submitted_plans" in perms
        if perms is not None
        else has_company_perm(user, membership.company, "view_submitted_plans")
    )
    return _visible_to(membership.company_id, user.pk, sees_submitted)


def _visible_to(company_id: int, user_id: int, sees_submitted: bool) -> QuerySet[Plan]:
    """``plan_list_for`` of a member of ``company_id`` whose right to see submitted plans is
    known: the rule itself, in ids (``plan_access`` compiles it)."""
    visible = Q(author_id=user_id)
    if sees_submitted:
        visible |= Q(submitted_at__isnull=False)
    return (
        Plan.objects.filter(company_id=company_id)
        .filter(visible)
        .select_related("author", "company")
    )


def plan_filter(
    plans: QuerySet[Plan],
    *,
    status: str = "",
    kind: str = "",
    author: str = "",
    q: str = "",
) -> QuerySet[Plan]:
    """Narrow a list of plans the same way on every interface.

    ``author`` is a username; ``q`` matches words in the title or the author's
    name as the pages show it (the full name, or the username).
    """
    if status:
        plans = plans.filter(status=status)
    if kind:
        plans = plans.filter(kind=kind)
    if author:
        plans = plans.filter(author__username=author)
    query = (q or "").strip()
    if query:
        plans = plans.alias(
            author_name=Concat("author__first_name", Value(" "), "author__last_name")
        ).filter(
            Q(title__icontains=query)
            | Q(author__username__icontains=query)
            | Q(author_name__icontains=query)
        )
    return plans


def plan_access(*, user: Any, plan_id: Any, related: tuple[str, ...] = ()) -> Plan:
    """The plan if the user may see it; a missing plan and a hidden one raise the same error.

    The plans ``plan_list_for`` lists, asked by id: compiled once per shape
    (``apps.core.compiled``), since every action on a plan asks it first.
    ``related``: more relations to load with it (``select_related``)."""
    plan_id = object_id(plan_id)
    membership = membership_of(user)
    if membership is None or user.is_superuser:
        raise NotFound()
    sees_submitted = has_company_perm(user, membership.company, "view_submitted_plans")
    found = compiled.objects(
        ("plan_access", tuple(related), sees_submitted),
        lambda pk, company_id, user_id: _visible_plan(
            pk, company_id, user_id, sees_submitted, related
        ),
        plan_id,
        membership.company_id,
        user.pk,
    )
    if not found:
        raise NotFound()
    return found[0]


def _visible_plan(
    plan_id: int, company_id: int, user_id: int, sees_submitted: bool, related: tuple[str, ...]
) -> QuerySet[Plan]:
    visible = _visible_to(company_id, user_id, sees_submitted)
    return visible.filter(pk=plan_id).select_related(*related).order_by()[:1]


def revision_list(*, plan: Plan) -> QuerySet[PlanRevision]:
    return plan.revisions.select_related("created_by").order_by("number")


def revision_get(*, plan: Plan, number: Any) -> PlanRevision:
    number = object_id(number)
    revision = plan.revisions.filter(number=number).first()
    if revision is None:
        raise NotFound()
    return revision


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    old: str
    new: str


HEADER_LABELS = {
    "title": "Title",
    "kind": "Kind",
    "focus": "Focus",
    "core_task": "Core task",
    "directive": "Directive",
    "horizon": "Horizon",
}


def revision_diff(old: PlanRevision | None, new: PlanRevision | Plan) -> list[Change]:
    """Field-by-field changes from ``old`` to ``new`` (everything, if there is no ``old``)."""
    changes: list[Change] = []
    for name in FROZEN_FIELDS:
        before = getattr(old, name, "") if old else ""
        after = getattr(new, name)
        if before != after:
            changes.append(Change(name, HEADER_LABELS[name], str(before), str(after)))
    fields = KINDS[new.kind][1] if new.kind in KINDS else ()
    old_content = old.content if old else {}
    for field in fields:
        before = str(old_content.get(field.name, "") or "")
        after = str(new.content.get(field.name, "") or "")
        if before != after:
            changes.append(Change(f"content.{field.name}", field.label, before, after))
    return changes


def content_rows(source: Plan | PlanRevision) -> list[tuple[str, str]]:
    fields = KINDS[source.kind][1] if source.kind in KINDS else ()
    return [(field.label, source.content.get(field.name, "")) for field in fields]


def decision_list(*, plan: Plan) -> QuerySet[Decision]:
    return plan.decisions.select_related("actor", "revision").order_by("created_at", "id")


def decisions_on_revision(*, plan_id: int, number: int, step: str) -> QuerySet[Decision]:
    return Decision.objects.filter(plan_id=plan_id, revision__number=number, step=step)


def executing_list(*, plan: Plan) -> QuerySet[ExecutingDepartment]:
    return plan.executing_departments.select_related("taken_up_by", "department").order_by("id")


def execution_summary(*, plan: Plan) -> dict[str, Any]:
    """Take-up per executing department (the route's reviewing departments) and the close.

    Departments are listed from the route even before sign-off, with nothing taken up yet.
    """
    rows = {row.department_id: row for row in executing_list(plan=plan)}
    departments = []
    for department in (plan.route or {}).get("review_departments", []):
        row = rows.get(department["id"])
        departments.append(
            {
                "department": department["name"],
                "take_up": (row.take_up or None) if row else None,
                "take_up_label": Outcome.LABELS.get(row.take_up, "") if row else "",
                "comment": row.comment if row else "",
                "by": row.taken_up_by if row else None,
                "at": row.taken_up_at if row else None,
                "last_feedback_at": row.last_feedback_at if row else None,
                "feedback_due": row.feedback_due if row else None,
            }
        )
    return {
        "departments": departments,
        "closed_at": plan.closed_at,
        "summary": plan.summary,
        "actual_sales": plan.actual_sales,
    }


def _feedback() -> QuerySet[Feedback]:
    return Feedback.objects.select_related("plan", "author", "department").prefetch_related(
        "replies__author"
    )


def feedback_list_for(
    *, user: Any, kind: str = "", department: Any = None, plan: Any = None
) -> QuerySet[Feedback]:
    """The market feed: feedback on the plans the user may see, newest first, filtered."""
    feedback = _feedback().filter(plan__in=plan_list_for(user=user).values("pk"))
    if kind:
        feedback = feedback.filter(kind=kind)
    if department:
        feedback = feedback.filter(department_id=department)
    if plan:
        feedback = feedback.filter(plan_id=plan)
    return feedback.order_by("-created_at", "-id")


def plan_feedback(*, plan: Plan) -> QuerySet[Feedback]:
    return _feedback().filter(plan=plan).order_by("-created_at", "-id")


def feedback_access(*, user: Any, feedback_id: Any) -> Feedback:
    """Feedback on a plan the user may see; anything else is not found."""
    try:
        feedback_id = int(feedback_id)
    except (TypeError, ValueError):
        raise NotFound() from None
    feedback = feedback_list_for(user=user).filter(pk=feedback_id).first()
    if feedback is None:
        raise NotFound()
    return feedback
