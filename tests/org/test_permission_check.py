"""The per-object permission check: guardian's answer, in one statement compiled once.

``has_company_perm`` and ``may_review`` ask guardian's question (held directly or
through a group, on this object, and the user is active) as one query whose SQL is
compiled once per permission (``apps.core.compiled``). These compare it with
guardian's own checker across users, objects and permissions asked in turn, so a
statement compiled for one of them cannot answer for another.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from guardian.core import ObjectPermissionChecker
from guardian.shortcuts import assign_perm, remove_perm

from apps.core import compiled
from apps.org.models import Company
from apps.org.policy import company_perms, has_company_perm, may_review

pytestmark = pytest.mark.django_db

CODENAMES = ("view_submitted_plans", "sign_off_plans", "draft_plans", "administer_company")


def guardian(user, codename, obj) -> bool:
    return ObjectPermissionChecker(user).has_perm(codename, obj)


def test_the_company_check_gives_guardians_answer_for_every_member_and_permission(world):
    for company in Company.objects.all():
        for membership in company.memberships.select_related("user"):
            for codename in CODENAMES:
                expected = guardian(membership.user, codename, company)
                assert has_company_perm(membership.user, company, codename) is expected


def test_a_permission_through_a_group_counts_and_goes_with_the_group(user):
    planner = user("maple.planner")
    company = planner.membership.company
    assert not has_company_perm(planner, company, "sign_off_plans")
    group = Group.objects.create(name="maple signers")
    assign_perm("sign_off_plans", group, company)
    planner.groups.add(group)
    assert has_company_perm(planner, company, "sign_off_plans")
    remove_perm("sign_off_plans", group, company)
    assert not has_company_perm(planner, company, "sign_off_plans")


def test_an_inactive_member_holds_nothing(user):
    head = user("maple.gm")
    company = head.membership.company
    assert has_company_perm(head, company, "sign_off_plans")
    head.is_active = False
    assert not has_company_perm(head, company, "sign_off_plans")


def test_the_department_check_gives_guardians_answer(world):
    for company in Company.objects.all():
        for department in company.departments.all():
            for membership in company.memberships.select_related("user"):
                expected = guardian(membership.user, "review_plans", department)
                got = may_review(membership.user, department=department, author_id=-1)
                assert got is expected


def test_a_statement_built_without_an_id_as_parameter_is_refused(world):
    def build(user_id):
        return Company.objects.filter(pk=1).values_list("pk")[:1]

    with pytest.raises(ValueError, match="not a parameter"):
        compiled.first_row(("test", "no id"), build, 5)


def test_all_company_permissions_at_once_give_the_single_checks_answers(world, user):
    group = Group.objects.create(name="maple signers by group")
    assign_perm("sign_off_plans", group, Company.objects.get(slug="maple"))
    user("maple.planner").groups.add(group)
    for company in Company.objects.all():
        for membership in company.memberships.select_related("user"):
            person = membership.user
            for other in Company.objects.all():  # another company's rights are none
                held = company_perms(person, other)
                for codename in CODENAMES + ("audit_plans",):
                    assert (codename in held) is has_company_perm(person, other, codename)
    head = user("maple.gm")
    head.is_active = False
    assert company_perms(head, head.membership.company) == frozenset()
