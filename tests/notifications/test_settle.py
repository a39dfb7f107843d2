"""Notices that asked someone to act are read once the task is acted on; a closed review
tells its reviewers why; a notice opens the current state of what it names."""

from django.urls import reverse

from apps.notifications.models import Notification
from apps.plans import services as plans_services
from tests.factories import decide, open_task, submitted
from workflows import services as approvals

from .conftest import TITLE, told


def _unread(username: str) -> list[str]:
    return list(
        Notification.objects.filter(
            user__username=username, read_at__isnull=True, message__contains=TITLE
        ).values_list("kind", flat=True)
    )


def test_the_queue_notice_is_read_once_the_reviewer_decides(user, committed):
    with committed():
        plan = submitted(user("maple.planner"), title=TITLE)
    assert _unread("maple.sales") == ["task_queued"]
    with committed():
        decide(plan, user("maple.sales"), "approve")
    assert _unread("maple.sales") == []
    # the signers' notices of the sign-off now waiting stay unread until one of them acts
    assert _unread("maple.gm") == ["task_queued"]
    with committed():
        decide(plan, user("maple.gm"), "approve", step="sign_off")
    assert _unread("maple.gm") == [] and _unread("maple.salesdir") == []


def test_sent_back_notice_is_read_once_the_author_resubmits(user, committed):
    planner = user("maple.planner")
    plan = submitted(planner, title=TITLE)
    with committed():
        decide(plan, user("maple.sales"), "request_changes", "Add the outlets.")
    assert _unread("maple.planner") == ["plan_decided"]
    with committed():
        approvals.plan_submit(actor=planner, plan_id=plan.pk)
    assert _unread("maple.planner") == []


def test_a_review_closed_by_the_other_region_tells_its_reviewer_why(user, committed, client):
    with committed():
        plan = submitted(user("north.planner"), title=TITLE)
    west_task = open_task(plan, step="review", department="Western Sales")
    with committed():
        decide(
            plan,
            user("north.sales.east"),
            "request_changes",
            "Prices for the east are missing.",
            department="Eastern Sales",
        )

    assert told("review_closed") == ["north.sales.west"]
    note = Notification.objects.get(kind="review_closed", message__contains=TITLE)
    assert note.message == (
        "Sales review of “Velvet scarves” (Western Sales) closed without your decision: "
        "Eastern Sales chose to request changes."
    )
    assert "Prices for the east are missing." in note.detail
    assert note.url == reverse("plan-detail", kwargs={"plan_id": plan.pk})
    # the "waiting in your queue" notice of the closed review no longer waits
    assert _unread("north.sales.west") == ["review_closed"]
    # and the finished task's page says what happened and links to the plan as it is now
    client.force_login(user("north.sales.west"))
    page = client.get(reverse("task-detail", kwargs={"task_id": west_task.pk})).content.decode()
    assert "closed without a decision" in page
    assert "See the plan as it is now" in page
    assert "Record decision" not in page


def test_a_finished_task_shows_the_revision_it_was_decided_on(user, client):
    planner = user("maple.planner")
    plan = submitted(planner, title=TITLE)
    first = open_task(plan, step="review")
    decide(plan, user("maple.sales"), "request_changes", "More regions.")
    content = {**plan.content, "regions": "Every region and the outlets"}
    plans_services.plan_update(actor=planner, plan=plan, data={"content": content})
    approvals.plan_submit(actor=planner, plan_id=plan.pk)
    decide(plan, user("maple.sales"), "approve")

    client.force_login(user("maple.sales"))
    page = client.get(reverse("task-detail", kwargs={"task_id": first.pk})).content.decode()
    assert "chose <strong>Request changes</strong> on revision 1" in page
    assert "as it was decided on (revision 1)" in page
    assert "Every region and the outlets" not in page


def test_cancelling_a_plan_settles_the_notices_that_asked_someone_to_act(user, committed):
    planner = user("maple.planner")
    with committed():
        waiting = submitted(planner, title=TITLE)
        sent_back = submitted(planner, title=TITLE)
    with committed():
        decide(sent_back, user("maple.sales"), "request_changes", "Add the outlets.")
    assert _unread("maple.sales") == ["task_queued"]  # the first plan's review waits
    assert _unread("maple.planner") == ["plan_decided"]  # the second was sent back
    with committed():
        approvals.plan_cancel(actor=planner, plan_id=waiting.pk, comment="Season moved.")
        approvals.plan_cancel(actor=planner, plan_id=sent_back.pk)
    waiting.refresh_from_db()
    assert waiting.status == "cancelled"
    assert _unread("maple.sales") == [] and _unread("maple.planner") == []
