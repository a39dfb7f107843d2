"""Deleting leaves no permission behind, and a newcomer with a recycled id inherits nothing.

Greenlight grants on the company and on departments only, through django-guardian's direct
foreign-key tables, so a permission row dies with its user or department. Plans carry no
object permissions at all; what refers to a department by id elsewhere is an approval task
(viewflow stores the department it waits for as text).
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db.models import ProtectedError
from guardian.core import ObjectPermissionChecker
from guardian.models import GroupObjectPermission, UserObjectPermission

from apps.core.errors import Conflict
from apps.org import services as org_services
from apps.org.models import (
    CompanyUserObjectPermission,
    Department,
    DepartmentKind,
    DepartmentUserObjectPermission,
    Role,
)
from apps.org.policy import may_review, reviewers_of
from apps.plans.models import Plan
from tests.factories import draft, open_task, submitted
from tests.reliability.figures import record
from tests.reliability.harness import large_company, medium_company, person
from workflows import services as approvals
from workflows.selectors import task_queue

pytestmark = [pytest.mark.security, pytest.mark.django_db]
User = get_user_model()


@pytest.fixture
def org(db):
    """A medium and a large company, built through the organisation services."""
    return medium_company("hygiene-m"), large_company("hygiene-l")


def _generic_rows() -> int:
    """guardian's generic tables (object ids as text): nothing in Greenlight writes there."""
    return UserObjectPermission.objects.count() + GroupObjectPermission.objects.count()


def test_granting_writes_nothing_to_guardians_generic_tables(org):
    assert _generic_rows() == 0
    assert CompanyUserObjectPermission.objects.exists()


def test_plans_carry_no_permissions_and_a_submitted_one_cannot_be_deleted(org):
    planner = org[0].planner
    plan = draft(planner, title="Short-lived draft")
    rows = (CompanyUserObjectPermission.objects.count(), _generic_rows())
    plan.delete()  # a draft has no revision, nothing protects it
    assert (CompanyUserObjectPermission.objects.count(), _generic_rows()) == rows
    sent = submitted(planner, title="Frozen for the record")
    with pytest.raises(ProtectedError):
        Plan.objects.filter(pk=sent.pk).delete()


def test_deleting_a_user_deletes_their_object_permissions(org):
    company = org[0].company
    sales = Department.objects.get(company=company, name="Sales")
    newcomer = person(company, "hygiene.newcomer", Role.REVIEWER, Role.PLANNER, department=sales)
    assert DepartmentUserObjectPermission.objects.filter(user=newcomer).exists()
    assert CompanyUserObjectPermission.objects.filter(user=newcomer).exists()
    user_id = newcomer.pk
    newcomer.delete()
    assert not DepartmentUserObjectPermission.objects.filter(user_id=user_id).exists()
    assert not CompanyUserObjectPermission.objects.filter(user_id=user_id).exists()
    assert _generic_rows() == 0

    heir = User.objects.create_user(pk=user_id, username="someone.else", password="x")
    checker = ObjectPermissionChecker(heir)
    assert not any(checker.has_perm(p, sales) for p in ("review_plans",))
    assert not checker.has_perm("view_submitted_plans", company)
    assert not may_review(heir, department=sales, author_id=0)
    assert list(task_queue(user=heir)) == []
    record("permission hygiene", user_deleted="no rows left, id reuse inherits nothing")


def test_deleting_a_department_deletes_its_object_permissions(org):
    company = org[1].company
    director = org[1].signers[0]
    south = org_services.department_create(
        actor=director, company=company, name="Southern Sales", kind=DepartmentKind.SALES
    )
    reviewer = person(company, "hygiene.south", Role.REVIEWER, department=south)
    assert DepartmentUserObjectPermission.objects.filter(content_object=south).exists()
    department_id = south.pk
    org_services.department_delete(actor=director, department=south)
    assert not DepartmentUserObjectPermission.objects.filter(
        content_object_id=department_id
    ).exists()

    reborn = Department.objects.create(
        pk=department_id, company=company, name="Southern Sales", kind=DepartmentKind.SALES
    )
    reviewer.refresh_from_db()
    assert not ObjectPermissionChecker(reviewer).has_perm("review_plans", reborn)
    assert list(reviewers_of(reborn)) == []


def test_a_department_that_reviews_wait_for_is_not_deleted_nor_inherited(org):
    """A review task names its department by id (viewflow keeps it as text). Deleting the
    department under a waiting review would strand the plan, and hand the review to whoever
    reviews for a department that later gets the same id: the deletion is refused until the
    review is done, and afterwards a reborn id finds nothing to inherit."""
    company = org[1].company
    director = org[1].signers[0]
    south = org_services.department_create(
        actor=director, company=company, name="Southern Sales", kind=DepartmentKind.SALES
    )
    reviewer = person(company, "hygiene.south", Role.REVIEWER, department=south)
    plan = submitted(org[1].planner, title="South promotion", region_ids=[south.pk])
    waiting = open_task(plan, step="review", department="Southern Sales")
    with pytest.raises(Conflict):
        org_services.department_delete(actor=director, department=south)
    assert DepartmentUserObjectPermission.objects.filter(content_object=south).exists()

    approvals.task_decide(actor=reviewer, task_id=waiting.pk, outcome="approve")
    department_id = south.pk
    org_services.department_delete(actor=director, department=south)
    reborn = Department.objects.create(
        pk=department_id, company=company, name="Reborn Sales", kind=DepartmentKind.SALES
    )
    newcomer = person(company, "hygiene.reborn", Role.REVIEWER, department=reborn)
    assert list(task_queue(user=newcomer)) == []
    with pytest.raises(Conflict):  # decided before the department went
        approvals.task_decide(actor=newcomer, task_id=waiting.pk, outcome="reject", comment="x")
    record("permission hygiene", department_with_waiting_review="deletion refused")
