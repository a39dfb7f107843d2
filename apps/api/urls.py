"""The REST API under /api/. Paths are part of the contract (issue 4); URL names use dashes.

Object ids are captured as text and converted by the selectors, so that a
malformed id gets the same JSON 404 as a missing one rather than Django's page.
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import AllowAny

from .views import audit, auth, company, execution, fallback, plans, tasks

app_name = "api"

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("me/", auth.MeView.as_view(), name="me"),
    path("company/strategy/", company.CompanyStrategyView.as_view(), name="company-strategy"),
    path("plans/", plans.PlanListView.as_view(), name="plan-list"),
    path("plans/<str:plan_id>/", plans.PlanDetailView.as_view(), name="plan-detail"),
    path("plans/<str:plan_id>/submit/", plans.PlanSubmitView.as_view(), name="plan-submit"),
    path("plans/<str:plan_id>/cancel/", plans.PlanCancelView.as_view(), name="plan-cancel"),
    path(
        "plans/<str:plan_id>/revisions/",
        plans.RevisionListView.as_view(),
        name="plan-revisions",
    ),
    path(
        "plans/<str:plan_id>/revisions/<str:number>/diff/",
        plans.RevisionDiffView.as_view(),
        name="plan-revision-diff",
    ),
    path("plans/<str:plan_id>/history/", plans.PlanHistoryView.as_view(), name="plan-history"),
    path(
        "plans/<str:plan_id>/feedback/",
        execution.PlanFeedbackView.as_view(),
        name="plan-feedback",
    ),
    path("plans/<str:plan_id>/close/", execution.PlanCloseView.as_view(), name="plan-close"),
    path("feedback/", execution.FeedbackListView.as_view(), name="feedback-list"),
    path(
        "feedback/<str:feedback_id>/replies/",
        execution.FeedbackReplyView.as_view(),
        name="feedback-replies",
    ),
    path("tasks/", tasks.TaskListView.as_view(), name="task-list"),
    path("tasks/<str:task_id>/claim/", tasks.TaskClaimView.as_view(), name="task-claim"),
    path("tasks/<str:task_id>/release/", tasks.TaskReleaseView.as_view(), name="task-release"),
    path("tasks/<str:task_id>/decide/", tasks.TaskDecideView.as_view(), name="task-decide"),
    path("audit/events/", audit.AuditEventListView.as_view(), name="audit-events"),
    path("audit/export/", audit.AuditExportView.as_view(), name="audit-export"),
    path(
        "schema/",
        SpectacularAPIView.as_view(permission_classes=[AllowAny], authentication_classes=[]),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api:schema", permission_classes=[AllowAny]),
        name="docs",
    ),
    re_path(r"", fallback.NotFoundView.as_view(), name="not-found"),
]
