"""Company administration in the web UI: own company only, administrators only."""

from __future__ import annotations

from django.urls import reverse

from apps.org import services as org_services
from apps.org.models import Company, Department, Membership
from apps.org.policy import reviewers_of
from tests.factories import submitted
from tests.http import redirect_path


def test_administrator_adds_a_reviewer_who_then_sees_the_queue(client, user):
    submitted(user("maple.planner"), title="Autumn coats national promotion")
    client.force_login(user("maple.gm"))
    sales = Department.objects.get(company__slug="maple", name="Sales")
    response = client.post(
        "/company/members/add/",
        {
            "username": "maple.newrep",
            "first_name": "New",
            "last_name": "Rep",
            "email": "new@example.com",
            "password": "a-long-enough-password-42",
            "department": sales.pk,
            "roles": ["reviewer"],
        },
    )
    assert redirect_path(response) == reverse("company")
    membership = Membership.objects.get(user__username="maple.newrep")
    assert membership.company.slug == "maple"
    assert reviewers_of(sales).filter(username="maple.newrep").exists()
    client.force_login(membership.user)
    assert "Autumn coats national promotion" in client.get("/tasks/?scope=queue").content.decode()


def test_a_weak_password_is_explained_and_nothing_is_created(client, user):
    client.force_login(user("maple.gm"))
    response = client.post(
        "/company/members/add/",
        {"username": "maple.weak", "password": "123", "roles": ["planner"]},
    )
    assert response.status_code == 200
    assert "too short" in response.content.decode()
    assert not Membership.objects.filter(user__username="maple.weak").exists()


def test_deadlines_and_size_change_keep_plans_in_flight_on_their_route(client, user):
    plan = submitted(user("maple.planner"), title="Autumn coats national promotion")
    route_before = dict(plan.route)
    client.force_login(user("maple.gm"))
    settings = {"size": "large", "review_days": 4, "signoff_days": 2, "revision_days": 6}
    refused = client.post("/company/settings/", settings)  # nobody is marketing director yet
    assert refused.status_code == 200
    assert "marketing director" in refused.content.decode()
    gm = user("maple.gm")
    org_services.member_save(
        actor=gm,
        company=gm.membership.company,
        user=gm,
        department=gm.membership.department,
        roles=gm.membership.role_names,
        position="marketing_director",
    )
    response = client.post("/company/settings/", settings)
    assert redirect_path(response) == reverse("company")
    company = Company.objects.get(slug="maple")
    assert (company.size, company.review_days, company.revision_days) == ("large", 4, 6)
    plan.refresh_from_db()
    assert plan.route == route_before and plan.route["size"] == "medium"


def test_invalid_deadline_is_refused_with_a_message(client, user):
    client.force_login(user("maple.gm"))
    response = client.post(
        "/company/settings/",
        {"size": "medium", "review_days": 0, "signoff_days": 2, "revision_days": 5},
    )
    assert response.status_code == 200
    assert "Ensure this value is greater than or equal to 1." in response.content.decode()
    assert Company.objects.get(slug="maple").review_days == 3


def test_non_administrators_and_other_companies_get_not_found(client, user):
    lotus_member = Membership.objects.get(user__username="lotus.seller")
    for username in ("maple.planner", "maple.sales", "maple.auditor", "maple.salesdir"):
        client.force_login(user(username))
        assert client.get("/company/").status_code == 404, username
    client.force_login(user("maple.gm"))
    assert client.get(f"/company/members/{lotus_member.pk}/").status_code == 404
    response = client.post(f"/company/members/{lotus_member.pk}/remove/")
    assert response.status_code == 404
    assert Membership.objects.filter(pk=lotus_member.pk).exists()
    client.force_login(user("admin"))
    assert client.get("/company/").status_code == 404


def test_removing_a_member_revokes_their_access(client, user):
    client.force_login(user("maple.gm"))
    member = Membership.objects.get(user__username="maple.sales")
    response = client.post(f"/company/members/{member.pk}/remove/")
    assert redirect_path(response) == reverse("company")
    sales = Department.objects.get(company__slug="maple", name="Sales")
    assert not reviewers_of(sales).filter(username="maple.sales").exists()
    removed = user("maple.sales")
    assert not removed.is_active
    client.force_login(removed)
    response = client.get("/plans/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
