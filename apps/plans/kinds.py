"""What each kind of marketing plan holds (DOMAIN.md "What marketing plans are").

A plan's kind-specific content is a JSON object; this schema says which fields
it has, which are required and how each is checked. Forms, the API and the
revision diff all read the same schema.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from apps.core.errors import ValidationError

TEXT, LONGTEXT, DATE, MONEY, PERCENT = "text", "longtext", "date", "money", "percent"
# Plain decimal notation in ASCII digits, thousands grouped by commas or not at all:
# "1,2,3", "1e30" and full-width digits are refused rather than read as something else.
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d{1,2})?", re.ASCII)
# Fifteen digits before the point: beyond any budget, and safe to quantize to cents.
MAX_AMOUNT = Decimal("999999999999999.99")


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    type: str = LONGTEXT
    required: bool = False
    help: str = ""


KINDS: dict[str, tuple[str, tuple[Field, ...]]] = {
    "promotional": (
        "Promotional plan",
        (
            Field("campaign_start", "Campaign starts", DATE, True),
            Field("campaign_end", "Campaign ends", DATE, True),
            Field("regions", "Regions", TEXT, True),
            Field("channels", "Channels", TEXT, True),
            Field("products", "Promotional products and leaflets"),
            Field("events", "Exhibitions and events"),
            Field("budget", "Budget", MONEY, True),
            Field("expected_uplift", "Expected sales uplift (%)", PERCENT),
        ),
    ),
    "brand": (
        "Brand plan",
        (
            Field("target_customers", "Target customers", LONGTEXT, True),
            Field("positioning_statement", "Positioning statement", LONGTEXT, True),
            Field("brand_message", "Brand message", LONGTEXT, True),
            Field("media", "Media"),
            Field("budget", "Budget", MONEY, True),
            Field("milestones", "Milestones"),
        ),
    ),
    "market_strategy": (
        "Target-market strategy",
        (
            Field("target_market", "Target market", LONGTEXT, True),
            Field("positioning", "Positioning", LONGTEXT, True),
            Field("needs", "Products and services the market needs", LONGTEXT, True),
        ),
    ),
    "marketing_mix": (
        "Marketing mix",
        (
            Field("product", "Product strategy", LONGTEXT, True),
            Field("price", "Price strategy", LONGTEXT, True),
            Field("channel", "Channel strategy", LONGTEXT, True),
            Field("promotion", "Promotion strategy", LONGTEXT, True),
        ),
    ),
    "sales_target": (
        "Sales target",
        (
            Field("period", "Period", TEXT, True),
            Field("target", "Sales target", MONEY, True),
            Field("market_forecast", "Marketing's market forecast", MONEY, True),
            Field(
                "execution_monitoring",
                "Monitoring of how the marketing plan is carried out",
                LONGTEXT,
                True,
            ),
        ),
    ),
}

KIND_CHOICES = [(key, label) for key, (label, _) in KINDS.items()]
MAX_TEXT = 10_000


def fields_of(kind: str) -> tuple[Field, ...]:
    if kind not in KINDS:
        raise ValidationError(
            f"Unknown plan kind {kind!r}.",
            fields={"kind": [f"Choose one of: {', '.join(KINDS)}."]},
        )
    return KINDS[kind][1]


def _clean_value(field: Field, raw: Any) -> str:
    value = "" if raw is None else str(raw).strip()
    if not value:
        return ""
    if len(value) > MAX_TEXT:
        raise ValueError(f"At most {MAX_TEXT} characters.")
    if "\x00" in value:
        raise ValueError("Remove the NUL character.")
    if field.type == DATE:
        try:
            return datetime.date.fromisoformat(value).isoformat()
        except ValueError:
            raise ValueError("Enter a date as YYYY-MM-DD.") from None
    if field.type in (MONEY, PERCENT):
        if value.startswith("-") and _NUMBER.fullmatch(value[1:]):
            raise ValueError("Enter a number of zero or more.")
        if not _NUMBER.fullmatch(value):
            raise ValueError("Enter a number. Plain digits, such as 40000 or 40,000.50.")
        try:
            number = Decimal(value.replace(",", ""))
        except InvalidOperation:
            raise ValueError("Enter a number.") from None
        if number > MAX_AMOUNT:
            raise ValueError(f"Enter a number up to {MAX_AMOUNT:,}.")
        if field.type == PERCENT and number > 1000:
            raise ValueError("Enter a percentage up to 1000.")
        return str(number.quantize(Decimal("0.01")))
    return value


def amount_clean(raw: Any, *, field: str = "amount") -> Decimal:
    """A required amount of money, read as plan content reads one (``40,000.50``)."""
    try:
        value = _clean_value(Field(field, field, MONEY), raw)
    except ValueError as exc:
        raise ValidationError(str(exc), fields={field: [str(exc)]}) from None
    if not value:
        raise ValidationError(f"The {field} is required.", fields={field: ["This is required."]})
    return Decimal(value)


def content_clean(kind: str, content: Any, *, complete: bool) -> dict[str, str]:
    """Check content against the kind's schema; ``complete`` also demands required fields.

    Drafts may be incomplete; a submission may not.
    """
    fields = fields_of(kind)
    if not isinstance(content, dict):
        raise ValidationError("Content must be an object.", fields={"content": ["Not an object."]})
    known = {field.name for field in fields}
    errors: dict[str, list[str]] = {}
    unknown = sorted(set(content) - known)
    if unknown:
        errors["content"] = [f"Unknown field(s) for this kind: {', '.join(unknown)}."]
    cleaned: dict[str, str] = {}
    for field in fields:
        try:
            value = _clean_value(field, content.get(field.name))
        except ValueError as exc:
            errors[f"content.{field.name}"] = [str(exc)]
            continue
        if complete and field.required and not value:
            errors[f"content.{field.name}"] = ["This field is required to submit."]
        cleaned[field.name] = value
    start, end = cleaned.get("campaign_start"), cleaned.get("campaign_end")
    if start and end and end < start:
        errors["content.campaign_end"] = ["The campaign cannot end before it starts."]
    if errors:
        raise ValidationError("Please correct the highlighted fields.", fields=errors)
    return cleaned
