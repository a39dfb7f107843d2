"""The organisation each size prescribes: departments, positions that sign, an administrator."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.core.errors import ValidationError
from apps.org import services as org_services
from apps.org.models import Company, Membership
from apps.org.policy import has_company_perm, signers_of
from tests.factories import member

pytestmark = pytest.mark.django_db

EXPECTED = {
    "small": (["Marketing & Sales"], "combined_head", "Marketing & Sales", []),
    "medium": (
        ["Marketing", "Sales", "Management"],
        "general_manager",
        "Management",
        ["a sales director (vacant)"],
    ),
    "large": (
        ["Marketing Centre", "Eastern Sales", "Western Sales"],
        "marketing_director",
        "Marketing Centre",
        [],
    ),
}


@pytest.mark.parametrize("size", EXPECTED)
def test_company_create_sets_up_the_departments_positions_and_administrator_of_its_size(
    size, world, monkeypatch
):
    monkeypatch.setenv("GREENLIGHT_ADMIN_PASSWORD", "a-long-enough-password-42")
    out = StringIO()
    call_command(
        "company_create",
        f"New {size} Co",
        slug=f"new{size}",
        size=size,
        admin=f"boss.{size}",
        stdout=out,
    )
    departments, position, department, vacant = EXPECTED[size]
    company = Company.objects.get(slug=f"new{size}")
    assert list(company.departments.order_by("id").values_list("name", flat=True)) == departments
    boss = Membership.objects.get(user__username=f"boss.{size}")
    assert (boss.company, boss.position, boss.department.name) == (company, position, department)
    assert boss.department.head == boss.user
    assert has_company_perm(boss.user, company, "administer_company")
    assert list(signers_of(company)) == [boss.user]  # the position signs
    assert boss.user.check_password("a-long-enough-password-42")
    if vacant:
        assert f"Still to fill: {', '.join(vacant)}." in out.getvalue()
    if size == "large":
        centre = company.departments.get(name="Marketing Centre")
        assert set(centre.sub_departments.values_list("name", flat=True)) == {
            "Eastern Sales",
            "Western Sales",
        }


def test_company_create_may_set_the_strategy_too(world):
    out = StringIO()
    call_command(
        "company_create",
        "Elm Co",
        slug="elm",
        size="small",
        admin="elm.head",
        focus="channels",
        core_task="market_share",
        stdout=out,
    )
    company = Company.objects.get(slug="elm")
    assert (company.focus, company.core_task) == ("channels", "market_share")
    assert "sets the strategy" not in out.getvalue()
    assert not Membership.objects.get(user__username="elm.head").user.has_usable_password()


def test_company_create_refuses_a_superuser_as_administrator(world):
    with pytest.raises(CommandError):
        call_command("company_create", "Odd Co", slug="odd", size="small", admin="admin")
    assert not Company.objects.filter(slug="odd").exists()


def test_a_size_change_is_refused_while_a_position_the_new_size_needs_is_vacant(user):
    director = user("north.director")
    company = director.membership.company
    with pytest.raises(ValidationError) as error:
        org_services.company_update(actor=director, company=company, size="medium")
    assert error.value.fields["size"] == ["a general manager (vacant)", "a sales director (vacant)"]
    company.refresh_from_db()
    assert company.size == "large"

    gm = member(company, "north.gm", department=director.membership.department)
    org_services.member_save(
        actor=director,
        company=company,
        user=gm,
        department=None,
        roles=set(),
        position="general_manager",
    )
    assert not signers_of(company).filter(pk=gm.pk).exists()  # not a position of a large company
    org_services.member_save(
        actor=director,
        company=company,
        user=user("north.auditor"),
        department=None,
        roles={"auditor"},
        position="sales_director",
    )
    org_services.company_update(actor=director, company=company, size="medium")
    company.refresh_from_db()

    # now the medium company's positions sign, and the marketing director's no longer does
    signers = set(signers_of(company).values_list("username", flat=True))
    assert {"north.gm", "north.auditor"} <= signers
    director.membership.roles.filter(role="signer").delete()
    org_services.membership_sync_permissions(membership=director.membership)
    assert not signers_of(company).filter(pk=director.pk).exists()


def test_a_position_has_one_holder(user):
    gm = user("maple.gm")
    with pytest.raises(ValidationError) as error:
        org_services.member_save(
            actor=gm,
            company=gm.membership.company,
            user=user("maple.sales"),
            department=user("maple.sales").membership.department,
            roles={"reviewer"},
            position="general_manager",
        )
    assert "maple.gm holds that position" in error.value.message
