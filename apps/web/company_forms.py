"""Forms of the company administration pages; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms

from apps.core.errors import DomainError
from apps.org.models import Company, CoreTask, DepartmentKind, Focus, Position, Role, Size
from apps.org.strategy import MAX_TOLERANCE

from .errors import form_show_error


class ServiceErrorsMixin:
    def show_error(self, error: DomainError) -> None:
        form_show_error(self, error)


class MemberForm(ServiceErrorsMixin, forms.Form):
    department = forms.ModelChoiceField(queryset=None, required=False)
    roles = forms.MultipleChoiceField(
        choices=Role.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    title = forms.CharField(max_length=120, required=False)
    position = forms.ChoiceField(
        choices=[("", "—"), *Position.choices],
        required=False,
        help_text="A position the company's size prescribes signs plans off: small, the "
        "combined department's head; medium, the general manager or the sales director; "
        "large, the marketing director.",
    )

    def __init__(self, *args: Any, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = company.departments.all()


class NewMemberForm(MemberForm):
    username = forms.CharField(max_length=150)
    first_name = forms.CharField(max_length=150, required=False)
    last_name = forms.CharField(max_length=150, required=False)
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput, help_text="At least 8 characters.")

    field_order = ["username", "first_name", "last_name", "email", "password"]


class DepartmentForm(ServiceErrorsMixin, forms.Form):
    name = forms.CharField(max_length=120)
    kind = forms.ChoiceField(choices=DepartmentKind.choices)
    region = forms.CharField(max_length=80, required=False)


class CompanySettingsForm(ServiceErrorsMixin, forms.Form):
    size = forms.ChoiceField(
        choices=Size.choices,
        help_text="Plans already in review keep the route they started with.",
    )
    review_days = forms.IntegerField(min_value=1, max_value=60, label="Review (working days)")
    signoff_days = forms.IntegerField(min_value=1, max_value=60, label="Sign-off (working days)")
    revision_days = forms.IntegerField(min_value=1, max_value=60, label="Revision (working days)")
    # optional: a form that leaves them out keeps the company's values
    takeup_days = forms.IntegerField(
        min_value=1, max_value=60, required=False, label="Take-up (working days)"
    )
    feedback_days = forms.IntegerField(
        min_value=1, max_value=60, required=False, label="Market feedback every (working days)"
    )


class StrategyForm(ServiceErrorsMixin, forms.Form):
    focus = forms.ChoiceField(
        choices=Focus.choices, help_text="Channels lean to sales, promotion to marketing."
    )
    core_task = forms.ChoiceField(
        choices=CoreTask.choices,
        label="Current core task",
        help_text="Launch and brand building: marketing leads. Market share: sales leads. "
        "A plan naming another core task must say why, and its sales review binds.",
    )
    forecast_tolerance_pct = forms.IntegerField(
        min_value=0,
        max_value=MAX_TOLERANCE,
        label="Forecast tolerance (%)",
        help_text="How far a sales target may exceed sales' own forecasts before the signer "
        "must comment.",
    )
