"""Reading the history: who may read which events, the filters, and checks that need plans.

``apps.audit`` is the append-only store and knows nothing of companies' roles
or of plans (it sits below them, because the organisation writes history too).
Reading the trail needs both, so its access rules live here, beside the plans
whose history it is:

- a company's history is open to its auditors and heads (``audit_plans``,
  ``sign_off_plans`` or ``administer_company``); anyone else gets "not found";
- an auditor reads every event of the company, drafts included (issue 3:
  "auditors see all of their company's events"); a head reads the events of
  the plans ``plan_list_for`` shows them (another person's draft stays with
  its author until it is submitted) and the company's own events
  (organisation changes). The REST API applies the same rule;
- ``RevisionFingerprints`` lets ``verify_audit`` check each decision's recorded
  fingerprint against the revision text actually stored.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.audit.models import Event
from apps.core.errors import NotFound
from apps.org.models import Company
from apps.org.policy import Step, has_company_perm, membership_of

from .fingerprints import content_fingerprint, revision_payload
from .models import Plan, PlanRevision, Status
from .selectors import plan_list_for

HISTORY_PERMISSIONS = ("audit_plans", "sign_off_plans", "administer_company")
STEP_LABELS = {
    "submit": "Submission",
    **Step.LABELS,
    "feedback": "Market feedback",
    "close": "Close",
}
STATUS_LABELS = dict(Status.choices)


def label(event: Event) -> Event:
    """Give an event the display names of its step and statuses."""
    event.step_label = STEP_LABELS.get(event.step, event.step)
    event.from_label = STATUS_LABELS.get(event.from_status, event.from_status)
    event.to_label = STATUS_LABELS.get(event.to_status, event.to_status)
    return event


def may_read_history(user: Any, company: Company) -> bool:
    return any(has_company_perm(user, company, codename) for codename in HISTORY_PERMISSIONS)


def history_company_access(*, user: Any) -> Company:
    """The user's company, if they may read its history; otherwise not found."""
    membership = membership_of(user)
    if membership is None or user.is_superuser or not may_read_history(user, membership.company):
        raise NotFound()
    return membership.company


def event_list_for(*, user: Any) -> QuerySet[Event]:
    """The events of the user's company that they may read; none for anyone else."""
    try:
        company = history_company_access(user=user)
    except NotFound:
        return Event.objects.none()
    events = Event.objects.filter(company_id=company.pk)
    if has_company_perm(user, company, "audit_plans"):
        return events
    visible_plans = plan_list_for(user=user).values("pk")
    return events.filter(Q(plan_id__in=visible_plans) | Q(plan_id__isnull=True))


def history_plan_choices(*, user: Any, company: Company) -> QuerySet[Plan]:
    """The plans whose history the user may filter by: every plan of the company for an
    auditor, the plans they may see for a head."""
    if has_company_perm(user, company, "audit_plans"):
        return Plan.objects.filter(company=company)
    return plan_list_for(user=user)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def event_filter(
    events: QuerySet[Event],
    *,
    plan_id: int | None = None,
    actor_id: int | None = None,
    action: str = "",
    step: str = "",
    since: date | None = None,
    until: date | None = None,
) -> QuerySet[Event]:
    """Narrow ``events``; ``since`` and ``until`` are whole days in the site's time zone."""
    if plan_id is not None:
        events = events.filter(plan_id=plan_id)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if action:
        events = events.filter(action=action)
    if step:
        events = events.filter(step=step)
    if since is not None:
        events = events.filter(created_at__gte=_start_of(since))
    if until is not None and until < date.max:  # the last day has no day after it
        events = events.filter(created_at__lt=_start_of(until + timedelta(days=1)))
    return events


class RevisionFingerprints:
    """``verify_audit``'s fingerprint check: is the revision an event decided on still intact?

    Both the fingerprint stored beside the revision and one recomputed from its
    text must equal what the event recorded. Answers are cached per revision:
    many events name the same one.
    """

    def __init__(self) -> None:
        self._cache: dict[tuple[int, int], tuple[str, str] | None] = {}

    def _fingerprints(self, plan_id: int, number: int) -> tuple[str, str] | None:
        key = (plan_id, number)
        if key not in self._cache:
            if len(self._cache) > 10_000:
                self._cache.clear()
            revision = PlanRevision.objects.filter(plan_id=plan_id, number=number).first()
            self._cache[key] = (
                None
                if revision is None
                else (revision.content_sha256, content_fingerprint(revision_payload(revision)))
            )
        return self._cache[key]

    def __call__(self, plan_id: int, number: int, fingerprint: str) -> str | None:
        found = self._fingerprints(plan_id, number)
        if found is None:
            return f"revision {number} of plan {plan_id} is missing"
        stored, recomputed = found
        if recomputed != fingerprint:
            return (
                f"revision {number} of plan {plan_id} no longer has the text this event "
                f"acted on (fingerprint {recomputed[:12]}…, recorded {fingerprint[:12]}…)"
            )
        if stored != fingerprint:
            return f"revision {number} of plan {plan_id} carries a rewritten fingerprint"
        return None
