"""The permission matrix: every demo role of every size against every action.

Each cell runs the real service inside a savepoint that is rolled back, so one
allowed action never changes what the next cell sees. A cell reads ``ok`` or
the error the service raised: ``NotFound`` (the user may not see the object),
``Forbidden`` (they see it but may not do this) or ``Conflict`` (its state
does not allow it, such as a claim somebody else holds).
"""

import pytest
from django.db import transaction

from apps.core.errors import DomainError, NotFound
from apps.plans import services as plan_services
from apps.plans.models import Plan
from apps.plans.selectors import plan_access
from tests.factories import PROMO_CONTENT, decide, draft, open_task, submitted
from workflows import services as approvals
from workflows.selectors import process_access, task_inbox, task_queue

ACTIONS = (
    "view",
    "view_draft",
    "create",
    "edit",
    "submit",
    "claim",
    "release",
    "decide",
    "sign_off",
    "cancel",
)
OK, NF, F, C = "ok", "NotFound", "Forbidden", "Conflict"
REVIEWERS = {
    "Marketing & Sales": "lotus.seller",
    "Sales": "maple.sales",
    "Eastern Sales": "north.sales.east",
    "Western Sales": "north.sales.west",
}

# Who drafts in each company, and which review department the review cells use.
SETUP = {
    "lotus": ("lotus.planner", "lotus.seller", "Marketing & Sales"),
    "maple": ("maple.planner", "maple.sales", "Sales"),
    "north": ("north.planner", "north.sales.east", "Eastern Sales"),
}

# Columns in the order of ACTIONS.
EXPECTED = {
    "lotus": {
        "lotus.planner": (OK, OK, OK, OK, OK, F, C, F, F, OK),
        "lotus.seller": (OK, NF, OK, NF, NF, OK, OK, OK, F, F),
        "lotus.head": (OK, NF, F, NF, NF, F, C, F, OK, OK),
        "lotus.auditor": (OK, NF, F, NF, NF, F, C, F, F, F),
    },
    "maple": {
        "maple.planner": (OK, OK, OK, OK, OK, F, C, F, F, OK),
        "maple.sales": (OK, NF, F, NF, NF, OK, OK, OK, F, F),
        "maple.gm": (OK, NF, F, NF, NF, F, C, F, OK, OK),
        "maple.salesdir": (OK, NF, F, NF, NF, F, C, F, OK, OK),
        "maple.auditor": (OK, NF, F, NF, NF, F, C, F, F, F),
    },
    "north": {
        "north.planner": (OK, OK, OK, OK, OK, F, C, F, F, OK),
        "north.sales.east": (OK, NF, F, NF, NF, OK, OK, OK, F, F),
        "north.sales.west": (OK, NF, F, NF, NF, F, C, F, F, F),
        "north.director": (OK, NF, F, NF, NF, F, C, F, OK, OK),
        "north.auditor": (OK, NF, F, NF, NF, F, C, F, F, F),
    },
}


MISSING = 10**9


class _Rollback(Exception):
    pass


def attempt(action, *, detail: bool = False) -> str:
    """Run ``action`` in a savepoint that is always rolled back; say how it went.

    ``detail`` adds the message, which must not tell a hidden object from a missing one.
    """
    try:
        with transaction.atomic():
            action()
            raise _Rollback
    except _Rollback:
        return OK
    except DomainError as error:
        name = type(error).__name__
        return f"{name}: {error.message}" if detail else name


def _plans_of(user, company: str) -> dict:
    """One plan in each state the matrix needs, all by the company's planner."""
    author_name, reviewer_name, department = SETUP[company]
    author, reviewer = user(author_name), user(reviewer_name)
    drafted = draft(author, title="Drafted")
    in_review = submitted(author, title="In review")
    claimed = submitted(author, title="Claimed")
    approvals.task_claim(
        actor=reviewer, task_id=open_task(claimed, step="review", department=department).pk
    )
    signing = submitted(author, title="Signing")
    for current in signing.route["review_departments"]:
        decide(signing, user(REVIEWERS[current["name"]]), "approve", department=current["name"])
    return {
        "draft": drafted,
        "review": in_review,
        "review_task": open_task(in_review, step="review", department=department),
        "claimed_task": open_task(claimed, step="review", department=department),
        "sign_off_task": open_task(signing, step="sign_off"),
    }


def _row(actor, plans: dict) -> tuple[str, ...]:
    fields = dict(
        kind="promotional",
        title="New",
        focus="channels",
        core_task="market_share",
        directive="guiding",
        horizon="short_term",
        content=PROMO_CONTENT,
    )
    cells = {
        "view": lambda: plan_access(user=actor, plan_id=plans["review"].pk),
        "view_draft": lambda: plan_access(user=actor, plan_id=plans["draft"].pk),
        "create": lambda: plan_services.plan_create(actor=actor, **fields),
        "edit": lambda: plan_services.plan_update(
            actor=actor, plan=plans["draft"], data={"title": "Edited"}
        ),
        "submit": lambda: approvals.plan_submit(actor=actor, plan_id=plans["draft"].pk),
        "claim": lambda: approvals.task_claim(actor=actor, task_id=plans["review_task"].pk),
        "release": lambda: approvals.task_release(actor=actor, task_id=plans["claimed_task"].pk),
        "decide": lambda: approvals.task_decide(
            actor=actor, task_id=plans["review_task"].pk, outcome="approve"
        ),
        "sign_off": lambda: approvals.task_decide(
            actor=actor, task_id=plans["sign_off_task"].pk, outcome="approve"
        ),
        "cancel": lambda: approvals.plan_cancel(actor=actor, plan_id=plans["review"].pk),
    }
    return tuple(attempt(cells[action]) for action in ACTIONS)


@pytest.mark.parametrize("company", ["lotus", "maple", "north"])
def test_every_role_may_do_exactly_what_its_company_size_allows(user, company):
    plans = _plans_of(user, company)

    actual = {name: _row(user(name), plans) for name in EXPECTED[company]}

    assert actual == EXPECTED[company]


def test_another_companys_plans_tasks_and_processes_do_not_exist_for_a_user(user):
    plans = {company: _plans_of(user, company) for company in ("maple", "north")}
    for company in ("lotus", "maple", "north"):
        theirs = plans["north" if company == "maple" else "maple"]
        process = theirs["review"].process
        for name in EXPECTED[company]:
            actor = user(name)
            row = _row_against(actor, theirs)
            assert row == _row_against(actor, None), name
            assert set(row) == {"NotFound: Not found."}, name
            with pytest.raises(NotFound) as error:
                process_access(user=actor, process_id=process.pk)
            assert error.value.message == "Not found."
            assert not task_queue(user=actor).filter(process=process).exists()
            assert not task_inbox(user=actor).filter(process=process).exists()

    admin = user("admin")
    assert _row(admin, plans["maple"]) == (NF, NF, F, NF, NF, NF, NF, NF, NF, NF)
    assert not task_queue(user=admin).exists()
    assert not task_inbox(user=admin).exists()
    with pytest.raises(NotFound):
        process_access(user=admin, process_id=plans["north"]["review"].process.pk)


def _row_against(actor, plans: dict | None) -> tuple[str, ...]:
    """Every action on another company's objects, or on ids that do not exist (``None``)."""

    def pk(key: str) -> int:
        return plans[key].pk if plans else MISSING

    def plan(key: str) -> Plan:
        return plans[key] if plans else Plan(pk=MISSING)

    cells = (
        lambda: plan_access(user=actor, plan_id=pk("review")),
        lambda: plan_access(user=actor, plan_id=pk("draft")),
        lambda: plan_services.plan_update(actor=actor, plan=plan("draft"), data={"title": "X"}),
        lambda: plan_services.plan_update(actor=actor, plan=plan("review"), data={"title": "X"}),
        lambda: approvals.plan_submit(actor=actor, plan_id=pk("draft")),
        lambda: approvals.task_claim(actor=actor, task_id=pk("review_task")),
        lambda: approvals.task_release(actor=actor, task_id=pk("claimed_task")),
        lambda: approvals.task_decide(actor=actor, task_id=pk("review_task"), outcome="approve"),
        lambda: approvals.task_decide(actor=actor, task_id=pk("sign_off_task"), outcome="approve"),
        lambda: approvals.plan_cancel(actor=actor, plan_id=pk("review")),
    )
    return tuple(attempt(cell, detail=True) for cell in cells)
