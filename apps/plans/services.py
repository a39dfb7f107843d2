"""Drafting and editing plans: services with an actor, a transaction and one history event.

Freezing a revision, moving the status and recording a decision happen only
as part of an approval action, so they are private helpers of the engine
(``workflows.services``); a domain app never imports the flows.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from django.db import transaction

from apps.audit.models import Action
from apps.audit.services import event_record
from apps.core.errors import Conflict, Forbidden, NotFound, ValidationError
from apps.org.models import Company, Department, DepartmentKind, Size
from apps.org.policy import has_company_perm, is_off_strategy, membership_of

from .kinds import KINDS, content_clean
from .models import CoreTask, Decision, Directive, Focus, Horizon, Plan, Scope, Status
from .selectors import plan_access
from .strategy import PROMOTIONAL, default_directive

CHOICES = {
    "focus": Focus.values,
    "core_task": CoreTask.values,
    "directive": Directive.values,
    "horizon": Horizon.values,
}


def _visible(text: str) -> bool:
    """Whether ``text`` shows anything: zero-width and other format characters do not."""
    return any(unicodedata.category(char)[0] not in ("C", "Z") for char in text)


def _clean_header(data: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    if not partial or "kind" in data:
        if data.get("kind") not in KINDS:
            errors["kind"] = [f"Choose one of: {', '.join(KINDS)}."]
        else:
            cleaned["kind"] = data["kind"]
    if not partial or "title" in data:
        title = str(data.get("title") or "").strip()
        if not _visible(title):
            errors["title"] = ["A plan needs a title."]
        elif "\x00" in title:
            errors["title"] = ["Remove the NUL character."]
        elif len(title) > 200:
            errors["title"] = ["At most 200 characters."]
        else:
            cleaned["title"] = title
    for name, allowed in CHOICES.items():
        if not partial or name in data:
            if data.get(name) not in allowed:
                errors[name] = [f"Choose one of: {', '.join(allowed)}."]
            else:
                cleaned[name] = data[name]
    if "core_task_reason" in data:
        reason = str(data.get("core_task_reason") or "").strip()
        if "\x00" in reason or len(reason) > 2000:
            errors["core_task_reason"] = ["At most 2000 characters, no NUL."]
        else:
            cleaned["core_task_reason"] = reason
    if "scope" in data:
        if data.get("scope") not in (None, "", *Scope.values):
            errors["scope"] = [f"Choose one of: {', '.join(Scope.values)}, or none."]
        else:
            cleaned["scope"] = data.get("scope") or None
    if errors:
        raise ValidationError("Please correct the highlighted fields.", fields=errors)
    return cleaned


def _check_strategy(company: Company, fields: dict[str, Any]) -> None:
    """A plan naming a core task other than the company's must say why; only promotions
    have a scope."""
    if fields.get("scope") and fields.get("kind") != PROMOTIONAL:
        raise ValidationError(
            "Only a promotional plan has a scope.", fields={"scope": ["Promotions only."]}
        )
    off = is_off_strategy(core_task=fields["core_task"], company_core_task=company.core_task)
    if off and not fields.get("core_task_reason"):
        message = (
            f"The company's current core task is {company.get_core_task_display().lower()}: "
            "say why this plan names another."
        )
        raise ValidationError(message, fields={"core_task_reason": [message]})


def _regions(company: Company, region_ids: list[int] | None) -> list[Department]:
    if not region_ids:
        return []
    if company.size != Size.LARGE:
        raise ValidationError(
            "Only large companies choose regions.", fields={"regions": ["Not applicable."]}
        )
    ids = {int(pk) for pk in region_ids}
    found = list(company.departments.filter(kind=DepartmentKind.SALES, pk__in=ids))
    if len(found) != len(ids):
        raise ValidationError(
            "Choose regions among the company's sales departments.",
            fields={"regions": ["Unknown region."]},
        )
    return found


@transaction.atomic
def plan_create(
    *,
    actor: Any,
    kind: str,
    title: str,
    horizon: str,
    focus: str = "",
    core_task: str = "",
    directive: str = "",
    core_task_reason: str = "",
    scope: str | None = None,
    content: dict[str, Any] | None = None,
    region_ids: list[int] | None = None,
    follows: Any = None,
) -> Plan:
    """Draft a new plan in the actor's company. Drafts may be incomplete.

    The focus and core task default to the company's strategy; the directive to
    mandatory for a national promotion, guiding otherwise. ``follows`` names a plan
    in execution that this one follows up (its author only).
    """
    membership = membership_of(actor)
    if membership is None or not has_company_perm(actor, membership.company, "draft_plans"):
        raise Forbidden("Only planners draft plans.")
    company = membership.company
    header = _clean_header(
        {
            "kind": kind,
            "title": title,
            "focus": focus or company.focus,
            "core_task": core_task or company.core_task,
            "directive": directive or default_directive(scope),
            "horizon": horizon,
            "core_task_reason": core_task_reason,
            "scope": scope,
        },
        partial=False,
    )
    _check_strategy(company, header)
    cleaned = content_clean(header["kind"], content or {}, complete=False)
    regions = _regions(company, region_ids)
    followed = _followed(actor, follows)
    plan = Plan.objects.create(
        company=company, author=actor, content=cleaned, follows=followed, **header
    )
    if regions:  # a new plan has none yet: nothing to compare with, only to add
        plan.regions.add(*regions)
    event_record(
        company_id=company.pk,
        plan_id=plan.pk,
        action=Action.CREATE,
        actor=actor,
        to_status=plan.status,
        data={
            "kind": plan.kind,
            "title": plan.title,
            **({"follows": plan.follows_id} if plan.follows_id else {}),
        },
    )
    return plan


def _followed(actor: Any, follows: Any) -> Plan | None:
    """The plan a follow-up follows: the actor's own plan, in execution."""
    if follows in (None, ""):
        return None
    followed = plan_access(user=actor, plan_id=follows)
    if followed.author_id != actor.pk:
        raise Forbidden("Only the author of a plan drafts its follow-up.")
    if followed.status != Status.IN_EXECUTION:
        raise ValidationError(
            "A follow-up follows a plan in execution.",
            fields={"follows": ["Choose a plan in execution."]},
        )
    return followed


def _lock_plan(plan_id: int) -> Plan:
    plan = Plan.objects.select_for_update().filter(pk=plan_id).first()
    if plan is None:
        raise NotFound()
    return plan


# Fixed at the first submission: the kind (it shapes the content), and the focus and
# core task (they decided the lead frozen in the plan's route), as are the regions;
# unless a reviewer asked to reclassify the plan (``may_reclassify``).
FIXED_ONCE_SUBMITTED = ("kind", "focus", "core_task", "core_task_reason")
RECLASSIFIABLE = ("focus", "core_task", "core_task_reason")


def may_reclassify(plan: Plan) -> bool:
    """A reviewer who requested changes on the current revision asked to reclassify the plan."""
    return (
        plan.status == Status.CHANGES_REQUESTED
        and Decision.objects.filter(
            plan=plan, revision__number=plan.revision_count, reclassify=True
        ).exists()
    )


def _keep_fixed_fields(plan: Plan, header: dict[str, Any], data: dict[str, Any]) -> None:
    """A submitted plan keeps the route it started with, so what decided it may not change.

    Otherwise the plan would read "market share" or "East only" while its reviews
    still followed the lead and the regions it was first submitted with.
    """
    reopened = RECLASSIFIABLE if may_reclassify(plan) else ()
    fixed = [
        name
        for name in FIXED_ONCE_SUBMITTED
        if name in header and header[name] != getattr(plan, name) and name not in reopened
    ]
    if "region_ids" in data:
        wanted = {region.pk for region in _regions(plan.company, data["region_ids"])}
        if wanted != set(plan.regions.values_list("pk", flat=True)):
            fixed.append("regions")
    if fixed:
        names = " and ".join(name.replace("_", " ") for name in fixed)
        raise ValidationError(
            f"The {names} of a submitted plan cannot change.",
            fields={name: ["Fixed after the first submission."] for name in fixed},
        )


@transaction.atomic
def plan_update(*, actor: Any, plan: Plan, data: dict[str, Any]) -> Plan:
    """Edit a draft, or a plan sent back for changes, by its author only.

    A plan the actor may not see (a colleague's draft, another company's plan)
    is not found, exactly like a missing one, before anything else is said about it.
    """
    plan = _lock_plan(plan_access(user=actor, plan_id=plan.pk).pk)
    if plan.author_id != getattr(actor, "pk", None):
        raise Forbidden("Only the author edits a plan.")
    if not plan.is_editable:
        raise Conflict(
            f"A plan that is {plan.get_status_display().lower()} cannot be edited; "
            "its submitted revisions are frozen."
        )
    if data.get("directive") == "":  # by scope, as when drafting
        data = {**data, "directive": default_directive(data.get("scope", plan.scope))}
    header = _clean_header(data, partial=True)
    if plan.was_submitted:
        _keep_fixed_fields(plan, header, data)
    kind = header.get("kind", plan.kind)
    _check_strategy(
        plan.company,
        {
            name: header.get(name, getattr(plan, name))
            for name in ("kind", "core_task", "core_task_reason", "scope")
        },
    )
    changed: list[str] = []
    if "content" in data:
        content = content_clean(kind, data["content"], complete=False)
    elif kind != plan.kind:
        content = {}
    else:
        content = plan.content
    if content != plan.content:
        changed.append("content")
        plan.content = content
    if "region_ids" in data:
        regions = _regions(plan.company, data["region_ids"])
        if {r.pk for r in regions} != set(plan.regions.values_list("pk", flat=True)):
            plan.regions.set(regions)
            changed.append("regions")
    reclassified: dict[str, list[str]] = {}
    for name, value in header.items():
        if getattr(plan, name) != value:
            if plan.was_submitted and name in RECLASSIFIABLE:
                reclassified[name] = [getattr(plan, name), value]
            setattr(plan, name, value)
            changed.append(name)
    if changed:
        plan.save()
        event_record(
            company_id=plan.company_id,
            plan_id=plan.pk,
            action=Action.EDIT,
            actor=actor,
            from_status=plan.status,
            to_status=plan.status,
            revision=plan.revision_count or None,
            data={
                "changed": sorted(changed),
                **({"reclassified": reclassified} if reclassified else {}),
            },
        )
    return plan
