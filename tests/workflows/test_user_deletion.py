"""A user who holds approval work cannot be deleted; deactivation is the way out."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError
from django.test import Client

from apps.plans.models import Status
from tests.factories import open_task, submitted
from workflows import services as approvals
from workflows.models import ApprovalTask

User = get_user_model()


@pytest.fixture
def claimed(user):
    plan = submitted(user("maple.planner"))
    task = open_task(plan, step="review")
    approvals.task_claim(actor=user("maple.sales"), task_id=task.pk)
    return plan, task


def test_the_admin_refuses_to_delete_a_user_who_holds_a_task_and_says_deactivate(claimed, user):
    plan, task = claimed
    admin = Client()
    admin.force_login(User.objects.get(username="admin"))
    reviewer = user("maple.sales")
    page = admin.get(f"/admin/auth/user/{reviewer.pk}/delete/")
    assert page.status_code == 200
    assert b"deactivate the user instead" in page.content
    answer = admin.post(f"/admin/auth/user/{reviewer.pk}/delete/", {"post": "yes"})
    assert answer.status_code in (200, 403)
    assert User.objects.filter(pk=reviewer.pk).exists()
    assert ApprovalTask.objects.get(pk=task.pk).owner_id == reviewer.pk
    bulk = admin.post(
        "/admin/auth/user/",
        {"action": "delete_selected", "_selected_action": [reviewer.pk], "post": "yes"},
    )
    assert bulk.status_code == 200
    assert User.objects.filter(pk=reviewer.pk).exists()
    plan.refresh_from_db()
    assert plan.status == Status.IN_REVIEW


def test_deleting_from_elsewhere_is_refused_too(claimed, user):
    with pytest.raises(ProtectedError), transaction.atomic():  # the caller's work survives
        user("maple.sales").delete()
    assert ApprovalTask.objects.filter(pk=claimed[1].pk).exists()


def test_a_user_who_holds_nothing_can_still_be_deleted(db):
    someone = User.objects.create_user("passer.by", password="x-long-password-1")
    someone.delete()
    assert not User.objects.filter(username="passer.by").exists()
