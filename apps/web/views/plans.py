"""The plan pages: the list, drafting and editing, one plan with its route and history, diffs.

Each view parses input, calls one service or selector, and renders. Service
errors are answered as ``apps.web.errors`` says: a field error beside its
field, nothing typed lost; a missing plan and another company's are one 404.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.audit.selectors import event_list_for_plan
from apps.core.errors import DomainError
from apps.org.policy import Route, Step, is_head
from apps.org.selectors import company_for
from apps.plans import services as plans_services
from apps.plans.kinds import KIND_CHOICES, KINDS
from apps.plans.models import FeedbackKind, Status
from apps.plans.selectors import (
    content_rows,
    decision_list,
    execution_summary,
    plan_access,
    plan_feedback,
    plan_filter,
    plan_list_for,
    revision_diff,
    revision_get,
    revision_list,
)
from apps.plans.strategy import strategy_summary
from workflows import rules
from workflows import services as approvals
from workflows.selectors import (
    NEXT_STEPS,
    current_steps,
    plan_waiting_filter,
    plans_next_steps,
    route_stages,
)

from ..errors import act
from ..forms import PlanForm, plan_initial

WAITING_CHOICES = [(step, Step.LABELS[step]) for step in NEXT_STEPS]


@login_required
def plan_list(request):
    company_for(request.user)
    get = request.GET
    status, kind, query, waiting = (get.get(k, "") for k in ("status", "kind", "q", "waiting"))
    overdue, mine = get.get("overdue") == "1", get.get("mine") == "1"
    plans = plan_filter(
        plan_list_for(user=request.user).order_by("-updated_at", "-id"),
        status=status if status in Status.values else "",
        kind=kind if kind in KINDS else "",
        q=query,
    )
    plans = plan_waiting_filter(
        plans, user=request.user, step=waiting, overdue=overdue, mine=mine
    ).select_related("author", "company")
    page = Paginator(plans, 25).get_page(get.get("page"))
    page.object_list = plans_next_steps(page.object_list)
    filters = {"status": status, "kind": kind, "q": query, "waiting": waiting}
    filters.update({"overdue": "1" if overdue else "", "mine": "1" if mine else ""})
    return render(
        request,
        "plans/list.html",
        {
            "page": page,
            "statuses": Status.choices,
            "kinds": KIND_CHOICES,
            "waiting_choices": WAITING_CHOICES,
            "filters": filters,
            "query_string": urlencode({k: v for k, v in filters.items() if v}),
        },
    )


def _save_plan(request, form, plan=None):
    """Create or update through the service; then submit if the user asked to."""
    try:
        if plan is None:
            plan = plans_services.plan_create(
                actor=request.user,
                kind=form.kind,
                follows=request.POST.get("follows") or None,
                **form.service_data(),
            )
        else:
            plan = plans_services.plan_update(
                actor=request.user, plan=plan, data=form.service_data()
            )
    except DomainError as error:
        form.show_error(error)
        return None
    if "submit" not in request.POST:
        messages.success(request, "Saved.")
        return plan
    try:
        approvals.plan_submit(actor=request.user, plan_id=plan.pk)
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
    company = company_for(request.user)
    kind = request.POST.get("kind") or request.GET.get("kind")
    if kind not in KINDS:
        return render(request, "plans/choose_kind.html", {"kinds": KINDS.items()})
    form = PlanForm(
        request.POST or None,
        kind=kind,
        company=company,
        initial={"focus": company.focus, "core_task": company.core_task},  # the company's strategy
    )
    if request.method == "POST" and form.is_valid():
        plan = _save_plan(request, form)
        if plan is not None:
            return redirect("plan-detail", plan_id=plan.pk)
        if getattr(form, "saved_draft", None) is not None:
            return redirect("plan-edit", plan_id=form.saved_draft.pk)
    follows = request.POST.get("follows") or request.GET.get("follows") or ""
    followed = plan_access(user=request.user, plan_id=follows) if follows else None
    return render(
        request,
        "plans/form.html",
        {"form": form, "kind": kind, "kind_label": KINDS[kind][0], "followed": followed},
    )


@login_required
def plan_edit(request, plan_id):
    plan = plan_access(user=request.user, plan_id=plan_id)
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
    plan = plan_access(user=request.user, plan_id=plan_id)
    revisions = list(revision_list(plan=plan))
    latest = revisions[-1] if revisions else None
    previous = revisions[-2] if len(revisions) > 1 else None
    route = Route.from_dict(plan.route) if plan.route else None
    steps = current_steps(plan=plan)
    # Claim only where the viewer may take the task now; Decide where it is theirs already
    claimable = {
        step.task.pk
        for step in steps
        if step.step != Step.REVISE
        and (step.task.owner_id is None or rules.claim_is_stale(step.task))
        and rules.may_act(request.user, step.task)
    }
    mine = {
        s.task.pk for s in steps if s.step != Step.REVISE and s.task.owner_id == request.user.pk
    }
    return render(
        request,
        "plans/detail.html",
        {
            "stages": route_stages(plan=plan),
            "claimable": claimable,
            "mine": mine,
            "plan": plan,
            "route": route,
            "rows": content_rows(plan),
            "revisions": revisions,
            "latest": latest,
            "changes": revision_diff(previous, latest) if previous else [],
            "previous": previous,
            "steps": steps,
            "strategy": strategy_summary(plan),
            "decisions": decision_list(plan=plan),
            "events": event_list_for_plan(plan_id=plan.pk),
            "is_author": plan.author_id == request.user.pk,
            "may_cancel": not plan.is_final
            and (plan.author_id == request.user.pk or is_head(request.user, plan.company)),
            **_execution_context(request.user, plan),
        },
    )


def _execution_context(user, plan) -> dict:
    """Take-up, the feedback timeline and what the user may do about them (issue 11)."""
    in_execution = plan.status == Status.IN_EXECUTION
    may_close = in_execution and (plan.author_id == user.pk or is_head(user, plan.company))
    return {
        "execution": execution_summary(plan=plan),
        "feedback": plan_feedback(plan=plan),
        "feedback_kinds": FeedbackKind.choices,
        "may_file": in_execution and rules.executing_department_of(user, plan) is not None,
        "may_reply": approvals.may_reply(user, plan),
        "may_close": may_close,
        "may_follow_up": in_execution and plan.author_id == user.pk,
        "outcome": plan_outcome(plan),
    }


def plan_outcome(plan) -> dict | None:
    """A closed plan's actual sales against its target, or beside its expected uplift."""
    if plan.actual_sales is None:
        return None
    if plan.kind == "sales_target" and plan.content.get("target"):
        target = Decimal(str(plan.content["target"]))
        share = (plan.actual_sales / target * 100).quantize(Decimal("0.1")) if target else None
        return {"label": "Sales target", "planned": target, "share": share}
    uplift = plan.content.get("expected_uplift")
    return {"label": "Expected sales uplift", "planned": f"{uplift} %" if uplift else "—"}


@login_required
def revision_compare(request, plan_id, number):
    plan = plan_access(user=request.user, plan_id=plan_id)
    new = revision_get(plan=plan, number=number)
    against = request.GET.get("against")
    old = (
        revision_get(plan=plan, number=against)
        if against
        else (revision_get(plan=plan, number=new.number - 1) if new.number > 1 else None)
    )
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


@login_required
@require_POST
def plan_submit(request, plan_id):
    act(request, approvals.plan_submit, "Submitted for review.", plan_id=plan_id)
    return redirect("plan-detail", plan_id=plan_id)


@login_required
@require_POST
def plan_cancel(request, plan_id):
    act(
        request,
        approvals.plan_cancel,
        "The plan is cancelled.",
        plan_id=plan_id,
        comment=request.POST.get("comment", ""),
    )
    return redirect("plan-detail", plan_id=plan_id)
