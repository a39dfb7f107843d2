"""The demo companies, people and plans of the README, created through the services."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from apps.org import services as org
from apps.org.models import Company, DepartmentKind, Position, Role, Size
from apps.org.strategy import company_strategy_update
from apps.plans import services as plans
from apps.plans.models import Plan
from workflows import services as approvals
from workflows.selectors import current_steps

DEMO_PASSWORD = "greenlight-demo"
User = get_user_model()


@dataclass(frozen=True)
class Person:
    username: str
    first: str
    last: str
    department: str | None
    roles: tuple[str, ...]
    title: str
    position: str = ""


COMPANIES = {
    "lotus": (
        "Lotus Knitwear",
        Size.SMALL,
        [("Marketing & Sales", DepartmentKind.COMBINED, "")],
        [
            Person(
                "lotus.planner",
                "Lina",
                "Ho",
                "Marketing & Sales",
                (Role.PLANNER, Role.REVIEWER),
                "Marketing planner",
            ),
            Person(
                "lotus.seller",
                "Sam",
                "Lee",
                "Marketing & Sales",
                (Role.PLANNER, Role.REVIEWER),
                "Sales representative",
            ),
            Person(
                "lotus.head",
                "Hana",
                "Lotus",
                "Marketing & Sales",
                (Role.SIGNER, Role.ADMIN),
                "Head of marketing and sales",
                Position.COMBINED_HEAD,
            ),
            Person("lotus.auditor", "Ada", "Audit", None, (Role.AUDITOR,), "Auditor"),
        ],
    ),
    "maple": (
        "Red Maple Apparel",
        Size.MEDIUM,
        [
            ("Marketing", DepartmentKind.MARKETING, ""),
            ("Sales", DepartmentKind.SALES, ""),
            ("Management", DepartmentKind.MANAGEMENT, ""),
        ],
        [
            Person(
                "maple.planner", "Mia", "Park", "Marketing", (Role.PLANNER,), "Marketing planner"
            ),
            Person("maple.sales", "Sean", "Ortiz", "Sales", (Role.REVIEWER,), "Sales reviewer"),
            Person(
                "maple.gm",
                "Grace",
                "Maple",
                "Management",
                (Role.SIGNER, Role.ADMIN),
                "General manager",
                Position.GENERAL_MANAGER,
            ),
            Person(
                "maple.salesdir",
                "Dan",
                "Reyes",
                "Sales",
                (Role.SIGNER,),
                "Sales director",
                Position.SALES_DIRECTOR,
            ),
            Person("maple.auditor", "Alex", "Stone", None, (Role.AUDITOR,), "Auditor"),
        ],
    ),
    "north": (
        "Northstar Garments",
        Size.LARGE,
        [
            ("Marketing Centre", DepartmentKind.MARKETING, "Headquarters"),
            ("Eastern Sales", DepartmentKind.SALES, "East"),
            ("Western Sales", DepartmentKind.SALES, "West"),
        ],
        [
            Person(
                "north.planner",
                "Nora",
                "Vale",
                "Marketing Centre",
                (Role.PLANNER,),
                "Marketing planner",
            ),
            Person(
                "north.sales.east",
                "Ethan",
                "Wu",
                "Eastern Sales",
                (Role.REVIEWER,),
                "Regional sales manager, East",
            ),
            Person(
                "north.sales.west",
                "Wendy",
                "Cruz",
                "Western Sales",
                (Role.REVIEWER,),
                "Regional sales manager, West",
            ),
            Person(
                "north.director",
                "Dora",
                "North",
                "Marketing Centre",
                (Role.SIGNER, Role.ADMIN),
                "Marketing director",
                Position.MARKETING_DIRECTOR,
            ),
            Person("north.auditor", "Otto", "Berg", None, (Role.AUDITOR,), "Auditor"),
        ],
    ),
}

PROMO = {
    "campaign_start": "2027-03-01",
    "campaign_end": "2027-04-15",
    "regions": "All regions",
    "channels": "Department stores, own shops, online",
    "products": "Spring knitwear line; leaflets for every store",
    "events": "Trade fair stand in March",
    "budget": "120000",
    "expected_uplift": "8",
}
BRAND = {
    "target_customers": "Urban professionals aged 25 to 40",
    "positioning_statement": "Quiet quality that lasts",
    "brand_message": "Made to be worn for years",
    "media": "Social, outdoor, in-store",
    "budget": "80000",
    "milestones": "Q1 research, Q2 launch, Q3 review",
}


# Each company's strategy (focus, current core task), fitted to its demo plans.
STRATEGIES = {
    "lotus": ("promotion", "brand_building"),
    "maple": ("channels", "market_share"),
    "north": ("promotion", "new_product_launch"),
}


def _user(person: Person) -> User:
    user = User.objects.filter(username=person.username).first()
    if user is None:
        user = User.objects.create_user(
            username=person.username,
            password=DEMO_PASSWORD,
            first_name=person.first,
            last_name=person.last,
            email=f"{person.username}@example.com",
        )
    return user


def _company(slug: str) -> Company:
    name, size, departments, people = COMPANIES[slug]
    company = Company.objects.filter(slug=slug).first() or org.company_create(
        name=name, slug=slug, size=size
    )
    if not company.core_task:
        focus, core_task = STRATEGIES[slug]
        company = company_strategy_update(
            actor=None, company=company, focus=focus, core_task=core_task
        )
    by_name = {d.name: d for d in company.departments.all()}
    for dept_name, kind, region in departments:
        if dept_name not in by_name:
            by_name[dept_name] = org.department_create(
                actor=None, company=company, name=dept_name, kind=kind, region=region
            )
    for person in people:
        user = _user(person)
        department = by_name.get(person.department) if person.department else None
        org.member_save(
            actor=None,
            company=company,
            user=user,
            department=department,
            roles=set(person.roles),
            title=person.title,
            position=person.position,
        )
        if Role.ADMIN in person.roles and department and department.head_id != user.pk:
            department.head = user
            department.save(update_fields=["head"])
    return company


def _plan(company: Company, author: str, title: str, **fields) -> Plan | None:
    """Create the plan unless it exists; None means it was there already."""
    if Plan.objects.filter(company=company, title=title).exists():
        return None
    return plans.plan_create(actor=User.objects.get(username=author), title=title, **fields)


def _decide(plan: Plan, username: str, outcome: str, comment: str = "", **extra) -> None:
    user = User.objects.get(username=username)
    for step in current_steps(plan=plan):
        if step.department in ("", getattr(user.membership.department, "name", "")):
            approvals.task_decide(
                actor=user, task_id=step.task.pk, outcome=outcome, comment=comment, **extra
            )
            return
    raise RuntimeError(f"{username} has no open task on {plan}")


# Focus and core task come from the company's strategy unless a plan names others (with a
# reason: it is then off-strategy, and its sales review binds).
PROMO_HEADER = dict(kind="promotional", directive="mandatory", horizon="short_term")
BRAND_HEADER = dict(
    kind="brand",
    focus="promotion",
    core_task="brand_building",
    core_task_reason="The autumn range relaunches the brand before any push for share.",
    directive="guiding",
    horizon="long_term",
)
SHARE_HEADER = dict(
    PROMO_HEADER,
    focus="channels",
    core_task="market_share",
    core_task_reason="A rival opened two stores in our town: we defend our share first.",
)


@transaction.atomic
def seed_demo() -> list[str]:
    """Create what is missing; running it twice changes nothing."""
    created: list[str] = []
    admin = User.objects.filter(username="admin").first()
    if admin is None:
        User.objects.create_superuser("admin", "admin@example.com", DEMO_PASSWORD)
        created.append("superuser admin")
    companies = {slug: _company(slug) for slug in COMPANIES}

    maple = companies["maple"]
    plan = _plan(
        maple,
        "maple.planner",
        "Autumn coats national promotion",
        content=PROMO,
        scope="national",
        **{**PROMO_HEADER, "directive": ""},  # a national promotion: mandatory by default
    )
    if plan:
        approvals.plan_submit(actor=plan.author, plan_id=plan.pk)
        created.append(plan.title)
    plan = _plan(maple, "maple.planner", "Brand refresh 2027", content=BRAND, **BRAND_HEADER)
    if plan:
        approvals.plan_submit(actor=plan.author, plan_id=plan.pk)
        _decide(
            plan,
            "maple.sales",
            "approve",
            "Store staff need training material before the launch.",
        )
        _decide(plan, "maple.gm", "approve", "Go ahead; plan the staff training.")
        created.append(plan.title)
    plan = _plan(
        maple,
        "maple.planner",
        "Winter clearance (draft)",
        content={"regions": "North", "budget": "15000"},
        **PROMO_HEADER,
    )
    if plan:
        created.append(plan.title)
    plan = _plan(
        maple,
        "maple.planner",
        "Red Maple second-half sales target",
        content=TARGET_H2,
        **TARGET_HEADER,
    )
    if plan:  # waits for the sales department's own forecast
        approvals.plan_submit(actor=plan.author, plan_id=plan.pk)
        created.append(plan.title)

    lotus = companies["lotus"]
    plan = _plan(lotus, "lotus.planner", "Spring knitwear fair", content=PROMO, **SHARE_HEADER)
    if plan:
        approvals.plan_submit(actor=plan.author, plan_id=plan.pk)
        _decide(plan, "lotus.seller", "request_changes", "Add the leaflets for the two new stores.")
        created.append(plan.title)

    north = companies["north"]
    plan = _plan(north, "north.planner", "Northstar summer campaign", content=PROMO, **PROMO_HEADER)
    if plan:
        approvals.plan_submit(actor=plan.author, plan_id=plan.pk)
        _decide(plan, "north.sales.east", "approve", "East is ready.")
        created.append(plan.title)

    created += _executed(companies)
    return created


TARGET = {
    "period": "January to June 2027",
    "target": "400000",
    "market_forecast": "430000",
    "execution_monitoring": "Monthly sell-out reports from every store",
}
TARGET_H2 = dict(TARGET, period="July to December 2027", target="460000")
TARGET_HEADER = dict(kind="sales_target", directive="mandatory", horizon="short_term")

# Per company: who reviews (and then takes up and reports), who signs off, what sales reports.
EXECUTION = {
    "lotus": (["lotus.seller"], "lotus.head", "lotus.planner"),
    "maple": (["maple.sales"], "maple.gm", "maple.planner"),
    "north": (["north.sales.east", "north.sales.west"], "north.director", "north.planner"),
}
FEEDBACK = [
    ("terminal_coverage", "The leaflets reached 38 of our 40 stores; two await the reprint."),
    ("competitors", "A rival cut knitwear prices by 15% in the same week.", "52000"),
    ("opinions", "Distributors like the display kit; customers ask for more sizes."),
]


def _in_execution(company: Company, title: str, header: dict, content: dict) -> Plan | None:
    """A plan of ``company`` signed off and taken up by every executing department."""
    reviewers, signer, author = EXECUTION[company.slug]
    plan = _plan(company, author, title, content=content, **header)
    if plan is None:
        return None
    approvals.plan_submit(actor=plan.author, plan_id=plan.pk)
    if plan.kind == "sales_target":  # each sales department forecasts its share first
        share = int(content["target"]) // len(reviewers)
        for reviewer in reviewers:
            _decide(
                plan, reviewer, "forecast", "Last year's sell-out, plus new stores.", amount=share
            )
    for reviewer in reviewers:
        _decide(plan, reviewer, "approve", "Fits our stores.")
    _decide(plan, signer, "approve", "Go.")
    for reviewer in reviewers:
        _decide(plan, reviewer, "acknowledge", "")
    plan.refresh_from_db()
    return plan


def _executed(companies: dict[str, Company]) -> list[str]:
    """For every size, one plan in execution with feedback and a reply, and one closed plan."""
    created = []
    for slug, company in companies.items():
        reviewers = EXECUTION[slug][0]
        name = company.name.rsplit(" ", 1)[0]
        plan = _in_execution(company, f"{name} in-store promotion", PROMO_HEADER, PROMO)
        if plan:
            for index, (kind, text, *sales) in enumerate(FEEDBACK):
                reviewer = User.objects.get(username=reviewers[index % len(reviewers)])
                feedback = approvals.feedback_file(
                    actor=reviewer,
                    plan_id=plan.pk,
                    kind=kind,
                    text=text,
                    sales_to_date=sales[0] if sales else None,
                )
            approvals.feedback_reply(
                actor=plan.author,
                feedback_id=feedback.pk,
                text="Thank you: a size extension is in the next plan.",
            )
            created.append(plan.title)
        plan = _in_execution(company, f"{name} first-half sales target", TARGET_HEADER, TARGET)
        if plan:
            reviewer = User.objects.get(username=reviewers[0])
            approvals.feedback_file(
                actor=reviewer,
                plan_id=plan.pk,
                kind="plan_execution",
                text="On track: 61% of the target by the end of April.",
                sales_to_date="244000",
            )
            approvals.plan_close(
                actor=plan.author,
                plan_id=plan.pk,
                summary="Target nearly reached; the north lagged after the rival's price cut.",
                actual_sales="388500",
            )
            created.append(plan.title)
    return created
