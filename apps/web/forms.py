"""Web forms: they collect and redisplay input; the services decide what is valid."""

from __future__ import annotations

from typing import Any

from django import forms

from apps.core.errors import DomainError
from apps.org.models import Company, DepartmentKind, Size
from apps.org.policy import Outcome
from apps.plans.kinds import DATE, LONGTEXT, MONEY, PERCENT, fields_of
from apps.plans.models import CoreTask, Directive, Focus, Horizon, Scope

from .errors import form_show_error

CONTENT_PREFIX = "c_"


class PlanForm(forms.Form):
    title = forms.CharField(max_length=200)
    focus = forms.ChoiceField(choices=Focus.choices, help_text="Where the marketing effort lies.")
    core_task = forms.ChoiceField(
        choices=CoreTask.choices,
        help_text="Launch and brand building: marketing leads. Market share: sales leads "
        "and its review binds.",
    )
    core_task_reason = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Why another core task",
        help_text="Required when the core task differs from the company's: the plan is then "
        "off-strategy and its sales review binds.",
    )
    directive = forms.ChoiceField(
        choices=[
            ("", "By scope: mandatory for a national promotion, else guiding"),
            *Directive.choices,
        ],
        required=False,
    )
    horizon = forms.ChoiceField(choices=Horizon.choices)

    def __init__(self, *args: Any, kind: str, company: Company, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        if kind == "promotional":
            self.fields["scope"] = forms.ChoiceField(
                choices=[("", "—"), *Scope.choices],
                required=False,
                help_text="A national promotion is decided by the professionals: mandatory.",
            )
        for field in fields_of(kind):
            label = f"{field.label} *" if field.required else field.label
            attrs: dict[str, str] = {}
            widget: forms.Widget
            if field.type == LONGTEXT:
                widget = forms.Textarea(attrs={"rows": 3})
            elif field.type == DATE:
                widget = forms.DateInput(attrs={"type": "date"})
            elif field.type in (MONEY, PERCENT):
                widget = forms.TextInput(attrs={"inputmode": "decimal"})
            else:
                widget = forms.TextInput(attrs=attrs)
            self.fields[CONTENT_PREFIX + field.name] = forms.CharField(
                label=label, required=False, widget=widget
            )
        if company.size == Size.LARGE:
            self.fields["regions"] = forms.ModelMultipleChoiceField(
                queryset=company.departments.filter(kind=DepartmentKind.SALES),
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text="The regional sales departments that review it (all if none).",
            )

    @property
    def content_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(CONTENT_PREFIX)]

    @property
    def header_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(CONTENT_PREFIX)]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        result: dict[str, Any] = {
            name: data[name]
            for name in ("title", "focus", "core_task", "core_task_reason", "directive", "horizon")
        }
        if "scope" in self.fields:
            result["scope"] = data.get("scope") or None
        result["content"] = {
            name[len(CONTENT_PREFIX) :]: data.get(name) or ""
            for name in self.fields
            if name.startswith(CONTENT_PREFIX)
        }
        if "regions" in self.fields:
            result["region_ids"] = [dept.pk for dept in data.get("regions") or []]
        return result

    def show_error(self, error: DomainError) -> None:
        """Say what went wrong, and put field errors next to the fields they belong to."""
        form_show_error(self, error, rename=_form_field)


def _form_field(key: str) -> str:
    """A service's field name as the plan form names it."""
    if key.startswith("content."):
        return CONTENT_PREFIX + key.split(".", 1)[1]
    return "regions" if key == "region_ids" else key


def plan_initial(plan: Any) -> dict[str, Any]:
    initial = {
        "title": plan.title,
        "focus": plan.focus,
        "core_task": plan.core_task,
        "core_task_reason": plan.core_task_reason,
        "scope": plan.scope or "",
        "directive": plan.directive,
        "horizon": plan.horizon,
        "regions": list(plan.regions.all()),
    }
    for key, value in plan.content.items():
        initial[CONTENT_PREFIX + key] = value
    return initial


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(widget=forms.RadioSelect)
    amount = forms.CharField(
        required=False,
        max_length=40,
        label="Your department's sales forecast",
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        help_text="Required to raise concerns, request changes or reject, and as the rationale "
        "of a forecast.",
    )
    reclassify = forms.BooleanField(
        required=False,
        label="Ask to reclassify",
        help_text="With a request for changes: the author may change the focus and core task, "
        "and the lead is computed again for the next round.",
    )

    def __init__(self, *args: Any, outcomes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [(o, Outcome.LABELS[o]) for o in outcomes]

    def show_error(self, error: DomainError) -> None:
        form_show_error(self, error)
