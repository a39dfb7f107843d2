"""The task pages: my inbox, the queue, what I finished; one task with its decision form.

A decision, a claim and a release go through ``workflows.services``, which check
who may act; the page offers only the outcomes the step allows
(``workflows.rules.task_outcomes``), and the service refuses any other.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError, NotFound
from apps.core.pagination import CappedPaginator
from apps.org.policy import Route, Step
from apps.org.selectors import company_for
from apps.plans.selectors import content_rows, decision_list, revision_diff, revision_list
from apps.plans.strategy import strategy_summary
from workflows import rules, selectors
from workflows import services as approvals
from workflows.selectors import task_access, task_done

from ..errors import act
from ..forms import DecisionForm


@login_required
def task_list(request):
    company_for(request.user)
    scope = request.GET.get("scope", "inbox")
    if scope not in ("inbox", "queue", "done"):
        scope = "inbox"
    # the inbox and the queue count and read their first page through statements compiled
    # once (``selectors.TaskList``); counted to 1,000 at most, as what is done
    tasks = (
        task_done(user=request.user)
        if scope == "done"
        else selectors.task_list(user=request.user, scope=scope)
    )
    paginator = CappedPaginator(tasks, 25)
    page = paginator.get_page(request.GET.get("page"))
    return render(request, "tasks/list.html", {"page": page, "scope": scope})


@login_required
def task_detail(request, task_id):
    task = task_access(user=request.user, task_id=task_id)
    plan = task.process.planprocess.plan
    if task.flow_task.step == Step.REVISE and task.owner_id == request.user.pk:
        return redirect("plan-edit", plan_id=plan.pk)
    route = Route.from_dict(plan.route)
    outcomes = rules.task_outcomes(task)
    form = DecisionForm(request.POST or None, outcomes=outcomes)
    if request.method == "POST" and not rules.is_open(task):
        # decided or closed since the page was shown: say so, as the service would, instead
        # of refusing the chosen outcome as no longer one of the choices
        form = DecisionForm(outcomes=outcomes)
        messages.error(request, approvals.TASK_FINISHED)
    elif request.method == "POST" and form.is_valid():
        try:
            approvals.task_decide(
                actor=request.user,
                task_id=task.pk,
                outcome=form.cleaned_data["outcome"],
                comment=form.cleaned_data["comment"],
                amount=form.cleaned_data["amount"] or None,
                reclassify=form.cleaned_data["reclassify"],
            )
        except NotFound:
            raise
        except DomainError as error:
            form.show_error(error)
            # Someone may have acted meanwhile: show the task as it is now, not as it was.
            task = task_access(user=request.user, task_id=task.pk)
            plan = task.process.planprocess.plan
        else:
            messages.success(request, "Your decision is recorded.")
            return redirect("plan-detail", plan_id=plan.pk)
    revisions = list(revision_list(plan=plan))
    decided = decision_list(plan=plan).filter(task_id=task.pk).first()
    if not rules.is_open(task):
        # a finished task shows the revision it was decided on, not the plan's newest one
        number = decided.revision.number if decided else _revision_at(revisions, task)
        revisions = [r for r in revisions if r.number <= number]
    latest = revisions[-1] if revisions else None
    previous = revisions[-2] if len(revisions) > 1 else None
    return render(
        request,
        "tasks/detail.html",
        {
            "task": task,
            "plan": plan,
            "route": route,
            "form": form,
            "rows": content_rows(latest) if latest else [],
            "latest": latest,
            "previous": previous,
            "changes": revision_diff(previous, latest) if previous else [],
            "decisions": decision_list(plan=plan),
            "outcomes": outcomes,
            "strategy": strategy_summary(plan),
            "may_act": rules.may_act(request.user, task),
            "is_open": rules.is_open(task),
            "decided": decided,
        },
    )


def _revision_at(revisions, task) -> int:
    """The newest revision frozen before the task opened (a task closed without a decision)."""
    before = [r.number for r in revisions if r.created_at <= task.created]
    return before[-1] if before else (revisions[-1].number if revisions else 0)


@login_required
@require_POST
def task_claim(request, task_id):
    act(request, approvals.task_claim, "The task is yours now.", task_id=task_id)
    return redirect("task-detail", task_id=task_id)


@login_required
@require_POST
def task_release(request, task_id):
    act(request, approvals.task_release, "The task is back in the queue.", task_id=task_id)
    return redirect("task-detail", task_id=task_id)
