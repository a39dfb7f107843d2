"""The checks after a load run: was anything lost, doubled, or left in an impossible state?

Each check reads the database as it is once the workers are idle and counts what
it found missing (``lost``) or twice (``duplicated``), naming a few examples:

- every decision has exactly one Decision row and one history event, and every
  decision event has its Decision row;
- every plan's status is what its approval process implies, and its revision
  count is the number of revisions it froze;
- every decision that approved, rejected or sent back a plan told its author once;
- every notification with an address was e-mailed exactly once (the mail relay's
  messages carry the notification's id), and none is still waiting;
- every notification an action owed was relayed: no outbox row still waits;
- every company's audit chain verifies.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count

from apps.audit.models import Event
from apps.audit.verify import chain_verify
from apps.notifications.models import EmailStatus, Notification
from apps.org.policy import Outcome
from apps.plans.history import RevisionFingerprints
from apps.plans.models import Decision, Plan
from workflows.models import OutboxEvent, PlanProcess
from workflows.notifications import DECIDED_WORDS
from workflows.services._common import derived_status
from workflows.services.tasks import DECISION_ACTIONS

# The event a decision writes: the engine's own map, and the outcome's name otherwise.
DECISION_EVENT_ACTIONS = set(DECISION_ACTIONS.values()) | set(Outcome.LABELS)
EXAMPLES = 5
Companies = list[int] | None  # company ids to check; None: every company


@dataclass
class Finding:
    lost: int = 0
    duplicated: int = 0
    examples: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        if len(self.examples) < EXAMPLES:
            self.examples.append(text)

    def as_dict(self) -> dict[str, Any]:
        return {"lost": self.lost, "duplicated": self.duplicated, "examples": self.examples}


def _scoped(manager, companies: Companies, field: str):
    everything = manager.all()
    return everything if companies is None else everything.filter(**{f"{field}__in": companies})


def decisions_check(companies: Companies = None) -> Finding:
    """One Decision row and one decision event per decided task, and no decision event
    without its row; the event's action is the one the engine writes for the outcome."""
    finding = Finding()
    events = Counter(
        _scoped(Event.objects, companies, "company_id")
        .filter(action__in=DECISION_EVENT_ACTIONS, task_id__isnull=False)
        .values_list("task_id", "action")
    )
    decided = list(
        _scoped(Decision.objects, companies, "plan__company_id").values_list(
            "task_id", "step", "outcome"
        )
    )
    rows = Counter(task_id for task_id, _, _ in decided)
    for task_id, step, outcome in decided:
        recorded = events.get((task_id, DECISION_ACTIONS.get((step, outcome), outcome)), 0)
        if rows[task_id] == 1 and recorded == 1:
            continue
        finding.lost += int(recorded == 0)
        finding.duplicated += max(recorded - 1, 0) + (1 if rows[task_id] > 1 else 0)
        finding.note(f"task {task_id}: {rows[task_id]} Decision row(s), {recorded} event(s)")
    for (task_id, action), _times in events.items():
        if task_id not in rows:
            finding.lost += 1
            finding.note(f"task {task_id}: a {action} event without its Decision row")
    return finding


def plans_check(companies: Companies = None) -> Finding:
    """No plan in a state its process does not imply; revisions as many as counted."""
    finding = Finding()
    processes = {p.plan_id: p for p in _scoped(PlanProcess.objects, companies, "plan__company_id")}
    plans = _scoped(Plan.objects, companies, "company_id").annotate(
        revisions_frozen=Count("revisions")
    )
    for plan in plans:
        process = processes.get(plan.pk)
        expected = plan.status if process is None else derived_status(process)
        if process is None and plan.was_submitted:
            expected = "(a process)"
        if plan.status != expected or plan.revisions_frozen != plan.revision_count:
            finding.lost += 1
            finding.note(
                f"plan {plan.pk}: status {plan.status}, process says {expected}; "
                f"{plan.revisions_frozen} revision(s) for a count of {plan.revision_count}"
            )
    return finding


def notifications_check(companies: Companies = None) -> Finding:
    """The author heard once of every decision that approved, rejected or sent back a plan."""
    finding = Finding()
    told = Counter(
        _scoped(Notification.objects, companies, "user__membership__company_id")
        .filter(key__startswith="decided:")
        .values_list("key", "user_id")
    )
    for key_user, times in told.items():
        if times > 1:
            finding.duplicated += times - 1
            finding.note(f"{key_user} told {times} times")
    outcomes = _scoped(Event.objects, companies, "company_id").filter(
        action__in=DECISION_EVENT_ACTIONS, to_status__in=DECIDED_WORDS
    )
    decisions = {
        d.task_id: d
        for d in _scoped(Decision.objects, companies, "plan__company_id").select_related(
            "plan__author"
        )
    }
    for task_id in outcomes.values_list("task_id", flat=True):
        decision = decisions.get(task_id)
        if decision is None:
            continue  # counted by decisions_check
        author = decision.plan.author
        if author.is_active and (f"decided:{decision.pk}", author.pk) not in told:
            finding.lost += 1
            finding.note(f"decision {decision.pk}: its author was not told")
    return finding


def emails_check(sent_ids: Iterable[int], companies: Companies = None) -> Finding:
    """Each notification with an address e-mailed once; ``sent_ids`` are the relay's ids."""
    finding = Finding()
    delivered = Counter(sent_ids)
    for notification_id, times in delivered.items():
        if times > 1:
            finding.duplicated += times - 1
            finding.note(f"notification {notification_id} e-mailed {times} times")
    expected = _scoped(Notification.objects, companies, "user__membership__company_id").exclude(
        email_status=EmailStatus.NONE
    )
    for notification_id, status in expected.values_list("pk", "email_status"):
        if status != EmailStatus.SENT or notification_id not in delivered:
            finding.lost += 1
            finding.note(f"notification {notification_id}: {status}, not in the mail relay")
    return finding


def outbox_check() -> Finding:
    """Every outbox row was relayed (the outbox is not per company: all of it is checked)."""
    finding = Finding()
    waiting = OutboxEvent.objects.filter(relayed_at__isnull=True).order_by("pk")
    finding.lost = waiting.count()
    for event in waiting[:EXAMPLES]:
        finding.note(f"outbox row {event.pk} ({event.kind} {event.args}) never relayed")
    return finding


def chain_check(companies: Companies = None) -> dict[str, Any]:
    report = chain_verify(company_ids=companies, fingerprint_check=RevisionFingerprints())
    return {
        "verified": report.intact,
        "events_checked": report.checked,
        "problems": [str(problem) for problem in report.problems[:EXAMPLES]],
    }


def after_checks(sent_ids: Iterable[int], companies: Companies = None) -> dict[str, Any]:
    """Every check (of ``companies``, or all); ``lost`` and ``duplicated`` add up the findings."""
    findings = {
        "decisions": decisions_check(companies),
        "plans": plans_check(companies),
        "notifications": notifications_check(companies),
        "emails": emails_check(sent_ids, companies),
        "outbox": outbox_check(),
    }
    return {
        "lost": sum(f.lost for f in findings.values()),
        "duplicated": sum(f.duplicated for f in findings.values()),
        "checks": {name: f.as_dict() for name, f in findings.items()},
        "chain": chain_check(companies),
    }
