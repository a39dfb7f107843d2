"""Each member's home page: their inbox and queue, their plans that wait for them, recent plans."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from apps.core.timeutils import now
from apps.org.policy import has_company_perm
from apps.org.selectors import company_for
from apps.plans.models import Status
from apps.plans.selectors import plan_list_for
from workflows.selectors import feedback_owed, task_inbox, task_queue


@login_required
def home(request):
    if request.user.is_superuser and not hasattr(request.user, "membership"):
        return redirect("admin:index")
    company = company_for(request.user)
    mine = plan_list_for(user=request.user).filter(author=request.user)
    return render(
        request,
        "home.html",
        {
            "company": company,
            "inbox": task_inbox(user=request.user)[:10],
            "queue": task_queue(user=request.user)[:10],
            "owed": feedback_owed(user=request.user)[:10],
            "today": timezone.localdate(now()),
            "needs_me": mine.filter(status__in=[Status.DRAFT, Status.CHANGES_REQUESTED]),
            "recent": plan_list_for(user=request.user).order_by("-updated_at")[:8],
            "can_draft": has_company_perm(request.user, company, "draft_plans"),
        },
    )
