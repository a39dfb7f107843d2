"""Plans: what each kind must hold, revisions frozen at submission, and their diff."""

import pytest

from apps.audit.models import Event
from apps.core.errors import NotFound, ValidationError
from apps.plans import services as plan_services
from apps.plans.fingerprints import content_fingerprint, revision_payload
from apps.plans.kinds import KINDS, MAX_TEXT, content_clean
from apps.plans.models import PlanRevision, Status
from apps.plans.selectors import revision_diff, revision_get
from tests.factories import PROMO_CONTENT, decide, draft, history, submitted
from workflows import services as approvals

COMPLETE = {
    "promotional": PROMO_CONTENT,
    "brand": {
        "target_customers": "Students",
        "positioning_statement": "Warm and cheap",
        "brand_message": "Stay warm",
        "budget": "1000",
    },
    "market_strategy": {"target_market": "Teens", "positioning": "Bold", "needs": "Hoodies"},
    "marketing_mix": {"product": "Coats", "price": "Mid", "channel": "Malls", "promotion": "TV"},
    "sales_target": {
        "period": "2027 Q1",
        "target": "2000000",
        "market_forecast": "2100000",
        "execution_monitoring": "Monthly store reports",
    },
}


def test_every_kind_has_a_complete_example():
    assert set(COMPLETE) == set(KINDS)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_submission_demands_every_required_field_of_the_kind(kind):
    required = {f"content.{f.name}" for f in KINDS[kind][1] if f.required}

    assert content_clean(kind, {}, complete=False) == {f.name: "" for f in KINDS[kind][1]}
    with pytest.raises(ValidationError) as error:
        content_clean(kind, {}, complete=True)
    assert set(error.value.fields) == required
    assert content_clean(kind, COMPLETE[kind], complete=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("campaign_start", "01/03/2027", "YYYY-MM-DD"),
        ("budget", "lots", "Enter a number."),
        ("budget", "-1", "zero or more"),
        ("budget", "NaN", "Enter a number."),
        ("budget", "Infinity", "Enter a number."),
        ("budget", "1e30", "Enter a number."),
        ("budget", "1" * 26, "up to 999,999,999,999,999.99"),
        ("budget", "1,2,3", "Enter a number."),
        ("budget", "\uff10\uff12", "Enter a number."),
        ("budget", "12.345", "Enter a number."),
        ("expected_uplift", "1001", "up to 1000"),
        ("regions", "x" * (MAX_TEXT + 1), "At most"),
    ],
)
def test_content_values_are_checked_by_type(field, value, message):
    with pytest.raises(ValidationError) as error:
        content_clean("promotional", {**PROMO_CONTENT, field: value}, complete=False)
    assert message in error.value.fields[f"content.{field}"][0]


def test_content_values_are_normalised():
    cleaned = content_clean(
        "promotional",
        {**PROMO_CONTENT, "budget": " 1,200 ", "expected_uplift": "7.5", "events": "  Fair  "},
        complete=True,
    )
    assert (cleaned["budget"], cleaned["expected_uplift"], cleaned["events"]) == (
        "1200.00",
        "7.50",
        "Fair",
    )


def test_content_that_does_not_fit_the_kind_is_refused():
    with pytest.raises(ValidationError) as error:
        content_clean(
            "brand", {**COMPLETE["brand"], "campaign_start": "2027-01-01"}, complete=False
        )
    assert "campaign_start" in error.value.fields["content"][0]
    with pytest.raises(ValidationError) as error:
        content_clean("brand", ["not", "an", "object"], complete=False)
    assert "content" in error.value.fields
    with pytest.raises(ValidationError) as error:
        content_clean("promotional", {**PROMO_CONTENT, "campaign_end": "2027-04-01"}, complete=True)
    assert "content.campaign_end" in error.value.fields
    with pytest.raises(ValidationError) as error:
        content_clean("poster", {}, complete=False)
    assert "kind" in error.value.fields


def test_a_plan_of_every_kind_can_be_submitted_and_freezes_its_content(user):
    planner = user("maple.planner")
    for kind, content in COMPLETE.items():
        plan = submitted(planner, kind=kind, title=f"A {kind} plan", content=content)
        revision = plan.revisions.get()
        assert plan.status == Status.IN_REVIEW
        assert (revision.number, revision.kind, revision.created_by) == (1, kind, planner)
        assert revision.content == content_clean(kind, content, complete=True)
        assert revision.content_sha256 == content_fingerprint(revision_payload(revision))
        first_diff = {c.field: (c.old, c.new) for c in revision_diff(None, revision)}
        assert first_diff["title"] == ("", f"A {kind} plan")
        assert first_diff["kind"] == ("", kind)
        filled = {f"content.{name}" for name, value in revision.content.items() if value}
        assert {field for field in first_diff if field.startswith("content.")} == filled


def test_revisions_are_immutable_and_survive_the_rework(user):
    planner = user("maple.planner")
    plan = submitted(planner, title="Spring")
    first = plan.revisions.get(number=1)
    frozen = (first.title, first.content, first.content_sha256)

    first.title = "Rewritten history"
    with pytest.raises(RuntimeError):
        first.save()

    decide(plan, user("maple.sales"), "request_changes", "Lower the budget.")
    plan_services.plan_update(
        actor=planner,
        plan=plan,
        data={"title": "Spring, smaller", "content": {**PROMO_CONTENT, "budget": "20000"}},
    )
    approvals.plan_submit(actor=planner, plan_id=plan.pk)

    first = PlanRevision.objects.get(plan=plan, number=1)
    second = PlanRevision.objects.get(plan=plan, number=2)
    assert (first.title, first.content, first.content_sha256) == frozen
    assert second.title == "Spring, smaller"
    assert second.content_sha256 != first.content_sha256
    assert [(c.field, c.old, c.new) for c in revision_diff(first, second)] == [
        ("title", "Spring", "Spring, smaller"),
        ("content.budget", "50000.00", "20000.00"),
    ]
    resubmit = Event.objects.filter(plan_id=plan.pk, action="resubmit").get()
    assert resubmit.data["changed"] == ["title", "content.budget"]
    assert resubmit.data["content_sha256"] == second.content_sha256
    with pytest.raises(NotFound):
        revision_get(plan=plan, number=3)


def test_an_unchanged_resubmission_has_an_empty_diff(user):
    planner = user("maple.planner")
    plan = submitted(planner)
    decide(plan, user("maple.sales"), "request_changes", "Think again.")
    approvals.plan_submit(actor=planner, plan_id=plan.pk)

    first, second = plan.revisions.order_by("number")
    assert revision_diff(first, second) == []
    assert first.content_sha256 == second.content_sha256


def test_editing_a_draft_records_what_changed_and_a_no_op_records_nothing(user):
    planner = user("maple.planner")
    plan = draft(planner)

    plan_services.plan_update(actor=planner, plan=plan, data={"title": "Test plan"})
    plan_services.plan_update(
        actor=planner, plan=plan, data={"directive": "guiding", "kind": "brand"}
    )

    plan.refresh_from_db()
    assert (plan.kind, plan.directive) == ("brand", "guiding")
    assert plan.content == {}
    assert history(plan) == [
        ("create", "maple.planner", "", "", "draft", None),
        ("edit", "maple.planner", "", "draft", "draft", None),
    ]
    edit = Event.objects.filter(plan_id=plan.pk, action="edit").get()
    assert edit.data["changed"] == ["content", "directive", "kind"]
