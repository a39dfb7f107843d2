"""Every write to the organisation: companies, departments, members, roles, deadlines."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from guardian.shortcuts import assign_perm
from viewflow.workflow.models import Task
from viewflow.workflow.status import STATUS

from apps.audit.models import Action
from apps.audit.services import event_record
from apps.core.errors import Conflict, Forbidden, ValidationError

from . import roles as role_map
from .models import (
    Company,
    CompanyUserObjectPermission,
    Department,
    DepartmentKind,
    DepartmentUserObjectPermission,
    Membership,
    Position,
    Role,
    RoleGrant,
    Size,
)
from .policy import has_company_perm, signs_by_position, vacancies

User = get_user_model()


def _require_admin(actor: Any, company: Company) -> None:
    """``actor=None`` is the system itself (seeding, migrations); people need the right."""
    if actor is not None and not has_company_perm(actor, company, "administer_company"):
        raise Forbidden("Only a company administrator can change the organisation.")


def _org_event(*, actor: Any, company: Company, what: str, data: dict) -> None:
    event_record(
        company_id=company.pk, action=Action.ORG_CHANGE, actor=actor, data={"what": what, **data}
    )


@transaction.atomic
def company_create(*, name: str, slug: str, size: str, actor: Any = None) -> Company:
    if size not in Size.values:
        raise ValidationError("Unknown company size.", fields={"size": ["Unknown size."]})
    company = Company.objects.create(name=name, slug=slug, size=size)
    _org_event(actor=actor, company=company, what="company_created", data={"size": size})
    return company


@transaction.atomic
def company_update(
    *,
    actor: Any,
    company: Company,
    size: str | None = None,
    review_days: int | None = None,
    signoff_days: int | None = None,
    revision_days: int | None = None,
    takeup_days: int | None = None,
    feedback_days: int | None = None,
) -> Company:
    """Change size or deadlines. Plans in flight keep the route they started with."""
    _require_admin(actor, company)
    company = Company.objects.select_for_update().get(pk=company.pk)
    changes: dict[str, list] = {}
    errors: dict[str, list[str]] = {}
    if size is not None and size not in Size.values:
        errors["size"] = ["Unknown size."]
    for name, value in (
        ("review_days", review_days),
        ("signoff_days", signoff_days),
        ("revision_days", revision_days),
        ("takeup_days", takeup_days),
        ("feedback_days", feedback_days),
    ):
        if value is not None and not (1 <= int(value) <= 60):
            errors[name] = ["Between 1 and 60 working days."]
    if errors:
        raise ValidationError("Please correct the highlighted fields.", fields=errors)
    if size is not None and size != company.size:
        missing = vacancies(company, size)
        if missing:
            message = (
                f"To become {Size(size).label.lower()}, {company.name} needs "
                f"{', '.join(missing)}: set them up first."
            )
            raise ValidationError(message, fields={"size": missing})
    for name, value in (
        ("size", size),
        ("review_days", review_days),
        ("signoff_days", signoff_days),
        ("revision_days", revision_days),
        ("takeup_days", takeup_days),
        ("feedback_days", feedback_days),
    ):
        if value is not None and getattr(company, name) != value:
            changes[name] = [getattr(company, name), value]
            setattr(company, name, value)
    if changes:
        company.save()
        _org_event(actor=actor, company=company, what="company_updated", data=changes)
    if "size" in changes:  # the positions of the new size sign, those of the old one no longer
        for membership in company.memberships.select_related("user", "company"):
            membership_sync_permissions(membership=membership)
    return company


@transaction.atomic
def department_create(
    *,
    actor: Any,
    company: Company,
    name: str,
    kind: str,
    region: str = "",
) -> Department:
    _require_admin(actor, company)
    name = (name or "").strip()
    if not name:
        raise ValidationError("A department needs a name.", fields={"name": ["Required."]})
    if kind not in DepartmentKind.values:
        raise ValidationError("Unknown department kind.", fields={"kind": ["Unknown kind."]})
    if company.departments.filter(name=name).exists():
        raise ValidationError(
            "A department of that name exists.", fields={"name": ["Already exists."]}
        )
    department = Department.objects.create(company=company, name=name, kind=kind, region=region)
    _org_event(
        actor=actor,
        company=company,
        what="department_created",
        data={"department": name, "kind": kind, "region": region},
    )
    return department


@transaction.atomic
def department_delete(*, actor: Any, department: Department) -> None:
    """Delete a department; its object permissions go with it (foreign-key tables).

    Not while a review waits for it: viewflow records the task's right to act as
    ``org.review_plans`` on this department's id, as text. The review could not be
    finished by anyone, and a department that got the same id later would inherit it.
    """
    company = department.company
    _require_admin(actor, company)
    waiting = Task.objects.filter(
        owner_permission="org.review_plans",
        owner_permission_obj_pk=str(department.pk),
        status__in=(STATUS.NEW, STATUS.ASSIGNED, STATUS.STARTED),
    )
    if waiting.exists():
        raise Conflict(
            f"Reviews are waiting for {department.name}: finish them, or cancel their plans, "
            "before deleting it."
        )
    name = department.name
    department.delete()
    _org_event(actor=actor, company=company, what="department_deleted", data={"department": name})


@transaction.atomic
def member_save(
    *,
    actor: Any,
    company: Company,
    user: Any,
    department: Department | None,
    roles: set[str],
    title: str = "",
    position: str | None = None,
) -> Membership:
    """Add a user to the company, or change their department, roles and position; then
    re-grant. ``position=None`` keeps the member's position; ``""`` clears it."""
    _require_admin(actor, company)
    if position and position not in Position.values:
        raise ValidationError("Unknown position.", fields={"position": ["Unknown position."]})
    if position and user.is_superuser:
        raise ValidationError(
            "Superusers are kept out of approval roles.",
            fields={"position": ["A superuser holds no position."]},
        )
    if position:
        holder = (
            Membership.objects.filter(company=company, position=position, user__is_active=True)
            .exclude(user=user)
            .first()
        )
        if holder is not None:
            raise ValidationError(
                f"{holder.user.username} holds that position; move them first.",
                fields={"position": ["Held by someone else."]},
            )
    unknown = set(roles) - set(Role.values)
    if unknown:
        raise ValidationError("Unknown role.", fields={"roles": [f"Unknown: {sorted(unknown)}"]})
    if user.is_superuser and roles - {Role.AUDITOR}:
        raise ValidationError(
            "Superusers are kept out of approval roles.",
            fields={"roles": ["A superuser cannot hold an approval role."]},
        )
    if department is not None and department.company_id != company.pk:
        raise ValidationError("Unknown department.", fields={"department": ["Unknown."]})
    if Role.REVIEWER in roles and department is None:
        raise ValidationError(
            "A reviewer reviews for a department.",
            fields={"department": ["Choose the department this member reviews for."]},
        )
    membership = Membership.objects.filter(user=user).first()
    if membership is not None and membership.company_id != company.pk:
        raise ValidationError(
            "That user belongs to another company.", fields={"username": ["Not available."]}
        )
    before = sorted(membership.role_names) if membership else []
    position_before = membership.position if membership else ""
    if position is None:
        position = position_before
    unchanged = (
        membership is not None
        and membership.department_id == getattr(department, "pk", None)
        and membership.title == title
        and before == sorted(roles)
        and position_before == position
    )
    if membership is None:
        membership = Membership.objects.create(
            user=user, company=company, department=department, title=title, position=position
        )
    else:
        membership.department = department
        membership.title = title
        membership.position = position
        membership.save()
    membership.roles.exclude(role__in=roles).delete()
    for role in roles:
        RoleGrant.objects.get_or_create(membership=membership, role=role)
    membership_sync_permissions(membership=membership)
    if unchanged:
        return membership
    _org_event(
        actor=actor,
        company=company,
        what="member_saved",
        data={
            "user": user.username,
            "department": department.name if department else "",
            "roles": [before, sorted(roles)],
            **({"position": [position_before, position]} if position_before != position else {}),
        },
    )
    return membership


@transaction.atomic
def member_remove(*, actor: Any, membership: Membership) -> None:
    company = membership.company
    _require_admin(actor, company)
    user = membership.user
    if actor is not None and actor.pk == user.pk:
        raise ValidationError("You cannot remove yourself from the company.")
    membership.roles.all().delete()
    membership.position = ""  # a position signs too: it leaves with the member
    membership.save(update_fields=["position"])
    membership_sync_permissions(membership=membership)
    membership.delete()
    user.is_active = False
    user.save(update_fields=["is_active"])
    _org_event(actor=actor, company=company, what="member_removed", data={"user": user.username})


def membership_sync_permissions(*, membership: Membership) -> None:
    """The one place that grants and revokes role permissions, on objects only."""
    user = membership.user
    company = membership.company
    role_names = membership.role_names
    wanted_company = role_map.company_permissions_for(role_names)
    if signs_by_position(membership.position, company.size):
        wanted_company |= {"sign_off_plans", "view_submitted_plans"}
    wanted_department = role_map.department_permissions_for(role_names)

    held = CompanyUserObjectPermission.objects.filter(user=user).select_related("permission")
    for row in held:
        if row.content_object_id != company.pk or row.permission.codename not in wanted_company:
            row.delete()
    for codename in wanted_company:
        assign_perm(f"org.{codename}", user, company)

    department = membership.department
    held_dept = DepartmentUserObjectPermission.objects.filter(user=user).select_related(
        "permission"
    )
    for row in held_dept:
        keep = department is not None and row.content_object_id == department.pk
        if not keep or row.permission.codename not in wanted_department:
            row.delete()
    if department is not None:
        for codename in wanted_department:
            assign_perm(f"org.{codename}", user, department)

    group = members_group()
    if role_names or wanted_company:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    # guardian caches nothing on the user; Django's ModelBackend does
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def members_group() -> Group:
    group, _ = Group.objects.get_or_create(name=role_map.MEMBERS_GROUP)
    for app_label, codename in role_map.MEMBER_MODEL_PERMISSIONS:
        permission = Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).first()
        if permission is not None:
            group.permissions.add(permission)
    return group


__all__ = [
    "company_create",
    "company_update",
    "department_create",
    "department_delete",
    "member_create",
    "member_save",
    "member_remove",
    "membership_sync_permissions",
]


@transaction.atomic
def member_create(
    *,
    actor: Any,
    company: Company,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str,
    department: Department | None,
    roles: set[str],
    title: str = "",
    position: str = "",
) -> Membership:
    """Create a person's account and add them to the company in one step."""
    _require_admin(actor, company)
    username = (username or "").strip()
    errors: dict[str, list[str]] = {}
    if not username:
        errors["username"] = ["Required."]
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = ["That username is taken."]
    try:
        validate_password(password, User(username=username, email=email))
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError("Please correct the highlighted fields.", fields=errors)
    user = User.objects.create_user(
        username=username,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
    )
    return member_save(
        actor=actor,
        company=company,
        user=user,
        department=department,
        roles=roles,
        title=title,
        position=position,
    )
