"""Company administration: members, departments, roles, size and step deadlines.

Only the company's administrators reach these pages, and only for their own
company; anyone else gets a 404. The Django admin stays for the superuser.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.core.errors import DomainError
from apps.org import selectors, services
from apps.org.models import Size
from apps.org.policy import vacancies
from apps.org.strategy import company_strategy_update, strategy_history, strategy_of

from ..company_forms import (
    CompanySettingsForm,
    DepartmentForm,
    MemberForm,
    NewMemberForm,
    StrategyForm,
)
from ..errors import act


def _company(request):
    return selectors.company_admin_access(user=request.user)


@login_required
def company_home(request):
    company = _company(request)
    return render(
        request,
        "org/company.html",
        {
            "company": company,
            "members": selectors.member_list(company=company),
            "departments": selectors.department_list(company=company),
            "strategy_changes": strategy_history(company=company)[:10],
            "size_needs": {
                Size(size).label: vacancies(company, size)
                for size in Size.values
                if size != company.size
            },
        },
    )


@login_required
def company_strategy(request):
    company = _company(request)
    form = StrategyForm(request.POST or None, initial=strategy_of(company))
    if request.method == "POST" and form.is_valid():
        try:
            company_strategy_update(actor=request.user, company=company, **form.cleaned_data)
        except DomainError as error:
            form.show_error(error)
        else:
            messages.success(request, "The company's strategy is saved.")
            return redirect("company")
    return render(request, "org/form.html", {"form": form, "title": "Strategy"})


@login_required
def company_settings(request):
    company = _company(request)
    initial = {
        f: getattr(company, f)
        for f in (
            "size",
            "review_days",
            "signoff_days",
            "revision_days",
            "takeup_days",
            "feedback_days",
        )
    }
    form = CompanySettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.company_update(actor=request.user, company=company, **form.cleaned_data)
        except DomainError as error:
            form.show_error(error)
        else:
            messages.success(request, "Company settings saved.")
            return redirect("company")
    return render(request, "org/form.html", {"form": form, "title": "Size and deadlines"})


@login_required
def member_add(request):
    company = _company(request)
    form = NewMemberForm(request.POST or None, company=company)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.member_create(
                actor=request.user,
                company=company,
                username=data["username"],
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password"],
                department=data["department"],
                roles=set(data["roles"]),
                title=data["title"],
                position=data.get("position", ""),
            )
        except DomainError as error:
            form.show_error(error)
        else:
            messages.success(request, f"{data['username']} is now a member.")
            return redirect("company")
    return render(request, "org/form.html", {"form": form, "title": "Add a member"})


@login_required
def member_edit(request, membership_id):
    company = _company(request)
    membership = selectors.member_access(company=company, membership_id=membership_id)
    initial = {
        "department": membership.department,
        "roles": sorted(membership.role_names),
        "title": membership.title,
        "position": membership.position,
    }
    form = MemberForm(request.POST or None, company=company, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.member_save(
                actor=request.user,
                company=company,
                user=membership.user,
                department=data["department"],
                roles=set(data["roles"]),
                title=data["title"],
                position=data.get("position", ""),
            )
        except DomainError as error:
            form.show_error(error)
        else:
            messages.success(request, f"{membership.user.username} is updated.")
            return redirect("company")
    return render(
        request,
        "org/form.html",
        {"form": form, "title": f"Edit {membership.user.username}", "membership": membership},
    )


@login_required
@require_POST
def member_remove(request, membership_id):
    company = _company(request)
    membership = selectors.member_access(company=company, membership_id=membership_id)
    act(
        request,
        services.member_remove,
        "The member is removed and their access revoked.",
        membership=membership,
    )
    return redirect("company")


@login_required
def department_add(request):
    company = _company(request)
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.department_create(actor=request.user, company=company, **form.cleaned_data)
        except DomainError as error:
            form.show_error(error)
        else:
            messages.success(request, "Department added.")
            return redirect("company")
    return render(request, "org/form.html", {"form": form, "title": "Add a department"})


@login_required
@require_POST
def department_delete(request, department_id):
    company = _company(request)
    department = selectors.department_access(company=company, department_id=department_id)
    act(request, services.department_delete, "Department deleted.", department=department)
    return redirect("company")
