"""The approval policy: for a company and a plan, who drafts, reviews and signs off.

This module is the single place that knows how company size shapes routing,
which department leads a plan, whether the sales review binds, and how long
each step may take. Everything else asks it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, QuerySet, Value

from apps.core import compiled
from apps.core.errors import ValidationError

from .models import (
    Company,
    CompanyGroupObjectPermission,
    CompanyUserObjectPermission,
    Department,
    DepartmentGroupObjectPermission,
    DepartmentKind,
    DepartmentUserObjectPermission,
    Membership,
    Position,
    Size,
)


class Step:
    FORECAST = "forecast"
    REVIEW = "review"
    SIGN_OFF = "sign_off"
    REVISE = "revise"
    TAKE_UP = "take_up"
    LABELS = {
        FORECAST: "Sales forecast",
        REVIEW: "Sales review",
        SIGN_OFF: "Sign-off",
        REVISE: "Revision",
        TAKE_UP: "Take-up by sales",
    }


class Outcome:
    APPROVE = "approve"
    RAISE_CONCERNS = "raise_concerns"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"
    ACKNOWLEDGE = "acknowledge"
    ADOPT = "adopt"
    ADAPT = "adapt"
    DECLINE = "decline"
    FORECAST = "forecast"
    LABELS = {
        APPROVE: "Approve",
        RAISE_CONCERNS: "Approve with concerns",
        REQUEST_CHANGES: "Request changes",
        REJECT: "Reject",
        ACKNOWLEDGE: "Acknowledge",
        ADOPT: "Adopt",
        ADAPT: "Adapt",
        DECLINE: "Decline",
        FORECAST: "Give the forecast",
    }
    NEEDS_COMMENT = frozenset({RAISE_CONCERNS, REQUEST_CHANGES, REJECT, ADAPT, DECLINE, FORECAST})
    TAKE_UP = frozenset({ACKNOWLEDGE, ADOPT, ADAPT, DECLINE})


BINDING = "binding"
CONSULTATIVE = "consultative"
MARKETING = "marketing"
SALES = "sales"

LEAD_BY_CORE_TASK = {
    "new_product_launch": MARKETING,
    "brand_building": MARKETING,
    "market_share": SALES,
}
LEAN_BY_FOCUS = {"channels": SALES, "promotion": MARKETING}


SALES_TARGET = "sales_target"


@dataclass(frozen=True)
class Lead:
    department: str
    sales_review: str
    reason: str
    focus_conflict: bool
    off_strategy: bool = False


def is_off_strategy(*, core_task: str, company_core_task: str = "") -> bool:
    """A plan naming a core task other than the company's current one (once it has one)."""
    return bool(company_core_task) and core_task != company_core_task


def lead_for(
    *,
    core_task: str,
    focus: str,
    company_core_task: str = "",
    core_task_reason: str = "",
    kind: str = "",
    strict: bool = True,
) -> Lead:
    """Who leads ("who is heavier") and whether the sales review binds.

    The core task decides the lead, the focus explains it. Two things make the sales
    review binding whoever leads: a plan that names another core task than the
    company's (off-strategy, which must say why), so that marketing cannot make sales'
    voice consultative by choosing a label; and a sales target, which one department
    must not set alone (DOMAIN.md "Sales targets are set jointly"). ``strict`` refuses an
    off-strategy plan without its reason (a submission); pages showing a draft are not strict.
    """
    if core_task not in LEAD_BY_CORE_TASK:
        raise ValidationError("Unknown core task.", fields={"core_task": ["Unknown core task."]})
    if focus not in LEAN_BY_FOCUS:
        raise ValidationError("Unknown focus.", fields={"focus": ["Unknown focus."]})
    off_strategy = is_off_strategy(core_task=core_task, company_core_task=company_core_task)
    if strict and off_strategy and not (core_task_reason or "").strip():
        message = (
            f"The company's current core task is {company_core_task.replace('_', ' ')}: "
            "say why this plan names another."
        )
        raise ValidationError(message, fields={"core_task_reason": [message]})
    lead = LEAD_BY_CORE_TASK[core_task]
    lean = LEAN_BY_FOCUS[focus]
    task_label = core_task.replace("_", " ")
    if lead == lean:
        reason = (
            f"{lead.title()} leads: the core task ({task_label}) and the focus ({focus}) agree."
        )
    else:
        reason = (
            f"{lead.title()} leads: the core task ({task_label}) is the company's current task "
            f"and outweighs the focus on {focus}, which leans to {lean}."
        )
    binding = lead == SALES
    if off_strategy:
        binding = True
        reason += (
            " Off-strategy: the company's current core task is "
            f"{company_core_task.replace('_', ' ')}, so the sales review binds."
        )
    if kind == SALES_TARGET:
        binding = True
        reason += " A sales target is set jointly: the sales review binds."
    return Lead(
        department=lead,
        sales_review=BINDING if binding else CONSULTATIVE,
        reason=reason,
        focus_conflict=lead != lean,
        off_strategy=off_strategy,
    )


def plan_lead(plan: Any, *, strict: bool = False) -> Lead:
    """The lead of a plan: frozen in its route once submitted (unless ``strict``, which asks
    for the lead its header and its company's strategy give today, as a reclassified plan's
    next round does); for a draft, the lead it would get today."""
    if plan.route and not strict:
        return Route.from_dict(plan.route).as_lead()
    return lead_for(
        core_task=plan.core_task,
        focus=plan.focus,
        company_core_task=plan.company.core_task,
        core_task_reason=plan.core_task_reason,
        kind=plan.kind,
        strict=strict,
    )


@dataclass(frozen=True)
class Route:
    """The routing a plan starts with; frozen on the plan at its first submission."""

    size: str
    lead: str
    sales_review: str
    lead_reason: str
    focus_conflict: bool
    review_departments: list[dict[str, Any]] = field(default_factory=list)
    deadlines: dict[str, int] = field(default_factory=dict)
    off_strategy: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Route:
        return cls(**data)

    @property
    def review_department_ids(self) -> list[int]:
        return [dept["id"] for dept in self.review_departments]

    @property
    def is_binding(self) -> bool:
        return self.sales_review == BINDING

    def with_lead(self, lead: Lead) -> Route:
        """The same route with the lead computed again (a reclassified plan's next round)."""
        data = self.as_dict() | {
            "lead": lead.department,
            "sales_review": lead.sales_review,
            "lead_reason": lead.reason,
            "focus_conflict": lead.focus_conflict,
            "off_strategy": lead.off_strategy,
        }
        return Route.from_dict(data)

    def as_lead(self) -> Lead:
        return Lead(
            self.lead, self.sales_review, self.lead_reason, self.focus_conflict, self.off_strategy
        )


# The organisation each size prescribes (DOMAIN.md "Organisation by company size"): its
# departments, the positions whose holders sign plans off, and who administers by default.
SIZE_DEPARTMENTS: dict[str, list[tuple[str, str, str]]] = {
    Size.SMALL: [("Marketing & Sales", DepartmentKind.COMBINED, "")],
    Size.MEDIUM: [
        ("Marketing", DepartmentKind.MARKETING, ""),
        ("Sales", DepartmentKind.SALES, ""),
        ("Management", DepartmentKind.MANAGEMENT, ""),
    ],
    Size.LARGE: [
        ("Marketing Centre", DepartmentKind.MARKETING, "Headquarters"),
        ("Eastern Sales", DepartmentKind.SALES, "East"),
        ("Western Sales", DepartmentKind.SALES, "West"),
    ],
}
SIZE_DEPARTMENT_KINDS: dict[str, set[str]] = {
    Size.SMALL: {DepartmentKind.COMBINED},
    Size.MEDIUM: {DepartmentKind.MARKETING, DepartmentKind.SALES},
    Size.LARGE: {DepartmentKind.MARKETING, DepartmentKind.SALES},
}
SIGNING_POSITIONS: dict[str, tuple[str, ...]] = {
    Size.SMALL: (Position.COMBINED_HEAD,),
    Size.MEDIUM: (Position.GENERAL_MANAGER, Position.SALES_DIRECTOR),
    Size.LARGE: (Position.MARKETING_DIRECTOR,),
}
ADMIN_POSITION = {
    Size.SMALL: Position.COMBINED_HEAD,
    Size.MEDIUM: Position.GENERAL_MANAGER,
    Size.LARGE: Position.MARKETING_DIRECTOR,
}
# where each position sits: the department it heads or belongs to
POSITION_DEPARTMENT = {
    Position.COMBINED_HEAD: "Marketing & Sales",
    Position.GENERAL_MANAGER: "Management",
    Position.SALES_DIRECTOR: "Sales",
    Position.MARKETING_DIRECTOR: "Marketing Centre",
}


def signs_by_position(position: str, size: str) -> bool:
    """Signing follows positions: the holder of a position the size prescribes signs off."""
    return bool(position) and position in SIGNING_POSITIONS.get(size, ())


def vacancies(company: Company, size: str) -> list[str]:
    """What ``company`` lacks to be of ``size``: departments of the kinds it needs, and
    positions it prescribes that no active member holds."""
    missing = []
    kinds = set(company.departments.values_list("kind", flat=True))
    for kind in sorted(SIZE_DEPARTMENT_KINDS[size] - kinds):
        missing.append(f"a {DepartmentKind(kind).label.lower()} department")
    held = set(
        Membership.objects.filter(company=company, user__is_active=True)
        .exclude(position="")
        .values_list("position", flat=True)
    )
    for position in SIGNING_POSITIONS[size]:
        if position not in held:
            missing.append(f"a {Position(position).label.lower()} (vacant)")
    return missing


def company_department(company: Company, department_id: Any) -> Department:
    """One of the company's departments (``DoesNotExist`` if it is not one of them);
    one that ``reviewing_departments`` just read for this company object is not read again."""
    seen = getattr(company, "_departments_read", {})
    if department_id in seen:
        return seen[department_id]
    return company.departments.get(pk=department_id)


def reviewing_departments(
    company: Company, sales_department_ids: list[int] | None = None
) -> list[Department]:
    """Which departments review a plan, by company size (DOMAIN.md "Organisation")."""
    chosen = _reviewing_departments(company, sales_department_ids)
    company._departments_read = {department.pk: department for department in chosen}
    return chosen


def _reviewing_departments(
    company: Company, sales_department_ids: list[int] | None
) -> list[Department]:
    departments = company.departments.order_by("id")
    if company.size == Size.SMALL:
        return list(departments.filter(kind=DepartmentKind.COMBINED)[:1])
    sales = departments.filter(kind=DepartmentKind.SALES)
    if company.size == Size.MEDIUM:
        return list(sales[:1])
    if sales_department_ids:
        chosen = list(sales.filter(id__in=sales_department_ids))
        if len(chosen) != len(set(sales_department_ids)):
            raise ValidationError(
                "Choose regions among the company's sales departments.",
                fields={"regions": ["Unknown sales department."]},
            )
        return chosen
    return list(sales)


def route_for(
    *,
    company: Company,
    core_task: str,
    focus: str,
    author_id: int,
    sales_department_ids: list[int] | None = None,
    core_task_reason: str = "",
    kind: str = "",
) -> Route:
    """Compute the route for a plan now; refuse a route on which nobody could act."""
    lead = lead_for(
        core_task=core_task,
        focus=focus,
        company_core_task=company.core_task,
        core_task_reason=core_task_reason,
        kind=kind,
    )
    departments = reviewing_departments(company, sales_department_ids)
    if not departments:
        raise ValidationError(
            f"{company.name} has no department that reviews plans: "
            "a company administrator must set one up first."
        )
    # one statement (compiled once) asks where someone besides the author reviews or signs
    staffed = compiled.values("route_staffed", _staffed, author_id, company.pk)
    for department in departments:
        if ("review", department.pk) not in staffed:
            raise ValidationError(
                f"Nobody in {department.name} other than the author can review this plan."
            )
    if not any(kind == "sign" for kind, _ in staffed):
        raise ValidationError(f"Nobody in {company.name} other than the author can sign off.")
    return Route(
        size=company.size,
        lead=lead.department,
        sales_review=lead.sales_review,
        lead_reason=lead.reason,
        focus_conflict=lead.focus_conflict,
        review_departments=[{"id": d.pk, "name": d.name} for d in departments],
        deadlines=deadlines_of(company),
        off_strategy=lead.off_strategy,
    )


def _staffed(author_id: int, company_id: int) -> QuerySet:
    """("review", department) for each department of the company where someone other than
    the author may review (``reviewers_of``), and ("sign", company) if someone may sign off
    (``signers_of``)."""

    def held(kind: str, model: Any, codename: str, **where: Any) -> QuerySet:
        return (
            model.objects.filter(
                permission__codename=codename,
                user__is_active=True,
                user__is_superuser=False,
                user__membership__company_id=company_id,
                **where,
            )
            .exclude(user_id=author_id)
            .values_list(Value(kind), "content_object_id")
            .distinct()
        )

    reviews = held(
        "review",
        DepartmentUserObjectPermission,
        "review_plans",
        content_object__company_id=company_id,
    )
    signs = held(
        "sign", CompanyUserObjectPermission, "sign_off_plans", content_object_id=company_id
    )
    return reviews.union(signs, all=True)


def deadlines_of(company: Company) -> dict[str, int]:
    return {
        Step.FORECAST: company.review_days,
        Step.REVIEW: company.review_days,
        Step.SIGN_OFF: company.signoff_days,
        Step.REVISE: company.revision_days,
        Step.TAKE_UP: company.takeup_days,
    }


MANDATORY = "mandatory"


def outcomes_for(*, step: str, sales_review: str, directive: str = "") -> list[str]:
    """The outcomes a step offers.

    A consultative review may only approve or raise concerns. Sales must carry out a
    mandatory plan, so its take-up only acknowledges it; a guiding plan may be
    adopted, adapted or declined (DOMAIN.md "After sign-off").
    """
    if step == Step.FORECAST:
        return [Outcome.FORECAST]
    if step == Step.TAKE_UP:
        if directive == MANDATORY:
            return [Outcome.ACKNOWLEDGE]
        return [Outcome.ADOPT, Outcome.ADAPT, Outcome.DECLINE]
    if step == Step.REVIEW and sales_review == CONSULTATIVE:
        return [Outcome.APPROVE, Outcome.RAISE_CONCERNS]
    if step in (Step.REVIEW, Step.SIGN_OFF):
        return [Outcome.APPROVE, Outcome.REQUEST_CHANGES, Outcome.REJECT]
    return []


def membership_of(user: Any) -> Membership | None:
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    try:
        return user.membership
    except Membership.DoesNotExist:
        return None


def _acting_member(user: Any, company_id: int) -> bool:
    """Superusers never act in approvals; only active members of the company do."""
    membership = membership_of(user)
    return bool(membership and not user.is_superuser and membership.company_id == company_id)


def held_q(
    direct: Any, via_group: Any, codename: str, user_id: Any, obj_id: Any, content_type_id: Any
) -> Any:
    """The condition "the user holds ``codename`` on the object" (directly or through a
    group), as two EXISTS: for an active member (``_acting_member``), what guardian says."""
    permission = {
        "content_object_id": obj_id,
        "permission__codename": codename,
        "permission__content_type_id": content_type_id,
    }
    return Exists(direct.objects.filter(user_id=user_id, **permission)) | Exists(
        via_group.objects.filter(group__user=user_id, **permission)
    )


def company_perm_q(codename: str, user_id: Any, company_id: Any, content_type_id: Any) -> Any:
    """``held_q`` for a company permission (``has_company_perm`` asks it of one company)."""
    return held_q(
        CompanyUserObjectPermission,
        CompanyGroupObjectPermission,
        codename,
        user_id,
        company_id,
        content_type_id,
    )


def _holds(user: Any, obj: Any, codename: str, direct: Any, via_group: Any) -> bool:
    """guardian's ``ObjectPermissionChecker(user).has_perm(codename, obj)`` in one query.

    The same answer (an inactive user holds nothing; a permission held directly or
    through a group counts; the permission must be of ``obj``'s model), asked as two
    EXISTS in one statement instead of guardian's two queries (user, then groups).
    """
    if not user.is_active:
        return False
    model = type(obj)

    def build(user_id: int, obj_id: int, content_type_id: int) -> QuerySet:
        held = held_q(direct, via_group, codename, user_id, obj_id, content_type_id)
        return model._default_manager.filter(pk=obj_id).filter(held).values_list("pk")[:1]

    # compiled once per permission: the ORM's building would cost more than the query
    return (
        compiled.first_row(
            ("holds", direct._meta.label, codename),
            build,
            user.pk,
            obj.pk,
            ContentType.objects.get_for_model(model).pk,
        )
        is not None
    )


def has_company_perm(user: Any, company: Company, codename: str) -> bool:
    if not _acting_member(user, company.pk):
        return False
    return _holds(
        user, company, codename, CompanyUserObjectPermission, CompanyGroupObjectPermission
    )


def company_perms(user: Any, company: Company) -> frozenset[str]:
    """The codenames ``has_company_perm`` answers yes to, for all of them in one query: for a
    page that asks several (the home page). tests/org/test_company_perms.py compares them."""
    if not _acting_member(user, company.pk) or not user.is_active:
        return frozenset()

    def build(user_id: int, company_id: int, content_type_id: int) -> QuerySet:
        held = {"content_object_id": company_id, "permission_id": OuterRef("pk")}
        direct = CompanyUserObjectPermission.objects.filter(user_id=user_id, **held)
        via_group = CompanyGroupObjectPermission.objects.filter(group__user=user_id, **held)
        return (
            Permission.objects.filter(content_type_id=content_type_id)
            .filter(Exists(direct) | Exists(via_group))
            .values_list("codename")
        )

    rows = compiled.values(
        "company_perms", build, user.pk, company.pk, ContentType.objects.get_for_model(Company).pk
    )
    return frozenset(codename for (codename,) in rows)


def may_review(user: Any, *, department: Department, author_id: int) -> bool:
    if not _acting_member(user, department.company_id) or user.pk == author_id:
        return False
    return _holds(
        user,
        department,
        "review_plans",
        DepartmentUserObjectPermission,
        DepartmentGroupObjectPermission,
    )


def may_sign_off(user: Any, *, company: Company, author_id: int) -> bool:
    if user is not None and getattr(user, "pk", None) == author_id:
        return False
    return has_company_perm(user, company, "sign_off_plans")


def is_head(user: Any, company: Company) -> bool:
    """A head: a company administrator or someone who signs off."""
    return has_company_perm(user, company, "administer_company") or has_company_perm(
        user, company, "sign_off_plans"
    )


def _users_with(model, *, codename: str, obj_id: int) -> QuerySet:
    user_ids = model.objects.filter(permission__codename=codename, content_object_id=obj_id)
    return get_user_model().objects.filter(
        is_active=True, is_superuser=False, pk__in=user_ids.values("user_id")
    )


def executing_departments(route: Route) -> list[dict[str, Any]]:
    """Who carries a signed-off plan out: the departments that reviewed it."""
    return route.review_departments


def reviewers_of(department: Department) -> QuerySet:
    return _users_with(
        DepartmentUserObjectPermission, codename="review_plans", obj_id=department.pk
    ).filter(membership__company_id=department.company_id)


def signers_of(company: Company) -> QuerySet:
    return _users_with(
        CompanyUserObjectPermission, codename="sign_off_plans", obj_id=company.pk
    ).filter(membership__company_id=company.pk)


def planners_of(company: Company) -> QuerySet:
    return _users_with(
        CompanyUserObjectPermission, codename="draft_plans", obj_id=company.pk
    ).filter(membership__company_id=company.pk)
