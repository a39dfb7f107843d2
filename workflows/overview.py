"""Selectors of the company overview: where the company's plans stand, in numbers.

Every figure reads the plans the viewer may see (``plan_list_for``) and the engine's own
rules (``rules.open_q``, ``rules.overdue_q``), so the overview cannot disagree with the
plan list, the queue or the inbox. Each selector returns plain rows (label, numbers) that
a chart and its table of numbers both draw from.

Forecast gaps compute each sales target's gap with ``apps.plans.strategy.gap_pct``, the
formula the plan's API and pages use, over the forecasts of every target read in one query.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta
from statistics import median
from typing import Any

from django.db.models import Count, QuerySet
from viewflow.workflow.status import STATUS

from apps.core.timeutils import now
from apps.org.policy import Outcome, Route, Step
from apps.plans.kinds import KIND_CHOICES
from apps.plans.models import (
    Decision,
    ExecutingDepartment,
    Feedback,
    FeedbackKind,
    Horizon,
    Plan,
    SalesForecast,
)
from apps.plans.models import Status as PlanStatus
from apps.plans.selectors import plan_list_for
from apps.plans.strategy import (
    SALES_TARGET,
    above_tolerance,
    complete_total,
    expected_forecasts,
    gap_pct,
    target_of,
)

from . import rules
from .models import ApprovalTask

KIND_LABELS = dict(KIND_CHOICES)
LEAD_LABELS = {"marketing": "Marketing leads", "sales": "Sales leads"}
TAKE_UP_LABELS = dict(Outcome.LABELS)


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    note: str = ""


def _submitted(user: Any) -> QuerySet[Plan]:
    return plan_list_for(user=user).exclude(status=PlanStatus.DRAFT)


def plans_by_status(*, user: Any) -> list[Bar]:
    counts = dict(
        _submitted(user).values_list("status").annotate(n=Count("id")).values_list("status", "n")
    )
    return [Bar(label, counts[value]) for value, label in PlanStatus.choices if counts.get(value)]


def plans_by_kind(*, user: Any) -> list[Bar]:
    counts = dict(
        _submitted(user).values_list("kind").annotate(n=Count("id")).values_list("kind", "n")
    )
    return [Bar(label, counts.get(value, 0)) for value, label in KIND_CHOICES]


def _days(delta: timedelta) -> float:
    return round(delta.total_seconds() / 86400, 1)


def step_times(*, user: Any) -> list[dict[str, Any]]:
    """Per step, how long finished tasks took (days): the median and the slowest."""
    tasks = ApprovalTask.objects.filter(
        flow_task_type="HUMAN",
        status=STATUS.DONE,
        finished__isnull=False,
        process__planprocess__plan__in=_submitted(user).values("pk"),
    ).values_list("flow_task", "created", "finished")
    durations: dict[str, list[float]] = defaultdict(list)
    for flow_task, created, finished in tasks:
        durations[flow_task.step].append(_days(finished - created))
    return [
        {
            "label": label,
            "count": len(durations[step]),
            "median": round(median(durations[step]), 1),
            "slowest": max(durations[step]),
        }
        for step, label in Step.LABELS.items()
        if durations.get(step)
    ]


def _rate(part: int, whole: int) -> float:
    return round(100 * part / whole) if whole else 0


def rework_and_rejection(*, user: Any) -> dict[str, list[dict[str, Any]]]:
    """Per kind and per lead department: the share of submitted plans sent back at least
    once (rework), and the share of decided plans that ended rejected."""
    plans = list(_submitted(user).values("pk", "kind", "status", "route"))
    sent_back = set(
        Decision.objects.filter(
            plan__in=[p["pk"] for p in plans], outcome=Outcome.REQUEST_CHANGES
        ).values_list("plan_id", flat=True)
    )
    decided = {PlanStatus.APPROVED, PlanStatus.REJECTED, PlanStatus.IN_EXECUTION, PlanStatus.CLOSED}

    def rows(key, labels):
        groups: dict[str, list[dict]] = defaultdict(list)
        for plan in plans:
            groups[key(plan)].append(plan)
        out = []
        for value, label in labels.items():
            group = groups.get(value, [])
            if not group:
                continue
            ended = [p for p in group if p["status"] in decided]
            rejected = [p for p in ended if p["status"] == PlanStatus.REJECTED]
            reworked = [p for p in group if p["pk"] in sent_back]
            out.append(
                {
                    "label": label,
                    "plans": len(group),
                    "rework": _rate(len(reworked), len(group)),
                    "reworked": len(reworked),
                    "rejection": _rate(len(rejected), len(ended)),
                    "rejected": len(rejected),
                    "decided": len(ended),
                }
            )
        return out

    def lead(plan):
        return Route.from_dict(plan["route"]).lead if plan["route"] else ""

    return {"kind": rows(lambda p: p["kind"], KIND_LABELS), "lead": rows(lead, LEAD_LABELS)}


def overdue_by_department(*, user: Any) -> list[Bar]:
    """Open tasks past their deadline, by the department that owes them (sign-off: signers)."""
    tasks = ApprovalTask.objects.filter(
        rules.overdue_q(now()),
        flow_task_type="HUMAN",
        process__planprocess__plan__in=_submitted(user).values("pk"),
    ).values_list("flow_task", "data")
    counts: Counter[str] = Counter()
    for flow_task, data in tasks:
        if flow_task.step == Step.SIGN_OFF:
            counts["Signers"] += 1
        elif flow_task.step == Step.REVISE:
            counts["Authors (revision)"] += 1
        else:
            counts[(data or {}).get("department_name") or "—"] += 1
    return [Bar(label, n) for label, n in sorted(counts.items())]


def horizon_balance(*, user: Any) -> list[Bar]:
    counts = dict(
        _submitted(user).values_list("horizon").annotate(n=Count("id")).values_list("horizon", "n")
    )
    return [Bar(label, counts.get(value, 0)) for value, label in Horizon.choices]


def take_up(*, user: Any) -> list[Bar]:
    """How sales took signed-off plans up (and how many still wait)."""
    rows = ExecutingDepartment.objects.filter(plan__in=_submitted(user).values("pk"))
    counts = Counter(rows.values_list("take_up", flat=True))
    bars = [
        Bar(TAKE_UP_LABELS[o], counts.get(o, 0))
        for o in (Outcome.ACKNOWLEDGE, Outcome.ADOPT, Outcome.ADAPT, Outcome.DECLINE)
    ]
    return [*bars, Bar("Not taken up yet", counts.get("", 0))]


def feedback_by_kind(*, user: Any) -> list[Bar]:
    counts = dict(
        Feedback.objects.filter(plan__in=_submitted(user).values("pk"))
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    return [Bar(label, counts.get(value, 0)) for value, label in FeedbackKind.choices]


ABOVE_TOLERANCE = "above tolerance"


def forecast_gaps(*, user: Any) -> dict[str, Any]:
    """The sales targets whose forecasts are all in, each with its gap in percent (target
    against the sales departments' total) and whether it is above the company's tolerance;
    and how many targets still wait for a forecast (an open forecast task)."""
    targets = list(
        _submitted(user)
        .filter(kind=SALES_TARGET)
        .select_related("company")
        .order_by("-submitted_at", "-id")
    )
    amounts: dict[int, list] = defaultdict(list)
    for plan_id, amount in SalesForecast.objects.filter(
        plan__in=[plan.pk for plan in targets]
    ).values_list("plan_id", "amount"):
        amounts[plan_id].append(amount)
    rows = []
    for plan in targets:
        total = complete_total(amounts[plan.pk], expected_forecasts(plan))
        gap = gap_pct(target_of(plan), total)
        if gap is None:
            continue
        tolerance = plan.company.forecast_tolerance_pct
        rows.append(
            {
                "plan": plan,
                "target": target_of(plan),
                "total": total,
                "gap": gap,
                "tolerance": tolerance,
                "above": above_tolerance(gap, tolerance),
            }
        )
    waiting = (
        ApprovalTask.objects.filter(
            rules.open_q(),
            flow_task_type="HUMAN",
            flow_task__endswith=f".{Step.FORECAST}",
            process__planprocess__plan__in=_submitted(user).values("pk"),
        )
        .order_by()
        .values("process__planprocess__plan")
        .distinct()
        .count()
    )
    return {
        "rows": rows,
        "bars": [
            Bar(row["plan"].title, float(row["gap"]), ABOVE_TOLERANCE if row["above"] else "")
            for row in rows
        ],
        "waiting": waiting,
    }


def company_overview(*, user: Any) -> dict[str, Any]:
    return {
        "by_status": plans_by_status(user=user),
        "by_kind": plans_by_kind(user=user),
        "step_times": step_times(user=user),
        "rates": rework_and_rejection(user=user),
        "overdue": overdue_by_department(user=user),
        "horizon": horizon_balance(user=user),
        "take_up": take_up(user=user),
        "feedback": feedback_by_kind(user=user),
        "gaps": forecast_gaps(user=user),
    }
