"""Reads of the history."""

from django.db.models import QuerySet

from .models import ChainHead, Event


def event_list_for_plan(*, plan_id: int) -> QuerySet[Event]:
    """The plan's events, oldest first. Access to the plan is checked by the caller."""
    return Event.objects.filter(plan_id=plan_id).order_by("id")


def chain_head_for(*, company_id: int) -> ChainHead | None:
    """The latest link of the company's chain (None before its first event)."""
    return ChainHead.objects.filter(company_id=company_id).first()
