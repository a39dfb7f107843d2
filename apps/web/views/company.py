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


def _form_page(request, form, *, title: str, save, **context):
    """An administration form: a valid POST calls ``save(cleaned_data)``, which returns what
    to tell the administrator; a refusal shows by the form, with what was typed kept."""
    if request.method == "POST" and form.is_valid():
        try:
            message = save(form.cleaned_data)
        except DomainError as error:
            form.show_error(error)
        else:
            messages.success(request, message)
            return redirect("company")
    return render(request, "org/form.html", {"form": form, "title": title, **context})


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

    def save(data):
        company_strategy_update(actor=request.user, company=company, **data)
        return "The company's strategy is saved."

    return _form_page(request, form, title="Strategy", save=save)


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

    def save(data):
        services.company_update(actor=request.user, company=company, **data)
        return "Company settings saved."

    return _form_page(request, form, title="Size and deadlines", save=save)


@login_required
def member_add(request):
    company = _company(request)
    form = NewMemberForm(request.POST or None, company=company)

    def save(data):
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
        return f"{data['username']} is now a member."

    return _form_page(request, form, title="Add a member", save=save)


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

    def save(data):
        services.member_save(
            actor=request.user,
            company=company,
            user=membership.user,
            department=data["department"],
            roles=set(data["roles"]),
            title=data["title"],
            position=data.get("position", ""),
        )
        return f"{membership.user.username} is updated."

    title = f"Edit {membership.user.username}"
    return _form_page(request, form, title=title, save=save, membership=membership)


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

    def save(data):
        services.department_create(actor=request.user, company=company, **data)
        return "Department added."

    return _form_page(request, form, title="Add a department", save=save)


@login_required
@require_POST
def department_delete(request, department_id):
    company = _company(request)
    department = selectors.department_access(company=company, department_id=department_id)
    act(request, services.department_delete, "Department deleted.", department=department)
    return redirect("company")
