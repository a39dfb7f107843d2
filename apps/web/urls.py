"""Greenlight's pages, and viewflow's frontend behind its fence."""

from django.urls import include, path

from .frontend import guard_patterns, site
from .views import company, execution, history, home, overview, plans, tasks

site_patterns, site_app_name, site_namespace = site.urls

company_patterns = [
    path("", company.company_home, name="company"),
    path("settings/", company.company_settings, name="company-settings"),
    path("strategy/", company.company_strategy, name="company-strategy"),
    path("members/add/", company.member_add, name="member-add"),
    path("members/<int:membership_id>/", company.member_edit, name="member-edit"),
    path("members/<int:membership_id>/remove/", company.member_remove, name="member-remove"),
    path("departments/add/", company.department_add, name="department-add"),
    path(
        "departments/<int:department_id>/delete/",
        company.department_delete,
        name="department-delete",
    ),
]

history_patterns = [
    path("", history.audit_events, name="audit-events"),
    path("export/", history.audit_export, name="audit-export"),
]

urlpatterns = [
    path("", home.home, name="home"),
    path("plans/", plans.plan_list, name="plan-list"),
    path("plans/new/", plans.plan_create, name="plan-create"),
    path("plans/<int:plan_id>/", plans.plan_detail, name="plan-detail"),
    path("plans/<int:plan_id>/edit/", plans.plan_edit, name="plan-edit"),
    path("plans/<int:plan_id>/submit/", plans.plan_submit, name="plan-submit"),
    path("plans/<int:plan_id>/cancel/", plans.plan_cancel, name="plan-cancel"),
    path(
        "plans/<int:plan_id>/revisions/<int:number>/diff/",
        plans.revision_compare,
        name="revision-diff",
    ),
    path("plans/<int:plan_id>/feedback/", execution.feedback_file, name="feedback-file"),
    path("plans/<int:plan_id>/close/", execution.plan_close, name="plan-close"),
    path("feedback/", execution.feedback_feed, name="feedback-feed"),
    path("feedback/<int:feedback_id>/reply/", execution.feedback_reply, name="feedback-reply"),
    path("tasks/", tasks.task_list, name="task-list"),
    path("tasks/<int:task_id>/", tasks.task_detail, name="task-detail"),
    path("tasks/<int:task_id>/claim/", tasks.task_claim, name="task-claim"),
    path("tasks/<int:task_id>/release/", tasks.task_release, name="task-release"),
    path("overview/", overview.overview, name="overview"),
    path("audit/", include(history_patterns)),
    path("company/", include(company_patterns)),
    path(
        "workflow/",
        include((guard_patterns(site_patterns), site_app_name), namespace=site_namespace),
    ),
]
