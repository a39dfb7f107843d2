"""Decisions against the audit chain: every ``Decision`` row must say what its event says.

The outcome a plan page and the API show comes from ``Decision`` rows, which are
not part of the chain. Each decision event carries the decision's content
(outcome, comment, actor, step, revision and its fingerprint, department), so a
row edited afterwards (the revision's own text is checked against the fingerprint
by ``RevisionFingerprints``), a row without an event, or an event without a row is
named by ``verify_audit``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from apps.audit.models import Event
from apps.audit.verify import Problem

from .models import Decision


def _expected(decision: Decision) -> dict[str, Any]:
    return {
        "outcome": decision.outcome,
        "comment": decision.comment,
        "actor": decision.actor_id,
        "step": decision.step,
        "plan": decision.plan_id,
        "revision": decision.revision.number,
        "department": decision.department_name,
    }


def _recorded(event: dict[str, Any]) -> dict[str, Any]:
    data = event["data"] or {}
    return {
        "outcome": data.get("outcome"),
        "comment": event["comment"],
        "actor": event["actor_id"],
        "step": event["step"],
        "plan": event["plan_id"],
        "revision": event["revision"],
        "department": data.get("department", ""),
    }


def decisions_verify(*, company_ids: Iterable[int] | None = None) -> list[Problem]:
    """Problems of kind ``decision``, one per decision that disagrees with the chain."""
    events = Event.objects.filter(task_id__isnull=False, data__has_key="outcome")
    decisions = Decision.objects.select_related("revision", "plan").order_by("pk")
    if company_ids is not None:
        company_ids = list(company_ids)
        events = events.filter(company_id__in=company_ids)
        decisions = decisions.filter(plan__company_id__in=company_ids)
    fields = ("id", "seq", "company_id", "task_id", "plan_id", "actor_id", "step", "revision")
    by_task: dict[int, dict[str, Any]] = {}
    for event in events.order_by("seq").values(*fields, "comment", "data").iterator():
        by_task.setdefault(event["task_id"], event)
    problems: list[Problem] = []
    for decision in decisions.iterator(chunk_size=1000):
        event = by_task.pop(decision.task_id, None)
        if event is None:
            problems.append(
                Problem(
                    "decision",
                    f"the decision #{decision.pk} on task {decision.task_id} has no event "
                    "in the chain",
                    decision.plan.company_id,
                )
            )
            continue
        expected, recorded = _expected(decision), _recorded(event)
        changed = [name for name in expected if expected[name] != recorded[name]]
        if changed:
            problems.append(
                Problem(
                    "decision",
                    f"the decision on task {decision.task_id} no longer matches its event "
                    f"({', '.join(changed)})",
                    event["company_id"],
                    event["seq"],
                    event["id"],
                )
            )
    for event in by_task.values():
        problems.append(
            Problem(
                "decision",
                f"records a decision on task {event['task_id']} that has no Decision row",
                event["company_id"],
                event["seq"],
                event["id"],
            )
        )
    return problems
