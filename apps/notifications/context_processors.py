"""Template context: how many unread notifications the header's bell shows."""

from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def unread_notifications(request):
    """Counted only when a template uses it, so pages without the bell pay nothing."""
    user = getattr(request, "user", None)
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user=user))}
