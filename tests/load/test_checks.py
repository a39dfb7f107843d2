"""The load run's after-checks find what they are there to find: nothing on a sound
database, and each planted loss or double by its kind."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import models

from apps.notifications.models import Notification
from apps.plans.models import Decision, Plan, Status
from load.check import (
    after_checks,
    decisions_check,
    emails_check,
    notifications_check,
    outbox_check,
    plans_check,
)
from tests.factories import decide, open_task, submitted
from tests.reliability.harness import medium_company
from workflows.models import OutboxEvent


def _relay_ids() -> list[int]:
    """What the mail relay would have kept: the notification id of every e-mail sent."""
    return [int(message.extra_headers["X-Greenlight-Notification"]) for message in mail.outbox]


@pytest.fixture
def world(db, django_capture_on_commit_callbacks):
    """A signed-off plan and one in review, with every after-commit job run (eager Celery)."""
    company = medium_company("checks")
    for person in get_user_model().objects.filter(membership__company=company.company):
        person.email = f"{person.username}@example.com"
        person.save()
    with django_capture_on_commit_callbacks(execute=True):
        done = submitted(company.planner, title="Checked plan")
    with django_capture_on_commit_callbacks(execute=True):
        decide(done, company.reviewers_of("Sales")[0], "approve")
    with django_capture_on_commit_callbacks(execute=True):
        decide(done, company.signers[0], "approve", step="sign_off")
    with django_capture_on_commit_callbacks(execute=True):
        waiting = submitted(company.planner, title="Waiting plan")
    assert done.status == Status.APPROVED
    return company, done, waiting


def test_a_sound_database_passes_every_check(world):
    company, _, _ = world
    result = after_checks(_relay_ids(), [company.company.pk])
    assert mail.outbox, "the lifecycle sent e-mails"
    assert (result["lost"], result["duplicated"]) == (0, 0), result["checks"]
    assert result["chain"]["verified"] is True


def test_an_email_sent_twice_or_never_is_found(world):
    ids = _relay_ids()
    twice = emails_check([*ids, ids[0]], [world[0].company.pk])
    assert (twice.lost, twice.duplicated) == (0, 1)
    assert f"notification {ids[0]} e-mailed 2 times" in twice.examples
    never = emails_check(ids[1:], [world[0].company.pk])
    assert (never.lost, never.duplicated) == (1, 0)


def test_a_plan_whose_status_disagrees_with_its_process_is_found(world):
    _, _, waiting = world
    Plan.objects.filter(pk=waiting.pk).update(status=Status.APPROVED)
    finding = plans_check([world[0].company.pk])
    assert finding.lost == 1
    assert f"plan {waiting.pk}: status approved, process says in_review" in finding.examples[0]


def test_a_decision_without_its_event_is_found(world):
    company, _, waiting = world
    task = open_task(waiting, step="review")
    original = Decision.objects.first()
    Decision.objects.create(
        plan=waiting,
        revision=waiting.revisions.get(),
        task_id=task.pk,
        step="review",
        actor=company.reviewers_of("Sales")[0],
        outcome="approve",
        created_at=original.created_at,
    )
    finding = decisions_check([company.company.pk])
    assert (finding.lost, finding.duplicated) == (1, 0)
    assert finding.examples == [f"task {task.pk}: 1 Decision row(s), 0 event(s)"]


def test_a_decision_event_without_its_row_is_found(world):
    company, done, _ = world
    decision = Decision.objects.get(plan=done, step="review")
    models.QuerySet.delete(Decision.objects.filter(pk=decision.pk))
    finding = decisions_check([company.company.pk])
    assert (finding.lost, finding.duplicated) == (1, 0)
    expected = f"task {decision.task_id}: a approve event without its Decision row"
    assert finding.examples == [expected]


def test_an_author_never_told_of_the_outcome_is_found(world):
    _, done, _ = world
    decision = Decision.objects.get(plan=done, step="sign_off")
    Notification.objects.filter(key=f"decided:{decision.pk}").delete()
    finding = notifications_check([world[0].company.pk])
    assert finding.lost == 1
    assert finding.examples == [f"decision {decision.pk}: its author was not told"]


def test_an_outbox_row_never_relayed_is_found(world):
    event = OutboxEvent.objects.filter(relayed_at__isnull=False).first()
    OutboxEvent.objects.filter(pk=event.pk).update(relayed_at=None)  # its relay never ran

    finding = outbox_check()

    assert (finding.lost, finding.duplicated) == (1, 0)
    assert f"outbox row {event.pk}" in finding.examples[0]
