"""The Django admin sets a company up as its size prescribes, and refuses a size it lacks."""

from __future__ import annotations

import pytest

from apps.org.models import Company, Membership

pytestmark = pytest.mark.django_db


def test_the_admin_adds_a_company_with_its_departments_positions_and_administrator(client, user):
    client.force_login(user("admin"))
    response = client.post(
        "/admin/org/company/add/",
        {
            "name": "Birch Wear",
            "slug": "birch",
            "size": "medium",
            "admin_username": "birch.gm",
            "admin_email": "gm@birch.example",
            "admin_password": "a-long-enough-password-42",
        },
        follow=True,
    )
    assert response.status_code == 200
    company = Company.objects.get(slug="birch")
    assert set(company.departments.values_list("name", flat=True)) == {
        "Marketing",
        "Sales",
        "Management",
    }
    boss = Membership.objects.get(user__username="birch.gm")
    assert (boss.company, boss.position) == (company, "general_manager")
    assert "Still to fill: a sales director (vacant)." in response.content.decode()


def test_the_admin_refuses_a_size_while_its_positions_are_vacant(client, user):
    client.force_login(user("admin"))
    north = Company.objects.get(slug="north")
    response = client.post(
        f"/admin/org/company/{north.pk}/change/", {"name": north.name, "size": "small"}
    )
    assert response.status_code == 200
    assert "head of the combined" in response.content.decode()
    north.refresh_from_db()
    assert north.size == "large"
