"""The company history page and its exports, for the company's auditors and heads.

Both read through ``apps.plans.history.event_list_for``: the user's company only,
and only the plans they may see. Anyone else, and any other company, gets a
404. Both are GET only; nothing here writes.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from apps.audit.export import FORMATS, export_stream
from apps.audit.models import Action
from apps.audit.selectors import chain_head_for
from apps.org.models import Company, Membership
from apps.plans.history import (
    STEP_LABELS,
    event_filter,
    event_list_for,
    history_company_access,
    history_plan_choices,
    label,
)
from apps.plans.models import Plan
from apps.plans.selectors import plan_list_for

STEP_CHOICES = [("", "any"), *STEP_LABELS.items()]
PAGE_SIZE = 50


class HistoryFilterForm(forms.Form):
    plan = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    person = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    action = forms.ChoiceField(required=False, choices=[("", "any"), *Action.choices])
    step = forms.ChoiceField(required=False, choices=STEP_CHOICES)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: Any, *, user: Any, company: Company) -> None:
        super().__init__(data)
        plans = (
            history_plan_choices(user=user, company=company)
            .order_by("title")
            .values_list("pk", "title")
        )
        self.fields["plan"].choices = [("", "any"), *plans]
        people = (
            Membership.objects.filter(company=company)
            .order_by("user__username")
            .values_list("user_id", "user__username")
        )
        self.fields["person"].choices = [("", "anyone"), *people]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", "The end of the range comes before its start.")
        return cleaned

    def filters(self) -> dict[str, Any]:
        """The valid filters, as ``event_filter`` takes them (invalid ones are left out)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = self.cleaned_data
        return {
            "plan_id": data.get("plan"),
            "actor_id": data.get("person"),
            "action": data.get("action") or "",
            "step": data.get("step") or "",
            "since": data.get("since"),
            "until": data.get("until"),
        }


def _query_without(request, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
@require_GET
def audit_events(request):
    company = history_company_access(user=request.user)
    form = HistoryFilterForm(request.GET or None, user=request.user, company=company)
    events = event_filter(event_list_for(user=request.user), **form.filters())
    page = Paginator(events.order_by("-seq"), PAGE_SIZE).get_page(request.GET.get("page"))
    plan_ids = {e.plan_id for e in page if e.plan_id}
    titles = dict(Plan.objects.filter(pk__in=plan_ids).values_list("pk", "title"))
    openable = set(
        plan_list_for(user=request.user).filter(pk__in=plan_ids).values_list("pk", flat=True)
    )
    for event in page:
        event.plan_title = titles.get(event.plan_id, "")
        event.plan_openable = event.plan_id in openable
        label(event)
    return render(
        request,
        "audit/events.html",
        {
            "company": company,
            "form": form,
            "page": page,
            "head": chain_head_for(company_id=company.pk),
            "query": _query_without(request, "page", "format"),
            "formats": sorted(FORMATS),
        },
    )


@login_required
@require_GET
def audit_export(request):
    company = history_company_access(user=request.user)
    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        return HttpResponseBadRequest("Choose format=csv or format=jsonl.")
    form = HistoryFilterForm(request.GET, user=request.user, company=company)
    if not form.is_valid():
        return HttpResponseBadRequest("Invalid filter: " + form.errors.as_text())
    events = event_filter(event_list_for(user=request.user), **form.filters())
    content_type, extension = FORMATS[fmt]
    response = StreamingHttpResponse(export_stream(events, fmt), content_type=content_type)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="{company.slug}-audit-{stamp}.{extension}"'
    )
    response["Cache-Control"] = "no-store"
    return response
