from django.urls import include, path

from . import views
from .frontend import guard_patterns, site

site_patterns, site_app_name, site_namespace = site.urls

urlpatterns = [
    path("", views.home, name="home"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:plan_id>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:plan_id>/edit/", views.plan_edit, name="plan-edit"),
    path("plans/<int:plan_id>/submit/", views.plan_submit, name="plan-submit"),
    path("plans/<int:plan_id>/cancel/", views.plan_cancel, name="plan-cancel"),
    path(
        "plans/<int:plan_id>/revisions/<int:number>/diff/",
        views.revision_compare,
        name="revision-diff",
    ),
    path("tasks/", views.task_list, name="task-list"),
    path("tasks/<int:task_id>/", views.task_detail, name="task-detail"),
    path("tasks/<int:task_id>/claim/", views.task_claim, name="task-claim"),
    path("tasks/<int:task_id>/release/", views.task_release, name="task-release"),
    path("audit/", include("workflows.audit_urls")),
    path("notifications/", include("workflows.notification_urls")),
    path(
        "workflow/",
        include((guard_patterns(site_patterns), site_app_name), namespace=site_namespace),
    ),
]
