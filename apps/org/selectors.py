"""Reads of the organisation for the interfaces."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from apps.core import compiled
from apps.core.errors import NotFound

from .models import Company, Department, Membership, RoleGrant
from .policy import has_company_perm, membership_of


def company_for(user: Any) -> Company:
    """The user's company, or not found (superusers and strangers have none)."""
    membership = membership_of(user)
    if membership is None or user.is_superuser:
        raise NotFound()
    return membership.company


def company_for_page(user: Any) -> Company:
    """``company_for``, with the membership read for a whole page at once: its company and
    department in one query and its roles in a second, kept on the user, so that the page
    and its context (``apps.web.context_processors``) do not load each in turn. Both
    statements are compiled once (``apps.core.compiled``): every page asks them."""
    if user.is_authenticated and user.is_active and user.pk:
        found = compiled.objects("page_membership", _membership_of_user, user.pk)
        if found:
            membership = found[0]
            roles = membership.roles.all()
            # as prefetch_related("roles") leaves it: the grants read, the queryset done
            roles._result_cache = compiled.objects("page_roles", _roles_of, membership.pk)
            roles._prefetch_done = True
            membership._prefetched_objects_cache = {"roles": roles}
            user.membership = membership  # the reverse one-to-one's cache
    return company_for(user)


def _membership_of_user(user_id: int) -> QuerySet[Membership]:
    return Membership.objects.filter(user_id=user_id).select_related("company", "department")[:1]


def _roles_of(membership_id: int) -> QuerySet[RoleGrant]:
    return RoleGrant.objects.filter(membership_id=membership_id)


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
