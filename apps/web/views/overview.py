"""The company overview for heads and auditors: where the plans stand, drawn as charts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.plans.history import history_company_access
from workflows.overview import Bar, company_overview


@login_required
@require_GET
def overview(request):
    company = history_company_access(user=request.user)  # heads and auditors; others 404
    data = company_overview(user=request.user)
    steps = data["step_times"]
    return render(
        request,
        "overview.html",
        {
            "company": company,
            **data,
            "median_bars": [Bar(row["label"], row["median"]) for row in steps],
            "slowest_bars": [Bar(row["label"], row["slowest"]) for row in steps],
            "rework_bars": [Bar(row["label"], row["rework"]) for row in data["rates"]["kind"]],
            "lead_bars": [Bar(row["label"], row["rejection"]) for row in data["rates"]["lead"]],
        },
    )
