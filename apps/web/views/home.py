"""Each member's home page: a dashboard for what their roles do.

The planner sees drafts, plans sent back and plans in flight with who acts next and by
when; a reviewer the inbox and the queue, overdue first, with counts; a signer what waits
for sign-off; an auditor the latest activity. A person with several roles sees each part.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone

from apps.core import compiled
from apps.core.timeutils import now
from apps.org.models import Membership
from apps.org.policy import Step, company_perms
from apps.org.selectors import company_for_page
from apps.plans.history import event_list_for, label
from apps.plans.models import Plan, Status
from apps.plans.selectors import plan_list_for
from workflows.rules import standing_of
from workflows.selectors import (
    feedback_owed_first,
    in_flight_order,
    plans_in_flight_list,
    plans_next_steps_of,
    task_panel,
)


@login_required
def home(request):
    if request.user.is_superuser and not hasattr(request.user, "membership"):
        return redirect("admin:index")
    user = request.user
    company = company_for_page(user)
    # what the page asks of the user's rights, each read once and passed down: the company
    # permissions (one query for all of them) and the standing the task lists judge by
    perms = company_perms(user, company)
    # read once for the inbox, the queue and their counts (two statements for them all)
    standing = standing_of(user, membership=user.membership)
    tasks = task_panel(user=user, standing=standing)
    # the user's own lists and the recent plans in one statement, their next steps in one
    sees_submitted = "view_submitted_plans" in perms
    sent_back, in_flight, drafts, recent = compiled.objects_parts(
        ("home_plans", sees_submitted), _plan_lists(sees_submitted), company.pk, user.pk
    )
    sent_back, in_flight, recent = plans_next_steps_of(sent_back, in_flight, recent)
    return render(
        request,
        "home.html",
        {
            "company": company,
            "inbox": tasks.inbox,
            "queue": tasks.queue,
            "counts": tasks.counts,
            "sign_off": [t for t in tasks.inbox + tasks.queue if t.flow_task.step == Step.SIGN_OFF],
            "owed": feedback_owed_first(user=user),
            "today": timezone.localdate(now()),
            "drafts": drafts,
            "sent_back": sent_back,
            "in_flight": in_flight_order(in_flight),
            "activity": _activity(user) if "audit_plans" in perms else [],
            "recent": recent,
            "can_draft": "draft_plans" in perms,
        },
    )


def _plan_lists(sees_submitted: bool):
    """The home page's lists of plans, built for a member of ``company_id`` who is
    ``user_id`` (their statement is compiled once, ``apps.core.compiled``): the plans come
    from ``plan_list_for``, the one rule of who sees which plan, asked for that member."""

    def build(company_id: int, user_id: int) -> list:
        member = get_user_model()(pk=user_id, is_active=True, is_superuser=False)
        member.membership = Membership(user_id=user_id, company_id=company_id)
        perms = frozenset({"view_submitted_plans"} if sees_submitted else ())
        visible = plan_list_for(user=member, perms=perms)
        mine = visible.filter(author=member).order_by("-updated_at")
        return [
            mine.filter(status=Status.CHANGES_REQUESTED)[:10],
            plans_in_flight_list(user=member, visible=visible),
            mine.filter(status=Status.DRAFT)[:10],
            visible.order_by("-updated_at")[:8],
        ]

    return build


def _activity(user):
    """The auditor's latest activity: the newest events of the company, with plan titles."""
    events = [label(event) for event in event_list_for(user=user).order_by("-seq")[:10]]
    titles = dict(
        Plan.objects.filter(pk__in={e.plan_id for e in events}).values_list("pk", "title")
    )
    for event in events:
        event.plan_title = titles.get(event.plan_id, "")
    return events
