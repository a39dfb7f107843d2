"""The people who may act hear when work lands in their queue; authors hear the outcome."""

from django.urls import reverse

from apps.notifications.models import EmailStatus, Notification
from tests.factories import decide, open_task, submitted
from workflows import services as approvals

from .conftest import TITLE, mailed, told


def test_reviewer_is_told_when_a_review_lands_in_their_queue(user, committed, mailoutbox):
    with committed():
        plan = submitted(user("maple.planner"), title=TITLE)
    task = open_task(plan, step="review")

    note = Notification.objects.get(kind="task_queued", message__contains=TITLE)
    assert note.user.username == "maple.sales"
    assert note.message == "Sales review of “Velvet scarves” (Sales) is waiting in your queue."
    assert note.url == reverse("task-detail", kwargs={"task_id": task.pk})
    assert note.read_at is None
    assert note.email_status == EmailStatus.SENT
    assert mailed(mailoutbox) == ["maple.sales@example.com"]
    assert "Velvet scarves" in mailoutbox[0].subject
    assert f"http://127.0.0.1:8000/tasks/{task.pk}/" in mailoutbox[0].body


def test_each_region_hears_only_of_its_own_review(user, committed, mailoutbox):
    with committed():
        submitted(user("north.planner"), title=TITLE)

    assert told("task_queued") == ["north.sales.east", "north.sales.west"]
    east = Notification.objects.get(user__username="north.sales.east", message__contains=TITLE)
    assert "(Eastern Sales)" in east.message
    assert mailed(mailoutbox) == ["north.sales.east@example.com", "north.sales.west@example.com"]


def test_signers_but_not_the_author_are_told_when_sign_off_opens(user, committed, mailoutbox):
    plan = submitted(user("maple.planner"), title=TITLE)
    with committed():
        decide(plan, user("maple.sales"), "approve")

    assert told("task_queued") == ["maple.gm", "maple.salesdir"]
    assert told("plan_decided") == []  # approved by review: not decided yet
    assert mailed(mailoutbox) == ["maple.gm@example.com", "maple.salesdir@example.com"]


def test_author_is_told_when_the_plan_is_approved(user, committed, mailoutbox):
    plan = submitted(user("maple.planner"), title=TITLE)
    decide(plan, user("maple.sales"), "approve")
    with committed():
        decide(plan, user("maple.gm"), "approve", step="sign_off")

    note = Notification.objects.get(kind="plan_decided", message__contains=TITLE)
    assert note.user.username == "maple.planner"
    assert note.message == "Your plan “Velvet scarves” was approved."
    assert note.url == reverse("plan-detail", kwargs={"plan_id": plan.pk})
    # and sales hears that the take-up waits in its queue (issue 11)
    assert mailed(mailoutbox) == ["maple.planner@example.com", "maple.sales@example.com"]


def test_author_is_told_with_the_comment_when_the_plan_is_sent_back(user, committed, mailoutbox):
    plan = submitted(user("maple.planner"), title=TITLE)
    sales = user("maple.sales")
    sales.first_name, sales.last_name = "Sean", "Ortiz"
    sales.save()
    with committed():
        decide(plan, sales, "request_changes", "Budget per store, please.")

    note = Notification.objects.get(kind="plan_decided", message__contains=TITLE)
    assert note.user.username == "maple.planner"
    assert note.message == "Your plan “Velvet scarves” was sent back for changes."
    assert note.detail == "Sean Ortiz: Budget per store, please."
    # the revision task is the author's: no second "waiting in your queue" message
    assert told("task_queued") == []
    assert mailed(mailoutbox) == ["maple.planner@example.com"]
    assert "Budget per store, please." in mailoutbox[0].body


def test_author_is_told_when_the_plan_is_rejected(user, committed):
    plan = submitted(user("maple.planner"), title=TITLE)
    with committed():
        decide(plan, user("maple.sales"), "reject", "Not this season.")

    assert told("plan_decided") == ["maple.planner"]
    assert Notification.objects.get(kind="plan_decided", message__contains=TITLE).message.endswith(
        "was rejected."
    )


def test_a_released_task_is_announced_to_the_queue_again(user, committed, mailoutbox):
    plan = submitted(user("north.planner"), title=TITLE)
    task = open_task(plan, step="review", department="Eastern Sales")
    east = user("north.sales.east")
    approvals.task_claim(actor=east, task_id=task.pk)
    with committed():
        approvals.task_release(actor=east, task_id=task.pk)

    note = Notification.objects.get(kind="task_queued", message__contains=TITLE)
    assert note.user == east
    assert note.message.endswith("is waiting again in your queue.")
    assert mailed(mailoutbox) == ["north.sales.east@example.com"]
