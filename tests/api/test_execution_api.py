"""The execution contract over REST: take-up tasks, feedback, replies, the feed and the close."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token

from apps.plans.models import FeedbackKind
from tests.api.conftest import JsonClient
from tests.factories import decide
from tests.reliability.harness import large_company, medium_company, small_company
from tests.workflows.test_execution import TARGET_CONTENT, signed_off

pytestmark = pytest.mark.django_db

SIZES = {"small": small_company, "medium": medium_company, "large": large_company}


def client_for(user) -> JsonClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = JsonClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def error_code(response) -> str:
    return response.json()["error"]["code"]


def take_up_all(world, plan, outcome="acknowledge", comment=""):
    for name, people in world.reviewers.items():
        reviewer = client_for(people[0])
        tasks = reviewer.get("/api/tasks/?scope=queue").json()["results"]
        (task,) = [t for t in tasks if t["plan"]["id"] == plan.pk]
        assert (task["step"], task["department"]) == ("take_up", name)
        response = reviewer.post(
            f"/api/tasks/{task['id']}/decide/", {"outcome": outcome, "comment": comment}
        )
        assert response.status_code == 200, response.content
    return response.json()["plan"]


@pytest.mark.parametrize("size", SIZES)
def test_sign_off_take_up_feedback_reply_and_close_over_the_api(size):
    world = SIZES[size](f"api{size}")
    plan = signed_off(world)
    planner = client_for(world.planner)

    body = planner.get(f"/api/plans/{plan.pk}/").json()
    assert body["status"] == "approved"
    assert body["follows"] is None
    assert [d["department"] for d in body["execution"]["departments"]] == list(world.reviewers)
    assert {d["take_up"] for d in body["execution"]["departments"]} == {None}
    assert [s["step"] for s in body["current_steps"]] == ["take_up"] * len(world.reviewers)

    reviewer = client_for(next(iter(world.reviewers.values()))[0])
    task = reviewer.get("/api/tasks/?scope=queue").json()["results"][0]
    assert task["outcomes"] == ["acknowledge"]
    body = take_up_all(world, plan)
    assert body["status"] == "in_execution"
    for row in body["execution"]["departments"]:
        assert row["take_up"] == "acknowledge"
        assert row["by"]["username"] in {p[0].username for p in world.reviewers.values()}
        assert row["at"] and row["feedback_due"] and row["last_feedback_at"] is None

    for kind in FeedbackKind.values:
        response = reviewer.post(
            f"/api/plans/{plan.pk}/feedback/", {"kind": kind, "text": f"On {kind}."}
        )
        assert response.status_code == 201, response.content
        assert response.json()["kind"] == kind and response.json()["replies"] == []
    listing = planner.get(f"/api/plans/{plan.pk}/feedback/").json()
    assert listing["count"] == 6
    newest = listing["results"][0]
    assert newest["kind"] == "opinions"
    reply = planner.post(f"/api/feedback/{newest['id']}/replies/", {"text": "Thank you."})
    assert reply.status_code == 201, reply.content
    again = planner.get(f"/api/plans/{plan.pk}/feedback/").json()["results"][0]
    assert [r["text"] for r in again["replies"]] == ["Thank you."]

    feed = planner.get("/api/feedback/?kind=competitors").json()
    assert [f["kind"] for f in feed["results"]] == ["competitors"]
    assert planner.get(f"/api/feedback/?plan={plan.pk}").json()["count"] == 6

    response = planner.post(f"/api/plans/{plan.pk}/close/", {"summary": "Went well."})
    assert response.status_code == 200, response.content
    closed = response.json()
    assert closed["status"] == "closed"
    assert closed["execution"]["summary"] == "Went well."
    assert closed["execution"]["closed_at"] is not None
    assert closed["execution"]["actual_sales"] is None

    assert {
        e["action"]
        for e in planner.get(f"/api/plans/{plan.pk}/history/?page_size=200").json()["results"]
    } >= {"acknowledge", "feedback", "reply", "conclude"}


def test_feed_filters_by_department():
    world = large_company("feedby")
    plan = signed_off(world)
    take_up_all(world, plan)
    east = world.reviewers["Eastern Sales"][0]
    client_for(east).post(f"/api/plans/{plan.pk}/feedback/", {"kind": "competitors", "text": "E"})
    west = world.reviewers["Western Sales"][0]
    client_for(west).post(f"/api/plans/{plan.pk}/feedback/", {"kind": "competitors", "text": "W"})
    east_id = east.membership.department_id
    feed = client_for(world.planner).get(f"/api/feedback/?department={east_id}").json()
    assert [f["text"] for f in feed["results"]] == ["E"]


def test_errors_keep_the_one_shape():
    world = medium_company("apierr")
    plan = signed_off(world, directive="guiding")
    reviewer = client_for(world.reviewers["Sales"][0])
    planner = client_for(world.planner)
    task = reviewer.get("/api/tasks/?scope=queue").json()["results"][0]
    assert task["outcomes"] == ["adopt", "adapt", "decline"]

    # feedback or close before execution: 409
    response = reviewer.post(f"/api/plans/{plan.pk}/feedback/", {"kind": "opinions", "text": "x"})
    assert (response.status_code, error_code(response)) == (409, "conflict")
    response = planner.post(f"/api/plans/{plan.pk}/close/", {"summary": "x"})
    assert response.status_code == 409

    # adapt and decline need a comment: 400
    for outcome in ("adapt", "decline"):
        response = reviewer.post(f"/api/tasks/{task['id']}/decide/", {"outcome": outcome})
        assert response.status_code == 400 and "comment" in response.json()["error"]["fields"]
    response = reviewer.post(
        f"/api/tasks/{task['id']}/decide/", {"outcome": "decline", "comment": "Not our season."}
    )
    assert response.status_code == 200
    assert response.json()["plan"]["execution"]["departments"][0]["take_up"] == "decline"

    # a planner filing feedback: 403
    response = planner.post(f"/api/plans/{plan.pk}/feedback/", {"kind": "opinions", "text": "x"})
    assert (response.status_code, error_code(response)) == (403, "forbidden")
    # an unknown kind: 400
    response = reviewer.post(f"/api/plans/{plan.pk}/feedback/", {"kind": "weather", "text": "x"})
    assert response.status_code == 400 and "kind" in response.json()["error"]["fields"]
    # close without a summary: 400
    response = planner.post(f"/api/plans/{plan.pk}/close/", {})
    assert response.status_code == 400 and "summary" in response.json()["error"]["fields"]


def test_adopt_on_a_mandatory_plan_is_refused():
    world = medium_company("apimust")
    plan = signed_off(world)
    reviewer = client_for(world.reviewers["Sales"][0])
    task = reviewer.get("/api/tasks/?scope=queue").json()["results"][0]
    assert task["plan"]["id"] == plan.pk
    response = reviewer.post(f"/api/tasks/{task['id']}/decide/", {"outcome": "adopt"})
    assert response.status_code == 400
    assert "outcome" in response.json()["error"]["fields"]


def test_sales_target_closes_only_with_actual_sales():
    world = medium_company("apitarget")
    plan = signed_off(world, kind="sales_target", content=TARGET_CONTENT)
    decide(plan, world.reviewers["Sales"][0], "acknowledge", step="take_up")
    planner = client_for(world.planner)
    response = planner.post(f"/api/plans/{plan.pk}/close/", {"summary": "Done."})
    assert response.status_code == 400 and "actual_sales" in response.json()["error"]["fields"]
    response = planner.post(
        f"/api/plans/{plan.pk}/close/", {"summary": "Done.", "actual_sales": "98000"}
    )
    assert response.status_code == 200
    assert response.json()["execution"]["actual_sales"] == "98000.00"


def test_follow_up_is_drafted_with_follows_and_closes_the_plan_it_follows():
    world = medium_company("apifollow")
    first = signed_off(world)
    decide(first, world.reviewers["Sales"][0], "acknowledge", step="take_up")
    planner = client_for(world.planner)
    body = {
        "kind": "promotional",
        "title": "Second wave",
        "focus": "channels",
        "core_task": "market_share",
        "directive": "mandatory",
        "horizon": "short_term",
        "content": {
            "campaign_start": "2027-06-01",
            "campaign_end": "2027-06-30",
            "regions": "All",
            "channels": "Stores",
            "budget": "1000",
        },
        "follows": first.pk,
    }
    response = planner.post("/api/plans/", body)
    assert response.status_code == 201, response.content
    follow_up = response.json()
    assert follow_up["follows"] == first.pk
    assert planner.post(f"/api/plans/{follow_up['id']}/submit/").status_code == 200
    reviewer = client_for(world.reviewers["Sales"][0])
    task = [
        t
        for t in reviewer.get("/api/tasks/?scope=queue").json()["results"]
        if t["plan"]["id"] == follow_up["id"]
    ][0]
    reviewer.post(f"/api/tasks/{task['id']}/decide/", {"outcome": "approve"})
    signer = client_for(world.signers[0])
    task = signer.get("/api/tasks/?scope=queue").json()["results"][0]
    assert (
        signer.post(f"/api/tasks/{task['id']}/decide/", {"outcome": "approve"}).status_code == 200
    )
    assert planner.get(f"/api/plans/{first.pk}/").json()["status"] == "closed"


def test_another_companys_plan_and_feedback_are_404_everywhere():
    world, other = medium_company("apimine"), medium_company("apitheirs")
    plan = signed_off(world)
    decide(plan, world.reviewers["Sales"][0], "acknowledge", step="take_up")
    feedback = (
        client_for(world.reviewers["Sales"][0])
        .post(f"/api/plans/{plan.pk}/feedback/", {"kind": "opinions", "text": "secret"})
        .json()
    )
    for stranger in (other.planner, other.reviewers["Sales"][0], other.signers[0]):
        client = client_for(stranger)
        missing = client.get("/api/plans/999999999/feedback/")
        for response in (
            client.get(f"/api/plans/{plan.pk}/feedback/"),
            client.post(f"/api/plans/{plan.pk}/feedback/", {"kind": "opinions", "text": "x"}),
            client.post(f"/api/feedback/{feedback['id']}/replies/", {"text": "x"}),
            client.post(f"/api/plans/{plan.pk}/close/", {"summary": "x"}),
        ):
            assert response.status_code == 404
            assert response.json() == missing.json()
        assert client.get("/api/feedback/").json()["count"] == 0
        assert client.get(f"/api/feedback/?plan={plan.pk}").json()["count"] == 0
        export = client.get("/api/audit/export/?format=jsonl")
        body = b"".join(export.streaming_content) if export.streaming else export.content
        assert b"secret" not in body
