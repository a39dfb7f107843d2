"""The worlds tests build: factory_boy factories that go through the real services (so every
permission grant is real), the companies of each size with their people, and plans built
through the services, so that every test starts from a real state."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any

import factory
import pytest
from django.contrib.auth import get_user_model

from apps.audit.models import Event
from apps.org import services as org_services
from apps.org.models import Company, Department, DepartmentKind, Position, Role, Size
from apps.org.policy import SIZE_DEPARTMENTS
from apps.plans import services as plan_services
from apps.plans.models import Decision, Plan
from workflows import services as approvals
from workflows.models import ApprovalTask
from workflows.selectors import current_steps, task_inbox, task_queue

PROMO_CONTENT = {
    "campaign_start": "2027-05-01",
    "campaign_end": "2027-05-31",
    "regions": "All",
    "channels": "Stores and online",
    "budget": "50000",
}

# Every field of a promotion, and of a brand plan: what a complete plan of each kind holds.
PROMO_FULL = {
    "campaign_start": "2027-03-01",
    "campaign_end": "2027-04-15",
    "regions": "All regions",
    "channels": "Department stores, own shops, online",
    "products": "Spring knitwear line; leaflets for every store",
    "events": "Trade fair stand in March",
    "budget": "120000",
    "expected_uplift": "8",
}
BRAND_CONTENT = {
    "target_customers": "Urban professionals aged 25 to 40",
    "positioning_statement": "Quiet quality that lasts",
    "brand_message": "Made to be worn for years",
    "media": "Social, outdoor, in-store",
    "budget": "80000",
    "milestones": "Q1 research, Q2 launch, Q3 review",
}

HEADERS = {
    "sales_leads": dict(focus="channels", core_task="market_share"),
    "marketing_leads": dict(focus="promotion", core_task="brand_building"),
    "conflict_sales": dict(focus="promotion", core_task="market_share"),
    "conflict_marketing": dict(focus="channels", core_task="new_product_launch"),
}


def draft(author, *, lead: str = "sales_leads", title: str = "Test plan", **extra: Any):
    fields = dict(
        kind="promotional",
        title=title,
        directive="mandatory",
        horizon="short_term",
        content=dict(PROMO_CONTENT),
        **HEADERS[lead],
    )
    fields.update(extra)
    return plan_services.plan_create(actor=author, **fields)


def submitted(author, **kwargs):
    plan = draft(author, **kwargs)
    return approvals.plan_submit(actor=author, plan_id=plan.pk)


def open_task(plan, *, step: str, department: str | None = None):
    """The plan's open task of ``step`` (and department), or fail loudly."""
    for current in current_steps(plan=plan):
        if current.step == step and (department is None or current.department == department):
            return current.task
    raise AssertionError(f"no open {step} task for {department or 'any department'} on {plan}")


def decide(plan, actor, outcome: str, comment: str = "", *, step: str = "review", department=None):
    """Decide the plan's open ``step`` task (of ``department``) as ``actor``; return the plan."""
    task = open_task(plan, step=step, department=department)
    approvals.task_decide(actor=actor, task_id=task.pk, outcome=outcome, comment=comment)
    plan.refresh_from_db()
    return plan


def forecast(plan, actor, amount, rationale: str = "Our own count of the stores.", **kwargs):
    """Give a sales target's forecast for a department as ``actor``; return the plan."""
    task = open_task(plan, step="forecast", department=kwargs.get("department"))
    approvals.task_decide(
        actor=actor, task_id=task.pk, outcome="forecast", comment=rationale, amount=amount
    )
    plan.refresh_from_db()
    return plan


def steps_of(plan) -> list[tuple[str, str]]:
    """Who may act next on the plan, as (step, department) pairs."""
    return [(current.step, current.department) for current in current_steps(plan=plan)]


def queued(user, plan) -> list[tuple[str, str]]:
    """The plan's tasks in ``user``'s queue, as (step, department) pairs."""
    tasks = task_queue(user=user).filter(process__planprocess__plan=plan).order_by("id")
    return [(task.step, task.data.get("department_name", "")) for task in tasks]


def inbox(user, plan) -> list[str]:
    """The plan's tasks in ``user``'s inbox, by step."""
    tasks = task_inbox(user=user).filter(process__planprocess__plan=plan).order_by("id")
    return [task.step for task in tasks]


def history(plan) -> list[tuple]:
    """The plan's events as (action, actor_name, step, from_status, to_status, revision)."""
    return [
        (e.action, e.actor_name, e.step, e.from_status, e.to_status, e.revision)
        for e in Event.objects.filter(plan_id=plan.pk).order_by("id")
    ]


def decisions(plan) -> list[tuple]:
    """The plan's decisions as (step, department_name, actor, outcome, revision number)."""
    return [
        (d.step, d.department_name, d.actor.username, d.outcome, d.revision.number)
        for d in Decision.objects.filter(plan=plan).order_by("id").select_related("actor")
    ]


def snapshot(plan) -> dict[str, Any]:
    """Everything an action on the plan could change, to show that a refused one changed nothing."""
    plan = Plan.objects.get(pk=plan.pk)
    tasks = ApprovalTask.objects.filter(process__planprocess__plan=plan).order_by("id")
    return {
        "plan": {name: getattr(plan, name) for name in SNAPSHOT_FIELDS},
        "regions": sorted(plan.regions.values_list("pk", flat=True)),
        "events": Event.objects.filter(plan_id=plan.pk).count(),
        "tasks": [(t.pk, t.status, t.owner_id) for t in tasks],
        "revisions": list(plan.revisions.values_list("number", "content_sha256")),
        "decisions": Decision.objects.filter(plan=plan).count(),
    }


SNAPSHOT_FIELDS = (
    "status",
    "title",
    "kind",
    "focus",
    "core_task",
    "directive",
    "horizon",
    "content",
    "route",
    "revision_count",
    "submitted_at",
    "finished_at",
)


def grant(user, *roles: str, department=None):
    """Give a demo member extra roles, through the service a company administrator uses."""
    membership = user.membership
    return org_services.member_save(
        actor=None,
        company=membership.company,
        user=user,
        department=department or membership.department,
        roles=membership.role_names | set(roles),
        title=membership.title,
    )


def member(company, username: str, *roles: str, department=None):
    """A new member of ``company`` with ``roles``, added through the organisation service."""
    return MemberFactory(company=company, username=username, roles=roles, department=department)


@contextmanager
def refused(error_class, plan):
    """Expect ``error_class`` from the block, and the plan exactly as it was before."""
    before = snapshot(plan)
    with pytest.raises(error_class) as info:
        yield info
    assert snapshot(plan) == before


# --- The organisation: factories over apps.org.services -------------------------------------

PASSWORD = "greenlight-demo"


class UserFactory(factory.django.DjangoModelFactory):
    """A person who can sign in with ``PASSWORD``; not yet a member of any company."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"person{n}")
    first_name = factory.LazyAttribute(lambda o: o.username.split(".")[-1].capitalize())
    last_name = "Test"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password(PASSWORD)


class CompanyFactory(factory.Factory):
    """A company created by ``company_create`` (which writes its first audit event)."""

    class Meta:
        model = Company

    slug = factory.Sequence(lambda n: f"company{n}")
    name = factory.LazyAttribute(lambda o: f"{o.slug.capitalize()} Garments")
    size = Size.MEDIUM

    @classmethod
    def _create(cls, model_class, **fields):
        return org_services.company_create(actor=None, **fields)


class DepartmentFactory(factory.Factory):
    """A department created by ``department_create``."""

    class Meta:
        model = Department

    company = factory.SubFactory(CompanyFactory)
    name = factory.Sequence(lambda n: f"Department {n}")
    kind = DepartmentKind.SALES
    region = ""

    @classmethod
    def _create(cls, model_class, **fields):
        return org_services.department_create(actor=None, **fields)


class MemberFactory(factory.Factory):
    """A user made a member by ``member_save``, so that guardian's grants are the real ones.

    Returns the user (fresh from the database, with its membership)."""

    class Meta:
        model = get_user_model()

    company = factory.SubFactory(CompanyFactory)
    department = None
    username = factory.Sequence(lambda n: f"member{n}")
    roles: tuple[str, ...] = ()
    title = ""
    position = ""  # a position the company's size prescribes (its holder signs off)
    head = False  # also made the head of its department, as a company administrator is

    @classmethod
    def _create(cls, model_class, *, company, department, username, roles, title, position, head):
        person = UserFactory(username=username)
        org_services.member_save(
            actor=None,
            company=company,
            user=person,
            department=department,
            roles=set(roles),
            title=title,
            position=position,
        )
        if head and department is not None:
            department.head = person
            department.save(update_fields=["head"])
        return get_user_model().objects.get(pk=person.pk)


PLANNER, REVIEWER, SIGNER, ADMIN, AUDITOR = (
    Role.PLANNER,
    Role.REVIEWER,
    Role.SIGNER,
    Role.ADMIN,
    Role.AUDITOR,
)

# Who works where in each size of company: (username suffix, department, roles, title).
PEOPLE = {
    Size.SMALL: [
        ("planner", "Marketing & Sales", (PLANNER, REVIEWER), "Marketing planner"),
        ("seller", "Marketing & Sales", (PLANNER, REVIEWER), "Sales representative"),
        ("head", "Marketing & Sales", (SIGNER, ADMIN), "Head of marketing and sales"),
        ("auditor", None, (AUDITOR,), "Auditor"),
    ],
    Size.MEDIUM: [
        ("planner", "Marketing", (PLANNER,), "Marketing planner"),
        ("sales", "Sales", (REVIEWER,), "Sales reviewer"),
        ("gm", "Management", (SIGNER, ADMIN), "General manager"),
        ("salesdir", "Sales", (SIGNER,), "Sales director"),
        ("auditor", None, (AUDITOR,), "Auditor"),
    ],
    Size.LARGE: [
        ("planner", "Marketing Centre", (PLANNER,), "Marketing planner"),
        ("sales.east", "Eastern Sales", (REVIEWER,), "Regional sales manager, East"),
        ("sales.west", "Western Sales", (REVIEWER,), "Regional sales manager, West"),
        ("director", "Marketing Centre", (SIGNER, ADMIN), "Marketing director"),
        ("auditor", None, (AUDITOR,), "Auditor"),
    ],
}


# The positions the people of the world hold (DOMAIN.md "Organisation by company size").
POSITIONS = {
    "head": Position.COMBINED_HEAD,
    "gm": Position.GENERAL_MANAGER,
    "salesdir": Position.SALES_DIRECTOR,
    "director": Position.MARKETING_DIRECTOR,
}


def company_world(slug: str, size: str, name: str | None = None) -> Company:
    """A company of ``size`` with its departments and people, as DOMAIN.md describes it.

    People are named ``<slug>.<role>`` (``maple.sales``, ``north.sales.east``); the
    administrator heads their department. No plans: a test drafts the ones it needs."""
    company = CompanyFactory(slug=slug, size=size, **({"name": name} if name else {}))
    departments = {
        dept: DepartmentFactory(company=company, name=dept, kind=kind, region=region)
        for dept, kind, region in SIZE_DEPARTMENTS[size]
    }
    for suffix, dept, roles, title in PEOPLE[size]:
        MemberFactory(
            company=company,
            department=departments.get(dept),
            username=f"{slug}.{suffix}",
            roles=roles,
            title=title,
            position=POSITIONS.get(suffix, ""),
            head=ADMIN in roles,
        )
    return company


# The shared world of the suite: one company of each size, with the people the README's
# tables list (the same names as the demo, which is tested on its own in tests/demo).
WORLD = {
    "lotus": ("Lotus Knitwear", Size.SMALL),
    "maple": ("Red Maple Apparel", Size.MEDIUM),
    "north": ("Northstar Garments", Size.LARGE),
}


def world_build() -> dict[str, Company]:
    """The three companies of the shared world, built through the services, and a superuser
    (who belongs to none of them)."""
    UserFactory(username="admin", is_superuser=True, is_staff=True)
    return {slug: company_world(slug, size, name) for slug, (name, size) in WORLD.items()}
