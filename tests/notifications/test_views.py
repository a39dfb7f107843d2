"""The notification list, the unread count for the header's bell, and marking as read."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from apps.notifications.context_processors import unread_notifications
from apps.notifications.models import Notification
from apps.notifications.services import notifications_create
from tests.http import allowed_methods, sent_to_log_in


@pytest.fixture
def inbox(user):
    """Two notifications for maple.sales, one for maple.gm."""
    sales, gm = user("maple.sales"), user("maple.gm")
    Notification.objects.filter(user__in=[sales, gm]).delete()  # whatever the demo left them
    notifications_create(key="k1", users=[sales, gm], kind="task_queued", message="First", url="/")
    notifications_create(
        key="k2", users=[sales], kind="reminder", message="Second", detail="Soon.", url="/tasks/"
    )
    return Notification.objects.filter(user=sales).order_by("id")


def test_the_list_shows_only_my_notifications_newest_first(login, inbox):
    response = login("maple.sales").get(reverse("notifications"))

    assert response.status_code == 200
    listed = list(response.context["page"].object_list)
    assert [n.message for n in listed] == ["Second", "First"]
    assert response.context["unread_notifications"] == 2
    assert b"Soon." in response.content


def test_the_bell_counts_unread_notifications(user, inbox, rf: RequestFactory):
    request = rf.get("/")
    request.user = user("maple.sales")
    count = unread_notifications(request)["unread_notifications"]
    bell = render_to_string("notifications/_bell.html", {"unread_notifications": count})

    assert count == 2
    assert 'aria-label="Notifications: 2 unread"' in bell
    assert reverse("notifications") in bell


def test_opening_a_notification_marks_it_read_and_goes_to_its_page(login, inbox):
    first = inbox.first()
    client = login("maple.sales")

    response = client.post(reverse("notification-read", args=[first.pk]), {"open": "1"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    first.refresh_from_db()
    assert first.is_read
    assert client.get(reverse("notifications")).context["unread_notifications"] == 1


def test_mark_all_read_leaves_other_peoples_notifications_alone(login, inbox):
    login("maple.sales").post(reverse("notifications-read-all"))

    assert not Notification.objects.filter(user__username="maple.sales", read_at=None).exists()
    assert Notification.objects.get(user__username="maple.gm").read_at is None


def test_someone_elses_notification_is_not_found(login, inbox):
    theirs = Notification.objects.get(user__username="maple.gm")

    response = login("maple.sales").post(reverse("notification-read", args=[theirs.pk]))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_marking_read_needs_a_post_and_a_login(client, login, inbox):
    url = reverse("notification-read", args=[inbox.first().pk])
    assert sent_to_log_in(client.post(url), url)
    assert "POST" in allowed_methods(login("maple.sales").get(url))
    assert not Notification.objects.filter(pk=inbox.first().pk, read_at__isnull=False).exists()
