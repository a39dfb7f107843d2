"""Administrators see failed background jobs here, retry them or mark them resolved."""

from __future__ import annotations

from celery import current_app
from django.contrib import admin, messages

from apps.core import timeutils

from .models import FailedJob, Notification


@admin.register(FailedJob)
class FailedJobAdmin(admin.ModelAdmin):
    list_display = ("task_name", "args", "reason", "occurrences", "last_failed_at", "resolved_at")
    list_filter = ("task_name", ("resolved_at", admin.EmptyFieldListFilter))
    search_fields = ("task_name", "task_id", "reason")
    readonly_fields = [f.name for f in FailedJob._meta.fields]
    actions = ("retry", "resolve")

    @admin.action(description="Run again (and mark resolved)")
    def retry(self, request, queryset):
        for job in queryset.filter(resolved_at__isnull=True):
            task = current_app.tasks.get(job.task_name)
            if task is None:
                messages.error(request, f"Unknown task {job.task_name}.")
                continue
            task.apply_async(args=job.args, kwargs=job.kwargs)
            job.resolved_at = timeutils.now()
            job.save(update_fields=["resolved_at"])
        messages.success(request, "Queued again; a new failure shows up as a new row.")

    @admin.action(description="Mark resolved")
    def resolve(self, request, queryset):
        queryset.filter(resolved_at__isnull=True).update(resolved_at=timeutils.now())

    def has_add_permission(self, request):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("user", "kind", "message", "created_at", "read_at", "email_status")
    list_filter = ("kind", "email_status")
    search_fields = ("user__username", "message", "key")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request):
        return False
