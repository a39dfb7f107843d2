"""The Django admin's user pages, refusing to delete someone who holds approval work.

viewflow's ``Task.owner`` cascades: deleting a user in the admin would delete
the tasks they claimed or finished and strand their plans. Such a user is
shown as protected (the admin then refuses, and says why); deactivating them
(``Active`` off) keeps their work and history, and revokes their API tokens.
A deletion from anywhere else is refused by ``user_delete_guard``.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import ProtectedError
from django.db.models.signals import pre_delete

from .models import ApprovalTask

User = get_user_model()


def held_work(users) -> list[str]:
    """What each user holds: the tasks they own, described for the admin."""
    tasks = ApprovalTask.objects.filter(owner__in=users).select_related(
        "owner", "process__planprocess__plan"
    )
    return [
        f"Task #{task.pk} ({task.flow_task.name.replace('_', ' ')} of plan "
        f"“{task.process.planprocess.plan.title}”) held by {task.owner.username}: "
        "deactivate the user instead (untick “Active”), which keeps their work and history"
        for task in tasks.order_by("pk")
    ]


class GreenlightUserAdmin(UserAdmin):
    def get_deleted_objects(self, objs, request):
        deleted, counts, perms, protected = super().get_deleted_objects(objs, request)
        return deleted, counts, perms, [*protected, *held_work(list(objs))]


def user_delete_guard(sender, instance, **kwargs) -> None:
    """A user who holds tasks is never deleted, whatever deletes them."""
    work = held_work([instance])
    if work:
        raise ProtectedError(
            f"{instance.username} holds approval tasks; deactivate them instead.",
            set(ApprovalTask.objects.filter(owner=instance)),
        )


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, GreenlightUserAdmin)
pre_delete.connect(user_delete_guard, sender=User, dispatch_uid="workflows_user_delete_guard")
