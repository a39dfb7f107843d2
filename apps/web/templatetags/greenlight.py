"""Greenlight's template helpers: money, dates, labels instead of codes, and bar charts.

The charts are SVG drawn here on the server from the app's own files: no script and no
CDN, so they work offline. Every bar carries its number as text beside it (the chart reads
without colour), and the same numbers are in a table under each chart.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.urls import get_script_prefix, reverse
from django.utils import formats, timezone

from apps.audit.models import Action
from apps.org.models import Position
from apps.plans.history import STEP_LABELS
from apps.plans.kinds import DATE as DATE_TYPE
from apps.plans.kinds import KIND_CHOICES, KINDS
from apps.plans.kinds import MONEY as MONEY_TYPE
from apps.plans.models import CoreTask, Directive, FeedbackKind, Focus, Horizon, Scope, Status

register = template.Library()

DATE = "j M Y"
DATETIME = "j M Y, H:i"

# Every code a page might show, with the words the product uses for it.
LABELS: dict[str, str] = {
    **dict(KIND_CHOICES),
    **dict(Focus.choices),
    **dict(CoreTask.choices),
    **dict(Directive.choices),
    **dict(Horizon.choices),
    **dict(Scope.choices),
    **dict(Position.choices),
    **dict(Status.choices),
    **dict(FeedbackKind.choices),
    **STEP_LABELS,
    **dict(Action.choices),
    # what an organisation change was (``Action.ORG_CHANGE`` events)
    "company_created": "Company created",
    "company_updated": "Company settings changed",
    "department_created": "Department added",
    "department_deleted": "Department removed",
    "member_saved": "Member saved",
    "member_removed": "Member removed",
    "marketing": "Marketing",
    "sales": "Sales",
    "binding": "Binding",
    "consultative": "Consultative",
}
MONEY_FIELDS = {f.name for _, fields in KINDS.values() for f in fields if f.type == MONEY_TYPE}
DATE_FIELDS = {f.name for _, fields in KINDS.values() for f in fields if f.type == DATE_TYPE}


# (URL name, script prefix) -> the URL's text before and after its id (``id_url``)
_URL_SHAPES: dict[tuple[str, str], tuple[str, str]] = {}
_PLACEHOLDER = 2_147_483_647


@register.simple_tag
def id_url(name: str, object_id: Any) -> str:
    """``{% url name object_id %}`` for a URL whose one argument is an integer id, as a list
    shows one a row: the name is resolved once (per script prefix) with a placeholder id
    whose place the row's id takes, instead of once a row (tests/web/test_id_url.py)."""
    prefix = get_script_prefix()
    shape = _URL_SHAPES.get((name, prefix))
    if shape is None:
        head, found, tail = reverse(name, args=[_PLACEHOLDER]).partition(str(_PLACEHOLDER))
        if not found:
            raise ValueError(f"{name} does not take an id")
        shape = _URL_SHAPES[(name, prefix)] = (head, tail)
    return f"{shape[0]}{int(object_id)}{shape[1]}"


@register.filter
def money(value: Any) -> str:
    """``42000.00`` → ``42,000``; ``1234.5`` → ``1,234.50``; anything else as it is."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(str(value).replace(",", ""))
    except (InvalidOperation, ValueError):
        return str(value)
    places = 0 if amount == amount.to_integral_value() else 2
    return f"{amount:,.{places}f}"


@register.filter
def day(value: Any) -> str:
    """One date format across the pages: ``3 Jun 2027``."""
    if not value:
        return ""
    if hasattr(value, "tzinfo") and getattr(value, "hour", None) is not None:
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(value, DATE)


@register.filter
def moment(value: Any) -> str:
    """A date and time in the same format: ``3 Jun 2027, 14:05``."""
    if not value:
        return ""
    value = timezone.localtime(value) if timezone.is_aware(value) else value
    return formats.date_format(value, DATETIME)


@register.filter
def label(value: Any) -> str:
    """A code (``market_share``, ``promotional``) as the words the pages use for it."""
    if value is None:
        return ""
    return LABELS.get(str(value), str(value))


@register.filter
def shown(value: Any, field: str) -> str:
    """A plan field's value as a page shows it: ``content.budget`` as money, a date in the
    one date format, a code (``kind``, ``core_task``) as its label, text as it is."""
    name = str(field).removeprefix("content.")
    if value in (None, ""):
        return ""
    if name in MONEY_FIELDS:
        return money(value)
    if name in DATE_FIELDS:
        try:
            return day(datetime.date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if "." not in str(field):
        return label(value)
    return str(value)


@register.simple_tag
def plan_rows(source: Any) -> list[tuple[str, str]]:
    """The kind's fields of a plan or revision, labelled, with values as ``shown`` gives them."""
    fields = KINDS[source.kind][1] if source is not None and source.kind in KINDS else ()
    return [(f.label, shown(source.content.get(f.name, ""), f"content.{f.name}")) for f in fields]


@register.inclusion_tag("web/_bar_chart.html")
def bar_chart(bars: list[Any], title: str, unit: str = "", chart_id: str = "") -> dict[str, Any]:
    """A horizontal bar chart (SVG) of ``bars`` (``label``, ``value``, ``note``), with its
    number table. A negative value draws as long as its size and shows its sign in the
    number; a bar's note (``above tolerance``) is written beside its number, not coloured."""
    bars = list(bars)
    top = max((abs(bar.value) for bar in bars), default=0) or 1
    row, label_width, bar_width = 30, 170, 210
    notes = any(getattr(bar, "note", "") for bar in bars)
    rows = []
    for i, bar in enumerate(bars):
        width = round(bar_width * abs(float(bar.value)) / float(top), 1)
        rows.append(
            {
                "label": bar.label,
                "value": bar.value,
                "note": getattr(bar, "note", ""),
                "y": i * row,
                "width": width,
                "text_x": label_width + width + 6,
                # a chart with notes hatches its noted bars only; the note is the words
                "pattern": (1 if getattr(bar, "note", "") else 0) if notes else i % 3,
            }
        )
    return {
        "rows": rows,
        "title": title,
        "unit": unit,
        "chart_id": chart_id,
        "notes": notes,
        "height": max(len(rows), 1) * row + 4,
        "label_width": label_width,
        "width": label_width + bar_width + (190 if notes else 70),
    }
