"""After sign-off: market feedback and replies on a plan, the close, and the market feed.

Take-up is decided on the task page like any other step. Each view parses,
calls one service or selector, and renders or redirects; errors become a
message on the plan page (``act``), and another company's objects are a 404.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.org.selectors import company_for
from apps.plans.models import FeedbackKind
from apps.plans.selectors import feedback_access, feedback_list_for, plan_list_for
from workflows import services as approvals

from ..errors import act


def _to_feedback(plan_id) -> str:
    return reverse("plan-detail", kwargs={"plan_id": plan_id}) + "#feedback"


@login_required
@require_POST
def feedback_file(request, plan_id):
    act(
        request,
        approvals.feedback_file,
        "Thank you: your market feedback is filed.",
        plan_id=plan_id,
        kind=request.POST.get("kind", ""),
        text=request.POST.get("text", ""),
        sales_to_date=request.POST.get("sales_to_date") or None,
    )
    return redirect(_to_feedback(plan_id))


@login_required
@require_POST
def feedback_reply(request, feedback_id):
    feedback = feedback_access(user=request.user, feedback_id=feedback_id)
    act(
        request,
        approvals.feedback_reply,
        "Reply sent.",
        feedback_id=feedback.pk,
        text=request.POST.get("text", ""),
    )
    if request.POST.get("next") == "feed":
        return redirect("feedback-feed")
    return redirect(_to_feedback(feedback.plan_id))


@login_required
@require_POST
def plan_close(request, plan_id):
    act(
        request,
        approvals.plan_close,
        "The plan is closed.",
        plan_id=plan_id,
        summary=request.POST.get("summary", ""),
        actual_sales=request.POST.get("actual_sales") or None,
    )
    return redirect("plan-detail", plan_id=plan_id)


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
def feedback_feed(request):
    """Every feedback of the company on the plans the user may see, newest first."""
    company = company_for(request.user)
    kind = request.GET.get("kind", "")
    kind = kind if kind in FeedbackKind.values else ""
    department = _int_or_none(request.GET.get("department"))
    plan = _int_or_none(request.GET.get("plan"))
    feed = feedback_list_for(user=request.user, kind=kind, department=department, plan=plan)
    page = Paginator(feed, 25).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.may_reply = approvals.may_reply(request.user, item.plan)
    plans = plan_list_for(user=request.user).filter(feedback__isnull=False).distinct()
    return render(
        request,
        "plans/feed.html",
        {
            "page": page,
            "kinds": FeedbackKind.choices,
            "departments": company.departments.order_by("name"),
            "plans": plans.order_by("title"),
            "filters": {"kind": kind, "department": department, "plan": plan},
        },
    )
