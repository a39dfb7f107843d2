"""``company_for_page``: the membership a page reads once, with what the page asks of it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from apps.core.errors import NotFound
from apps.org.models import Membership
from apps.org.selectors import company_for_page

pytestmark = pytest.mark.django_db


def test_the_page_membership_is_the_members_with_its_company_department_and_roles(
    user, django_assert_num_queries
):
    for person in get_user_model().objects.order_by("pk"):
        fresh = get_user_model().objects.get(pk=person.pk)
        stored = (
            Membership.objects.filter(user=person).select_related("company", "department").first()
        )
        if stored is None:
            with pytest.raises(NotFound):
                company_for_page(fresh)
            continue
        roles = stored.role_names
        with django_assert_num_queries(2):
            company = company_for_page(fresh)
        with django_assert_num_queries(0):
            membership = fresh.membership
            assert company == stored.company and membership.pk == stored.pk
            assert membership.department == stored.department
            assert membership.role_names == roles and roles
            assert membership.company.name == stored.company.name
