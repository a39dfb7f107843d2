"""The one map from roles to permissions.

Approval permissions are granted on objects (the company, a department),
never model-wide. The only model-wide grant is viewflow's ``view`` permission
on the process model, which viewflow needs before it shows anyone an inbox;
what a user then sees inside it is scoped by company in ``workflows``.
"""

from .models import Role

# role -> permission codenames granted on the member's company
COMPANY_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.PLANNER: ("draft_plans", "view_submitted_plans"),
    Role.REVIEWER: ("view_submitted_plans",),
    Role.SIGNER: ("sign_off_plans", "view_submitted_plans"),
    Role.AUDITOR: ("audit_plans", "view_submitted_plans"),
    Role.ADMIN: ("administer_company", "view_submitted_plans"),
}

# role -> permission codenames granted on the member's own department
DEPARTMENT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.REVIEWER: ("review_plans",),
}

# model-wide permissions every member needs to open viewflow's task lists
MEMBER_MODEL_PERMISSIONS: tuple[tuple[str, str], ...] = (("workflows", "view_planprocess"),)

MEMBERS_GROUP = "greenlight-members"


def company_permissions_for(roles: set[str]) -> set[str]:
    return {perm for role in roles for perm in COMPANY_PERMISSIONS.get(role, ())}


def department_permissions_for(roles: set[str]) -> set[str]:
    return {perm for role in roles for perm in DEPARTMENT_PERMISSIONS.get(role, ())}
