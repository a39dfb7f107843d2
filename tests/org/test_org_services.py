"""Organisation services: members, roles and departments, and the permissions they grant."""

import pytest
from guardian.models import UserObjectPermission

from apps.audit.models import Event
from apps.core.errors import Forbidden, NotFound, ValidationError
from apps.org import services as org_services
from apps.org.models import (
    CompanyUserObjectPermission,
    Department,
    DepartmentUserObjectPermission,
    Membership,
)
from apps.plans.selectors import plan_access
from tests.factories import member, open_task, queued, refused, submitted
from workflows import services as approvals


def _department_grants(user) -> list[tuple[str, str]]:
    rows = DepartmentUserObjectPermission.objects.filter(user=user).select_related(
        "permission", "content_object"
    )
    return sorted((row.content_object.name, row.permission.codename) for row in rows)


def _company_grants(user) -> set[str]:
    rows = CompanyUserObjectPermission.objects.filter(user=user).select_related("permission")
    return {row.permission.codename for row in rows}


def _save(admin, person, roles, department=None, position=None):
    return org_services.member_save(
        actor=admin,
        company=admin.membership.company,
        user=person,
        department=department,
        roles=set(roles),
        position=position,
    )


def test_member_save_grants_exactly_the_permissions_of_the_roles(user):
    gm, planner = user("maple.gm"), user("maple.planner")
    sales = Department.objects.get(name="Sales", company__slug="maple")
    plan = submitted(user("north.planner"))

    assert _department_grants(user("maple.sales")) == [("Sales", "review_plans")]
    assert _company_grants(user("maple.gm")) == {
        "sign_off_plans",
        "administer_company",
        "view_submitted_plans",
    }

    _save(gm, planner, {"planner", "reviewer"}, department=sales)

    assert _department_grants(planner) == [("Sales", "review_plans")]
    assert _company_grants(planner) == {"draft_plans", "view_submitted_plans"}
    own = submitted(planner, title="Own")
    assert queued(planner, own) == []
    assert queued(user("maple.sales"), own) == [("review", "Sales")]
    _save(gm, user("maple.sales"), {"planner", "reviewer"}, department=sales)
    colleagues = submitted(user("maple.sales"), title="A colleague's")
    assert queued(planner, colleagues) == [("review", "Sales")]
    with pytest.raises(NotFound):
        plan_access(user=planner, plan_id=plan.pk)
    event = Event.objects.filter(action="org_change", data__user="maple.planner").latest("id")
    assert event.actor_name == "maple.gm"
    assert event.data["what"] == "member_saved"
    assert event.data["roles"] == [["planner"], ["planner", "reviewer"]]


def test_moving_a_reviewer_to_another_department_moves_the_review_right(user):
    director, east = user("north.director"), user("north.sales.east")
    western = Department.objects.get(name="Western Sales")
    plan = submitted(user("north.planner"))

    _save(director, east, {"reviewer"}, department=western)

    assert _department_grants(east) == [("Western Sales", "review_plans")]
    assert queued(east, plan) == [("review", "Western Sales")]
    eastern_review = open_task(plan, step="review", department="Eastern Sales")
    with refused(Forbidden, plan):
        approvals.task_claim(actor=east, task_id=eastern_review.pk)


def test_removing_the_reviewer_role_revokes_the_review(user):
    gm, sales = user("maple.gm"), user("maple.sales")
    plan = submitted(user("maple.planner"))
    task = open_task(plan, step="review")

    _save(gm, sales, set(), department=sales.membership.department)

    assert _department_grants(sales) == []
    assert _company_grants(sales) == set()
    assert queued(sales, plan) == []
    assert not sales.groups.exists()
    with refused(NotFound, plan):
        approvals.task_decide(actor=sales, task_id=task.pk, outcome="approve")
    with pytest.raises(NotFound):
        plan_access(user=sales, plan_id=plan.pk)


def test_removing_the_signer_role_and_position_revokes_sign_off_and_cancel(user):
    gm, salesdir = user("maple.gm"), user("maple.salesdir")
    plan = submitted(user("maple.planner"))
    approvals.task_decide(
        actor=user("maple.sales"), task_id=open_task(plan, step="review").pk, outcome="approve"
    )
    sign_off = open_task(plan, step="sign_off")

    # the sales director's position signs, whatever roles are handed out
    _save(gm, salesdir, {"reviewer"}, department=salesdir.membership.department)
    assert queued(salesdir, plan) == [("sign_off", "")]
    _save(gm, salesdir, {"reviewer"}, department=salesdir.membership.department, position="")

    assert queued(salesdir, plan) == []
    with refused(Forbidden, plan):
        approvals.task_decide(actor=salesdir, task_id=sign_off.pk, outcome="approve")
    with refused(Forbidden, plan):
        approvals.plan_cancel(actor=salesdir, plan_id=plan.pk)
    assert queued(gm, plan) == [("sign_off", "")]


def test_a_removed_member_loses_every_permission_and_every_plan(user):
    gm, auditor = user("maple.gm"), user("maple.auditor")
    plan = submitted(user("maple.planner"))
    assert plan_access(user=auditor, plan_id=plan.pk) == plan

    org_services.member_remove(actor=gm, membership=auditor.membership)

    auditor.refresh_from_db()
    assert not auditor.is_active
    assert not Membership.objects.filter(user=auditor).exists()
    assert _company_grants(auditor) == set()
    with pytest.raises(NotFound):
        plan_access(user=auditor, plan_id=plan.pk)


def test_deleting_a_department_leaves_no_object_permission_rows(user):
    director = user("north.director")
    company = director.membership.company
    southern = org_services.department_create(
        actor=director, company=company, name="Southern Sales", kind="sales", region="South"
    )
    south = member(company, "north.sales.south", "reviewer", department=southern)
    assert _department_grants(south) == [("Southern Sales", "review_plans")]

    org_services.department_delete(actor=director, department=southern)

    assert not DepartmentUserObjectPermission.objects.filter(content_object_id=southern.pk).exists()
    assert _department_grants(south) == []
    assert not UserObjectPermission.objects.exists()
    assert Membership.objects.get(user=south).department is None
    event = Event.objects.filter(action="org_change").latest("id")
    assert event.data == {"what": "department_deleted", "department": "Southern Sales"}
    plan = submitted(user("north.planner"))
    assert queued(south, plan) == []


def test_only_a_company_administrator_manages_members_and_departments(user):
    company = user("maple.gm").membership.company
    sales = Department.objects.get(name="Sales", company=company)
    events = Event.objects.count()
    for name in ("maple.planner", "maple.sales", "maple.salesdir", "maple.auditor", "lotus.head"):
        actor = user(name)
        with pytest.raises(Forbidden):
            org_services.member_save(
                actor=actor, company=company, user=actor, department=sales, roles={"admin"}
            )
        with pytest.raises(Forbidden):
            org_services.department_delete(actor=actor, department=sales)
        with pytest.raises(Forbidden):
            org_services.department_create(actor=actor, company=company, name="X", kind="sales")
    assert Event.objects.count() == events
    assert _company_grants(user("maple.planner")) == {"draft_plans", "view_submitted_plans"}

    gm = user("maple.gm")
    with pytest.raises(ValidationError):
        org_services.member_remove(actor=gm, membership=gm.membership)
    assert user("maple.gm").is_active


def test_member_save_refuses_what_the_organisation_does_not_allow(user):
    gm = user("maple.gm")
    company = gm.membership.company
    marketing = Department.objects.get(name="Marketing", company=company)
    eastern = Department.objects.get(name="Eastern Sales")
    cases = [
        (user("admin"), {"signer"}, marketing, "roles"),
        (user("maple.planner"), {"reviewer"}, None, "department"),
        (user("maple.planner"), {"planner"}, eastern, "department"),
        (user("maple.planner"), {"chief"}, marketing, "roles"),
        (user("north.planner"), {"planner"}, None, "username"),
    ]
    for person, roles, department, field in cases:
        with pytest.raises(ValidationError) as error:
            org_services.member_save(
                actor=gm, company=company, user=person, department=department, roles=roles
            )
        assert field in error.value.fields, (person, roles)
    assert user("maple.planner").membership.role_names == {"planner"}
    assert user("north.planner").membership.company.slug == "north"
    assert not Membership.objects.filter(user__username="admin").exists()
