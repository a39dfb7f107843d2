"""Reads of the organisation for the interfaces."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from apps.core.errors import NotFound

from .models import Company, Department, Membership, RoleGrant
from .policy import has_company_perm, membership_of


def company_for(user: Any) -> Company:
    """The user's company, or not found (superusers and strangers have none)."""
    membership = membership_of(user)
    if membership is None or user.is_superuser:
        raise NotFound()
    return membership.company


def company_admin_access(*, user: Any) -> Company:
    company = company_for(user)
    if not has_company_perm(user, company, "administer_company"):
        raise NotFound()
    return company


def member_list(*, company: Company) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(company=company)
        .select_related("user", "department")
        .prefetch_related(Prefetch("roles", queryset=RoleGrant.objects.order_by("role")))
        .order_by("user__username")
    )


def member_access(*, company: Company, membership_id: int) -> Membership:
    membership = member_list(company=company).filter(pk=membership_id).first()
    if membership is None:
        raise NotFound()
    return membership


def department_list(*, company: Company) -> QuerySet[Department]:
    return Department.objects.filter(company=company).order_by("kind", "name")


def department_access(*, company: Company, department_id: int) -> Department:
    department = department_list(company=company).filter(pk=department_id).first()
    if department is None:
        raise NotFound()
    return department
