"""Greenlight's own web pages: plans, their revisions and history, and approval tasks.

Each view parses input, calls one service or selector, and renders. A service's
``NotFound`` is a 404; any other domain error is shown to the user next to what
they typed, and nothing they typed is lost.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.audit.selectors import event_list_for_plan
from apps.core.errors import DomainError, NotFound
from apps.org.policy import Route, Step, has_company_perm, is_head, outcomes_for
from apps.org.selectors import company_for
from apps.plans import services as plan_services
from apps.plans.kinds import KIND_CHOICES, KINDS
from apps.plans.models import Status
from apps.plans.selectors import (
    content_rows,
    decision_list,
    plan_access,
    plan_list_for,
    revision_diff,
    revision_get,
    revision_list,
)

from . import services
from .forms import DecisionForm, PlanForm, plan_initial
from .policy import task_may_act
from .selectors import current_steps, task_access, task_done, task_inbox, task_queue


def _company_or_404(user):
    try:
        return company_for(user)
    except NotFound:
        raise Http404("Not found.") from None


def _plan_or_404(user, plan_id):
    try:
        return plan_access(user=user, plan_id=plan_id)
    except NotFound:
        raise Http404("Not found.") from None


def _task_or_404(user, task_id):
    try:
        return task_access(user=user, task_id=task_id)
    except NotFound:
        raise Http404("Not found.") from None


@login_required
def home(request):
    if request.user.is_superuser and not hasattr(request.user, "membership"):
        return redirect("admin:index")
    company = _company_or_404(request.user)
    mine = plan_list_for(user=request.user).filter(author=request.user)
    return render(
        request,
        "home.html",
        {
            "company": company,
            "inbox": task_inbox(user=request.user)[:10],
            "queue": task_queue(user=request.user)[:10],
            "needs_me": mine.filter(status__in=[Status.DRAFT, Status.CHANGES_REQUESTED]),
            "recent": plan_list_for(user=request.user).order_by("-updated_at")[:8],
            "can_draft": has_company_perm(request.user, company, "draft_plans"),
        },
    )


@login_required
def plan_list(request):
    _company_or_404(request.user)
    plans = plan_list_for(user=request.user).order_by("-updated_at", "-id")
    status, kind, query = (request.GET.get(k, "") for k in ("status", "kind", "q"))
    if status in Status.values:
        plans = plans.filter(status=status)
    if kind in KINDS:
        plans = plans.filter(kind=kind)
    if query:
        plans = plans.filter(Q(title__icontains=query) | Q(author__username__icontains=query))
    page = Paginator(plans, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "plans/list.html",
        {
            "page": page,
            "statuses": Status.choices,
            "kinds": KIND_CHOICES,
            "filters": {"status": status, "kind": kind, "q": query},
        },
    )


def _save_plan(request, form, plan=None):
    """Create or update through the service; then submit if the user asked to."""
    try:
        if plan is None:
            plan = plan_services.plan_create(
                actor=request.user, kind=form.kind, **form.service_data()
            )
        else:
            plan = plan_services.plan_update(
                actor=request.user, plan=plan, data=form.service_data()
            )
    except DomainError as error:
        form.show_error(error)
        return None
    if "submit" not in request.POST:
        messages.success(request, "Saved.")
        return plan
    try:
        services.plan_submit(actor=request.user, plan_id=plan.pk)
    except DomainError as error:
        form.show_error(error)
        reasons = "; ".join(
            f"{key.rsplit('.', 1)[-1].replace('_', ' ')}: {' '.join(texts)}"
            for key, texts in error.fields.items()
        )
        messages.warning(
            request,
            f"Your changes are saved, but the plan was not submitted: {reasons or error.message}",
        )
        form.saved_draft = plan  # the draft exists now: saving again must not create another
        return None
    messages.success(request, "Submitted for review.")
    return plan


@login_required
def plan_create(request):
    company = _company_or_404(request.user)
    kind = request.POST.get("kind") or request.GET.get("kind")
    if kind not in KINDS:
        return render(request, "plans/choose_kind.html", {"kinds": KINDS.items()})
    form = PlanForm(request.POST or None, kind=kind, company=company)
    if request.method == "POST" and form.is_valid():
        plan = _save_plan(request, form)
        if plan is not None:
            return redirect("plan-detail", plan_id=plan.pk)
        if getattr(form, "saved_draft", None) is not None:
            return redirect("plan-edit", plan_id=form.saved_draft.pk)
    return render(
        request, "plans/form.html", {"form": form, "kind": kind, "kind_label": KINDS[kind][0]}
    )


@login_required
def plan_edit(request, plan_id):
    plan = _plan_or_404(request.user, plan_id)
    if plan.author_id != request.user.pk or not plan.is_editable:
        messages.error(
            request,
            "Only the author edits a plan, and only while it is a draft or sent back for changes.",
        )
        return redirect("plan-detail", plan_id=plan.pk)
    form = PlanForm(
        request.POST or None, kind=plan.kind, company=plan.company, initial=plan_initial(plan)
    )
    if request.method == "POST" and form.is_valid():
        saved = _save_plan(request, form, plan)
        if saved is not None:
            return redirect("plan-detail", plan_id=plan.pk)
    requests = decision_list(plan=plan).filter(revision__number=plan.revision_count)
    return render(
        request,
        "plans/form.html",
        {
            "form": form,
            "plan": plan,
            "kind": plan.kind,
            "kind_label": KINDS[plan.kind][0],
            "requests": requests,
        },
    )


@login_required
def plan_detail(request, plan_id):
    plan = _plan_or_404(request.user, plan_id)
    revisions = list(revision_list(plan=plan))
    latest = revisions[-1] if revisions else None
    previous = revisions[-2] if len(revisions) > 1 else None
    route = Route.from_dict(plan.route) if plan.route else None
    return render(
        request,
        "plans/detail.html",
        {
            "plan": plan,
            "route": route,
            "rows": content_rows(plan),
            "revisions": revisions,
            "latest": latest,
            "changes": revision_diff(previous, latest) if previous else [],
            "previous": previous,
            "steps": current_steps(plan=plan),
            "decisions": decision_list(plan=plan),
            "events": event_list_for_plan(plan_id=plan.pk),
            "is_author": plan.author_id == request.user.pk,
            "may_cancel": not plan.is_final
            and (plan.author_id == request.user.pk or is_head(request.user, plan.company)),
        },
    )


@login_required
def revision_compare(request, plan_id, number):
    plan = _plan_or_404(request.user, plan_id)
    try:
        new = revision_get(plan=plan, number=number)
        against = request.GET.get("against")
        old = (
            revision_get(plan=plan, number=against)
            if against
            else (revision_get(plan=plan, number=new.number - 1) if new.number > 1 else None)
        )
    except NotFound:
        raise Http404("Not found.") from None
    return render(
        request,
        "plans/diff.html",
        {
            "plan": plan,
            "new": new,
            "old": old,
            "changes": revision_diff(old, new),
            "revisions": revision_list(plan=plan),
        },
    )


def _act(request, action, success, **kwargs):
    try:
        action(actor=request.user, **kwargs)
    except NotFound:
        raise Http404("Not found.") from None
    except DomainError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, success)
    return True


@login_required
@require_POST
def plan_submit(request, plan_id):
    _act(request, services.plan_submit, "Submitted for review.", plan_id=plan_id)
    return redirect("plan-detail", plan_id=plan_id)


@login_required
@require_POST
def plan_cancel(request, plan_id):
    _act(
        request,
        services.plan_cancel,
        "The plan is cancelled.",
        plan_id=plan_id,
        comment=request.POST.get("comment", ""),
    )
    return redirect("plan-detail", plan_id=plan_id)


@login_required
def task_list(request):
    _company_or_404(request.user)
    scope = request.GET.get("scope", "inbox")
    selectors = {"inbox": task_inbox, "queue": task_queue, "done": task_done}
    if scope not in selectors:
        scope = "inbox"
    page = Paginator(selectors[scope](user=request.user), 25).get_page(request.GET.get("page"))
    return render(request, "tasks/list.html", {"page": page, "scope": scope})


@login_required
def task_detail(request, task_id):
    task = _task_or_404(request.user, task_id)
    plan = task.process.planprocess.plan
    if task.flow_task.step == Step.REVISE and task.owner_id == request.user.pk:
        return redirect("plan-edit", plan_id=plan.pk)
    route = Route.from_dict(plan.route)
    form = DecisionForm(
        request.POST or None,
        outcomes=outcomes_for(step=task.flow_task.step, sales_review=route.sales_review),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.task_decide(
                actor=request.user,
                task_id=task.pk,
                outcome=form.cleaned_data["outcome"],
                comment=form.cleaned_data["comment"],
            )
        except NotFound:
            raise Http404("Not found.") from None
        except DomainError as error:
            form.show_error(error)
            # Someone may have acted meanwhile: show the task as it is now, not as it was.
            task = _task_or_404(request.user, task.pk)
            plan = task.process.planprocess.plan
        else:
            messages.success(request, "Your decision is recorded.")
            return redirect("plan-detail", plan_id=plan.pk)
    revisions = list(revision_list(plan=plan))
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
            "may_act": task_may_act(request.user, task),
            "is_open": task.finished is None and task.status != "CANCELED",
        },
    )


@login_required
@require_POST
def task_claim(request, task_id):
    _act(request, services.task_claim, "The task is yours now.", task_id=task_id)
    return redirect("task-detail", task_id=task_id)


@login_required
@require_POST
def task_release(request, task_id):
    _act(request, services.task_release, "The task is back in the queue.", task_id=task_id)
    return redirect("task-detail", task_id=task_id)
