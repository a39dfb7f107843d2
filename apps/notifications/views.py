"""The in-app notification pages: the list and its mark-as-read actions, the user's own only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import selectors, services


@login_required
def notification_list(request):
    page = Paginator(selectors.notifications_for(user=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(request, "notifications/list.html", {"page": page})


@login_required
@require_POST
def notification_read(request, notification_id: int):
    """Mark read; with ``open`` in the form, go on to what the notification is about."""
    # Another user's notification is the same "not found" as a missing one: a 404 page.
    notification = services.notification_mark_read(
        user=request.user, notification_id=notification_id
    )
    target = notification.url
    if "open" in request.POST and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications")


@login_required
@require_POST
def notifications_read_all(request):
    services.notifications_mark_all_read(user=request.user)
    return redirect("notifications")
