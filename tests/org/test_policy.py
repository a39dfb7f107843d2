"""The approval policy: routing by company size, deadlines, and routes frozen in flight."""

import pytest

from apps.audit.models import Event
from apps.core.errors import Forbidden, ValidationError
from apps.org import services as org_services
from apps.org.models import Company, Department
from apps.org.policy import outcomes_for, route_for
from apps.plans.models import Status
from tests.factories import decide, draft, member, refused, steps_of, submitted
from workflows import services as approvals


def _route(company_slug: str, author, **kwargs):
    return route_for(
        company=Company.objects.get(slug=company_slug),
        core_task="market_share",
        focus="channels",
        author_id=author.pk,
        **kwargs,
    )


def test_route_for_asks_the_departments_that_the_company_size_prescribes(user):
    for slug, author, size, departments in (
        ("lotus", "lotus.planner", "small", ["Marketing & Sales"]),
        ("maple", "maple.planner", "medium", ["Sales"]),
        ("north", "north.planner", "large", ["Eastern Sales", "Western Sales"]),
    ):
        route = _route(slug, user(author))

        assert route.size == size
        assert [d["name"] for d in route.review_departments] == departments
        assert route.deadlines == {
            "forecast": 3,
            "review": 3,
            "sign_off": 2,
            "revise": 5,
            "take_up": 3,
        }
        assert (route.lead, route.sales_review, route.focus_conflict) == (
            "sales",
            "binding",
            False,
        )

    western = Department.objects.get(name="Western Sales")
    route = _route("north", user("north.planner"), sales_department_ids=[western.pk])
    assert [d["name"] for d in route.review_departments] == ["Western Sales"]
    marketing = Department.objects.get(name="Marketing Centre")
    with pytest.raises(ValidationError) as error:
        _route("north", user("north.planner"), sales_department_ids=[marketing.pk])
    assert "regions" in error.value.fields


def test_a_company_without_a_reviewing_department_cannot_route_a_plan(user):
    company = org_services.company_create(name="Bare Threads", slug="bare", size="medium")
    author = member(company, "bare.planner", "planner")

    with pytest.raises(ValidationError) as error:
        _route("bare", author)
    assert "no department that reviews" in error.value.message


def test_outcomes_offered_by_each_step():
    assert outcomes_for(step="sign_off", sales_review="consultative") == [
        "approve",
        "request_changes",
        "reject",
    ]
    assert outcomes_for(step="sign_off", sales_review="binding") == [
        "approve",
        "request_changes",
        "reject",
    ]
    assert outcomes_for(step="revise", sales_review="binding") == []


def test_a_size_change_keeps_the_route_of_plans_in_flight(user):
    planner, director = user("north.planner"), user("north.director")
    in_flight = submitted(planner, title="Before the change")
    frozen = dict(in_flight.route)
    # a medium company's positions are filled before the change
    appoint(director, "general_manager")
    appoint(user("north.auditor"), "sales_director")

    org_services.company_update(
        actor=director, company=director.membership.company, size="medium", review_days=7
    )

    in_flight.refresh_from_db()
    assert in_flight.route == frozen
    decide(
        in_flight, user("north.sales.east"), "request_changes", "More.", department="Eastern Sales"
    )
    approvals.plan_submit(actor=planner, plan_id=in_flight.pk)
    in_flight.refresh_from_db()
    assert in_flight.route == frozen
    assert steps_of(in_flight) == [("review", "Eastern Sales"), ("review", "Western Sales")]

    after = submitted(planner, title="After the change")
    assert after.route["size"] == "medium"
    assert after.route["deadlines"]["review"] == 7
    assert steps_of(after) == [("review", "Eastern Sales")]


def appoint(person, position):
    membership = person.membership
    org_services.member_save(
        actor=None,
        company=membership.company,
        user=person,
        department=membership.department,
        roles=membership.role_names,
        title=membership.title,
        position=position,
    )


def test_only_a_company_administrator_changes_size_or_deadlines(user):
    company = Company.objects.get(slug="maple")
    events = Event.objects.count()
    for name in (
        "maple.planner",
        "maple.sales",
        "maple.salesdir",
        "maple.auditor",
        "north.director",
    ):
        with pytest.raises(Forbidden):
            org_services.company_update(actor=user(name), company=company, size="large")

    with pytest.raises(ValidationError) as error:
        org_services.company_update(
            actor=user("maple.gm"), company=company, size="huge", review_days=0
        )
    assert set(error.value.fields) == {"size", "review_days"}
    company.refresh_from_db()
    assert (company.size, company.review_days) == ("medium", 3)
    assert Event.objects.count() == events

    org_services.company_update(actor=user("maple.gm"), company=company, signoff_days=4)
    change = Event.objects.get(action="org_change", data__what="company_updated")
    assert (change.actor_name, change.data["signoff_days"]) == ("maple.gm", [2, 4])


def test_a_plan_cannot_be_submitted_when_nobody_may_sign_it_off(user):
    director = user("north.director")
    plan = draft(user("north.planner"))
    org_services.member_save(
        actor=None,
        company=director.membership.company,
        user=director,
        department=director.membership.department,
        roles={"admin"},
        position="",  # the marketing director's position is what signs at Northstar
    )

    with refused(ValidationError, plan) as error:
        approvals.plan_submit(actor=user("north.planner"), plan_id=plan.pk)
    assert "can sign off" in error.value.message
    assert plan.status == Status.DRAFT


def test_the_staffing_check_answers_as_reviewers_of_and_signers_of_for_every_author(world):
    """route_for's one compiled statement (``_staffed``) against the per-department queries,
    for every company, department and would-be author, with a reviewer removed and a
    signer deactivated on the way."""
    from django.contrib.auth import get_user_model

    from apps.core import compiled
    from apps.org.models import Company
    from apps.org.policy import _staffed, reviewers_of, signers_of

    users = get_user_model().objects.all()

    def check() -> set[bool]:
        answers = set()
        for company in Company.objects.prefetch_related("departments"):
            for author in users:
                staffed = compiled.values("route_staffed", _staffed, author.pk, company.pk)
                for department in company.departments.all():
                    expected = reviewers_of(department).exclude(pk=author.pk).exists()
                    assert (("review", department.pk) in staffed) is expected
                    answers.add(expected)
                expected = signers_of(company).exclude(pk=author.pk).exists()
                assert any(kind == "sign" for kind, _ in staffed) is expected
        return answers

    assert check() == {True, False}
    signer = signers_of(Company.objects.get(slug="maple")).first()
    signer.is_active = False
    signer.save()
    reviewer = reviewers_of(Company.objects.get(slug="north").departments.get(name="Eastern Sales"))
    reviewer.first().membership.delete()
    assert check() == {True, False}
