"""The error contract: every status the issue names, produced by a real request, in one shape."""

from __future__ import annotations

import pytest
from django.test import override_settings

from apps.plans.models import Plan
from tests.factories import PASSWORD as DEMO_PASSWORD
from tests.factories import draft, open_task, submitted


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    assert {"code", "message"} <= set(body["error"]) <= {"code", "message", "fields"}
    return body["error"]


def test_missing_fields_are_reported_field_by_field(api):
    error = error_of(api("maple.planner").post("/api/plans/", {"title": ""}), 400)
    assert error["code"] == "invalid"
    # focus and core task default to the company's strategy, the directive to the scope's
    assert set(error["fields"]) == {"kind", "title", "horizon"}


def test_a_plan_without_focus_in_a_company_without_a_strategy_is_told_to_name_one(api):
    body = {"kind": "brand", "title": "No strategy yet", "horizon": "short_term"}
    error = error_of(api("maple.planner").post("/api/plans/", body), 400)
    assert set(error["fields"]) == {"focus", "core_task"}


def test_rules_of_the_service_come_back_as_field_errors(api):
    body = {
        "kind": "promotional",
        "title": "Dates the wrong way round",
        "focus": "channels",
        "core_task": "market_share",
        "directive": "mandatory",
        "horizon": "short_term",
        "content": {"campaign_start": "2027-05-31", "campaign_end": "2027-05-01", "nope": "x"},
    }
    error = error_of(api("maple.planner").post("/api/plans/", body), 400)
    assert error["fields"] == {
        "content": ["Unknown field(s) for this kind: nope."],
        "content.campaign_end": ["The campaign cannot end before it starts."],
    }


@pytest.mark.parametrize(
    "body",
    [
        {"title": ["a list"], "content": "not an object"},
        {"region_ids": ["east"], "content": {"budget": {"nested": 1}}},
        {"region_ids": [2**70], "title": "x\x00y"},
    ],
)
def test_wrong_types_are_a_400_not_a_crash(api, body):
    error = error_of(api("maple.planner").post("/api/plans/", body), 400)
    assert error["fields"]


def test_malformed_json_is_a_400(api):
    response = api("maple.planner").post(
        "/api/plans/", data='{"title": ', content_type="application/json"
    )
    assert error_of(response, 400)["code"] == "parse_error"


def test_a_body_that_is_not_json_is_a_415(api):
    response = api("maple.planner").post("/api/plans/", data="title=x", content_type="text/plain")
    assert error_of(response, 415)["code"] == "unsupported_media_type"


def test_bad_filters_are_a_400(api):
    client = api("maple.auditor")
    assert "status" in error_of(client.get("/api/plans/?status=lost"), 400)["fields"]
    assert "scope" in error_of(client.get("/api/tasks/?scope=everything"), 400)["fields"]
    assert "since" in error_of(client.get("/api/audit/events/?since=yesterday"), 400)["fields"]
    assert "actor" in error_of(client.get("/api/audit/events/?actor=maple.gm"), 400)["fields"]
    assert "plan" in error_of(client.get(f"/api/audit/events/?plan={2**80}"), 400)["fields"]
    assert "format" in error_of(client.get("/api/audit/export/?format=xml"), 400)["fields"]
    assert "q" in error_of(client.get("/api/plans/?q=a%00b"), 400)["fields"]


def test_no_credentials_is_a_401_asking_for_a_token(anonymous):
    response = anonymous.get("/api/plans/")
    assert error_of(response, 401)["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


def test_an_unknown_token_is_a_401(anonymous, db):
    anonymous.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert error_of(anonymous.get("/api/me/"), 401)["code"] == "authentication_failed"


def test_an_author_deciding_on_their_own_plan_is_a_403(api, user):
    # In a small company the planner also reviews for the department, but not their own plan.
    plan = submitted(user("lotus.planner"))
    task = open_task(plan, step="review")
    response = api("lotus.planner").post(f"/api/tasks/{task.pk}/decide/", {"outcome": "approve"})
    error = error_of(response, 403)
    assert error == {
        "code": "forbidden",
        "message": "Nobody reviews or signs off a plan they wrote.",
    }


def test_a_reviewer_editing_a_plan_they_can_see_is_a_403(api, user):
    plan = submitted(user("maple.planner"))
    response = api("maple.sales").patch(f"/api/plans/{plan.pk}/", {"title": "Mine now"})
    assert error_of(response, 403)["code"] == "forbidden"


def test_another_companys_plan_is_exactly_as_missing_as_a_plan_that_never_was(api, user):
    foreign = submitted(user("maple.planner"))
    missing = Plan.objects.order_by("-pk").first().pk + 1000
    client = api("lotus.auditor")  # an auditor reads every plan of their own company
    for suffix in ("", "revisions/", "history/", "revisions/1/diff/"):
        theirs = client.get(f"/api/plans/{foreign.pk}/{suffix}")
        nobodys = client.get(f"/api/plans/{missing}/{suffix}")
        assert error_of(theirs, 404) == {"code": "not_found", "message": "Not found."}
        assert error_of(nobodys, 404) == error_of(theirs, 404)
        assert theirs.content == nobodys.content
    task = open_task(foreign, step="review")
    lotus_reviewer = api("lotus.seller")
    for action in ("claim", "release", "decide"):
        theirs = lotus_reviewer.post(f"/api/tasks/{task.pk}/{action}/", {"outcome": "approve"})
        nobodys = lotus_reviewer.post(f"/api/tasks/999999/{action}/", {"outcome": "approve"})
        assert theirs.content == nobodys.content
        assert error_of(theirs, 404)["code"] == "not_found"


def test_a_colleagues_draft_is_not_found_either(api, user):
    plan = draft(user("maple.planner"))
    assert error_of(api("maple.gm").get(f"/api/plans/{plan.pk}/"), 404)["code"] == "not_found"


@pytest.mark.parametrize("plan_id", ["abc", "1.5", "-1", str(2**80), "%20"])
def test_ids_that_are_not_ids_are_a_404(api, plan_id):
    response = api("maple.planner").get(f"/api/plans/{plan_id}/")
    assert error_of(response, 404)["code"] == "not_found"


@pytest.mark.parametrize("spelling", ["%20{id}%20", "+{id}", "0{id}x", "{wide}"])
def test_other_spellings_of_a_real_id_are_a_404(api, user, spelling):
    plan = draft(user("maple.planner"))
    wide = "".join(chr(0xFF10 + int(digit)) for digit in str(plan.pk))  # full-width digits
    url = f"/api/plans/{spelling.format(id=plan.pk, wide=wide)}/"
    assert api("maple.planner").get(f"/api/plans/{plan.pk}/").status_code == 200
    assert error_of(api("maple.planner").get(url), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": 12345}, "title"),
        ({"title": "\u200b\u200b\u200c\ufeff"}, "title"),
        ({"content": {"budget": "1,2,3"}}, "content.budget"),
        ({"content": {"budget": "1e30"}}, "content.budget"),
    ],
    ids=["a number as the title", "a title of zero-width spaces", "1,2,3", "1e30"],
)
def test_lenient_input_is_refused_and_changes_nothing(api, user, body, field):
    plan = draft(user("maple.planner"), title="Kept")
    before = Plan.objects.values().get(pk=plan.pk)
    error = error_of(api("maple.planner").patch(f"/api/plans/{plan.pk}/", body), 400)
    assert field in error["fields"]
    assert Plan.objects.values().get(pk=plan.pk) == before


@pytest.mark.parametrize(
    "query",
    [
        "/api/plans/?status=",
        "/api/plans/?kind=",
        "/api/tasks/?scope=",
        "/api/audit/events/?until=",
        "/api/audit/events/?since=",
        "/api/plans/?page_size=0",
        "/api/plans/?page_size=-5",
        "/api/plans/?page_size=abc",
    ],
)
def test_empty_filters_and_bad_page_sizes_are_a_400_not_ignored(api, query):
    error = error_of(api("maple.gm").get(query), 400)
    assert error["code"] == "invalid" and error["fields"]


def test_an_overlong_cancel_comment_is_refused_like_a_decision_comment(api, user):
    plan = submitted(user("maple.planner"))
    response = api("maple.planner").post(
        f"/api/plans/{plan.pk}/cancel/", {"comment": "x" * 100_000}
    )
    assert error_of(response, 400)["fields"] == {
        "comment": ["Ensure this field has no more than 5000 characters."]
    }
    plan.refresh_from_db()
    assert plan.status == "in_review"


def test_a_page_that_does_not_exist_is_a_404_in_the_same_shape(api):
    assert error_of(api("maple.planner").get("/api/plans/?page=99"), 404)["code"] == "not_found"


def test_a_huge_page_size_is_capped_at_200(api, user):
    planner = user("maple.planner")
    for number in range(203):  # more than the cap, so that an uncapped page would show it
        draft(planner, title=f"Draft {number}")
    client = api("maple.planner")
    for asked in ("200", "201", str(10**30)):
        response = client.get(f"/api/plans/?page_size={asked}")
        assert response.status_code == 200, asked
        body = response.json()
        assert (body["count"], len(body["results"])) == (203, 200), asked
        assert body["next"] is not None, asked
    rest = client.get(f"/api/plans/?page_size={10**30}&page=2").json()
    assert len(rest["results"]) == 3
    assert len(client.get("/api/plans/?page_size=7").json()["results"]) == 7


def test_an_unsupported_method_is_a_405(api, user):
    plan = draft(user("maple.planner"))
    response = api("maple.planner").delete(f"/api/plans/{plan.pk}/")
    assert error_of(response, 405)["code"] == "method_not_allowed"


def test_deciding_a_finished_task_is_a_409(api, user):
    plan = submitted(user("maple.planner"))
    task = open_task(plan, step="review")
    client = api("maple.sales")
    assert client.post(f"/api/tasks/{task.pk}/decide/", {"outcome": "approve"}).status_code == 200
    response = client.post(f"/api/tasks/{task.pk}/decide/", {"outcome": "approve"})
    assert error_of(response, 409) == {
        "code": "conflict",
        "message": "This task is already finished.",
    }


def test_submitting_a_plan_twice_is_a_409(api, user):
    plan = draft(user("maple.planner"))
    client = api("maple.planner")
    assert client.post(f"/api/plans/{plan.pk}/submit/").status_code == 200
    response = client.post(f"/api/plans/{plan.pk}/submit/")
    assert error_of(response, 409)["message"] == "The plan is in review; it cannot be submitted."


def test_the_signer_who_claims_second_loses_the_race_with_a_409(api, user):
    plan = submitted(user("maple.planner"))
    review = open_task(plan, step="review")
    api("maple.sales").post(f"/api/tasks/{review.pk}/decide/", {"outcome": "approve"})
    sign_off = open_task(plan, step="sign_off")
    assert api("maple.gm").post(f"/api/tasks/{sign_off.pk}/claim/").status_code == 200
    response = api("maple.salesdir").post(f"/api/tasks/{sign_off.pk}/claim/")
    assert error_of(response, 409)["message"] == "maple.gm has already claimed this task."
    response = api("maple.salesdir").post(
        f"/api/tasks/{sign_off.pk}/decide/", {"outcome": "approve"}
    )
    assert error_of(response, 409)["message"] == "maple.gm has claimed this task."


@override_settings(API_TOKEN_RATE="3/minute")
def test_the_token_endpoint_is_throttled_with_a_429(anonymous, world):
    attempt = {"username": "maple.planner", "password": "wrong"}
    for _ in range(3):
        assert anonymous.post("/api/auth/token/", attempt).status_code == 400
    right = {"username": "maple.planner", "password": DEMO_PASSWORD}
    response = anonymous.post("/api/auth/token/", right)
    assert error_of(response, 429)["code"] == "throttled"
    assert int(response["Retry-After"]) > 0


def test_an_unknown_api_path_is_a_json_404(anonymous, db):
    assert error_of(anonymous.get("/api/nothing-here/"), 404) == {
        "code": "not_found",
        "message": "Not found.",
    }
    # Without its trailing slash a POST is neither redirected (losing its body) nor a 500.
    missing_slash = anonymous.post("/api/plans", {"title": "x"})
    assert error_of(missing_slash, 404)["message"] == "Not found. Every API path ends with a slash."
