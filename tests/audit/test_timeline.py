"""The timeline's arithmetic: which step each event closes, and how long that step took."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from apps.audit.models import Event
from apps.audit.timeline import duration_text, timeline

T0 = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


def event(seq, minutes, action, *, revision=1, step="review", before="", after="", **data):
    return Event(
        seq=seq,
        action=action,
        revision=revision,
        step=step,
        from_status=before,
        to_status=after or before,
        created_at=T0 + timedelta(minutes=minutes),
        data=data,
    )


def test_parallel_reviews_count_from_the_submission_and_the_sign_off_from_the_last_review():
    events = [
        event(1, -600, "create", revision=None, step="", after="draft"),
        event(
            2, 0, "submit", step="submit", before="draft", after="in_review", content_sha256="ab"
        ),
        event(3, 120, "claim", before="in_review", department="East"),
        event(4, 27 * 60, "approve", before="in_review", department="East"),
        event(5, 48 * 60, "approve", before="in_review", after="awaiting_signoff"),
        event(
            6,
            48 * 60 + 30,
            "sign_off",
            step="sign_off",
            before="awaiting_signoff",
            after="approved",
        ),
    ]
    draft, first = timeline(reversed(events))  # order comes from the chain, not the input
    assert (draft.title, first.title, first.fingerprint) == ("Draft", "Revision 1", "ab")
    assert [(e.event.action, e.took_text, e.waited_text) for e in first.entries] == [
        ("submit", "", ""),
        ("claim", "", "2 h"),
        ("approve", "1 d 3 h", ""),
        ("approve", "2 d", ""),
        ("sign_off", "30 min", ""),
    ]


def test_a_request_for_changes_opens_the_revision_that_the_resubmission_closes():
    events = [
        event(1, 0, "submit", step="submit", before="draft", after="in_review"),
        event(2, 90, "request_changes", before="in_review", after="changes_requested"),
        event(3, 95, "edit", step="", before="changes_requested"),
        event(4, 90 + 3 * 24 * 60 + 61, "resubmit", revision=2, step="revise",
              before="changes_requested", after="in_review"),
        event(5, 90 + 3 * 24 * 60 + 62, "approve", revision=2, before="in_review",
              after="awaiting_signoff"),
    ]  # fmt: skip
    first, second = timeline(events)
    assert [e.took_text for e in first.entries] == ["", "1 h 30 min", ""]
    assert [e.took_text for e in second.entries] == ["3 d 1 h", "1 min"]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "under a minute"), (59, "under a minute"), (60, "1 min"), (3600, "1 h"),
     (3660, "1 h 1 min"), (86400, "1 d"), (90000, "1 d 1 h")],
)  # fmt: skip
def test_durations_read_as_people_say_them(seconds, text):
    assert duration_text(timedelta(seconds=seconds)) == text
