"""Signing in, who am I, the schema and its docs, and the audit trail for auditors and heads."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from django.conf import settings
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.audit.models import Event
from tests.factories import PASSWORD as DEMO_PASSWORD
from tests.factories import draft, submitted


def test_a_token_is_issued_for_the_right_password_only(anonymous, world):
    response = anonymous.post(
        "/api/auth/token/", {"username": "maple.planner", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    token = response.json()["token"]
    again = anonymous.post(
        "/api/auth/token/", {"username": "maple.planner", "password": DEMO_PASSWORD}
    )
    assert again.json()["token"] == token
    wrong = anonymous.post("/api/auth/token/", {"username": "maple.planner", "password": "x"})
    assert wrong.status_code == 400
    assert wrong.json()["error"]["message"] == "Unable to sign in with that username and password."


def test_me_shows_the_user_their_company_and_roles(api):
    body = api("maple.gm").get("/api/me/").json()
    assert body["user"]["username"] == "maple.gm"
    assert body["company"]["name"] == "Red Maple Apparel"
    assert body["company"]["size"] == "medium"
    assert body["department"]["name"] == "Management"
    assert body["roles"] == ["admin", "signer"]


def test_a_superuser_has_no_company_and_sees_no_plans(api):
    client = api("admin")
    assert client.get("/api/me/").json()["company"] is None
    assert client.get("/api/plans/").json()["count"] == 0


def test_session_authentication_needs_the_csrf_token(world, user):
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(user("maple.planner"))
    assert browser.get("/api/me/").status_code == 200
    body = {
        "kind": "brand",
        "title": "From the browser",
        "focus": "promotion",
        "core_task": "brand_building",
        "directive": "guiding",
        "horizon": "long_term",
    }
    refused = browser.post("/api/plans/", body, format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"
    browser.get("/api/docs/?script=")  # Swagger UI's script carries the CSRF token
    token = browser.cookies["csrftoken"].value
    created = browser.post("/api/plans/", body, format="json", HTTP_X_CSRFTOKEN=token)
    assert created.status_code == 201


def test_the_schema_and_the_docs_are_public(anonymous, db):
    schema = anonymous.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = json.loads(schema.content)["paths"]
    assert "/api/plans/{plan_id}/revisions/{number}/diff/" in paths
    assert "409" in paths["/api/tasks/{task_id}/decide/"]["post"]["responses"]
    docs = anonymous.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_an_auditor_filters_the_whole_trail_of_their_company(api, user):
    planner = user("maple.planner")
    plan = submitted(planner, title="Audited")
    client = api("maple.auditor")
    everything = client.get("/api/audit/events/?page_size=200").json()
    assert everything["count"] == Event.objects.filter(company_id=plan.company_id).count()
    only_plan = client.get(f"/api/audit/events/?plan={plan.pk}").json()["results"]
    assert [e["action"] for e in only_plan] == ["create", "submit"]
    submits = client.get(f"/api/audit/events/?action=submit&actor={planner.pk}").json()
    assert plan.pk in {e["plan_id"] for e in submits["results"]}
    assert {(e["action"], e["actor_name"]) for e in submits["results"]} == {
        ("submit", "maple.planner")
    }
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    for query, expected in [
        ({"since": today}, ["create", "submit"]),
        ({"until": today}, ["create", "submit"]),
        ({"until": yesterday}, []),
        ({"since": today + timedelta(days=1)}, []),
        ({"since": "0001-01-01", "until": "9999-12-31"}, ["create", "submit"]),
    ]:
        response = client.get("/api/audit/events/", {"plan": plan.pk, **query})
        assert [e["action"] for e in response.json()["results"]] == expected, query


def test_a_head_does_not_see_the_events_of_other_peoples_drafts(api, user):
    secret = draft(user("maple.planner"), title="Not yet")
    gm = api("maple.gm")
    assert gm.get(f"/api/audit/events/?plan={secret.pk}").json()["count"] == 0
    auditor = api("maple.auditor")
    assert auditor.get(f"/api/audit/events/?plan={secret.pk}").json()["count"] == 1


def test_the_export_streams_csv_and_json_lines(api, user):
    plan = submitted(user("maple.planner"), title="Exported")
    client = api("maple.auditor")
    response = client.get(f"/api/audit/export/?plan={plan.pk}&format=csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["action"], row["plan_id"]) for row in rows] == [
        ("create", str(plan.pk)),
        ("submit", str(plan.pk)),
    ]
    response = client.get(f"/api/audit/export/?plan={plan.pk}&format=jsonl")
    assert response["Content-Type"] == "application/x-ndjson; charset=utf-8"
    lines = b"".join(response.streaming_content).decode().splitlines()
    records = [json.loads(line) for line in lines]
    assert [record["action"] for record in records] == ["create", "submit"]
    assert records[1]["prev_hash"] == records[0]["hash"]  # the chain travels with the export


def test_the_trail_is_not_found_for_anyone_but_auditors_and_heads(api):
    # As on the audit pages: the trail does not exist for a planner or a reviewer.
    for path in ("/api/audit/events/", "/api/audit/export/?format=jsonl"):
        response = api("maple.sales").get(path)
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"error": {"code": "not_found", "message": "Not found."}}


@override_settings(AXES_ENABLED=True, AXES_FAILURE_LIMIT=2, API_TOKEN_RATE="100/minute")
def test_repeated_wrong_passwords_lock_the_account_out_with_a_429(anonymous, world):
    wrong = {"username": "maple.planner", "password": "guess"}
    assert anonymous.post("/api/auth/token/", wrong).status_code == 400
    locked = anonymous.post("/api/auth/token/", wrong)
    assert locked.status_code == 429, locked.content
    right = {"username": "maple.planner", "password": DEMO_PASSWORD}
    response = anonymous.post("/api/auth/token/", right)
    assert response.status_code == 429
    assert response.json()["error"]["message"].startswith(
        "Too many failed sign-ins; try again later."
    )
    assert int(response["Retry-After"]) == settings.LOCKOUT_RETRY_AFTER > 0


def test_a_token_expires_after_its_lifetime_and_a_new_sign_in_issues_another(sign_in, user):
    client = sign_in("maple.planner")
    assert client.get("/api/me/").status_code == 200
    token = Token.objects.get(user=user("maple.planner"))
    age = timedelta(days=settings.API_TOKEN_TTL_DAYS, minutes=1)
    Token.objects.filter(pk=token.pk).update(created=timezone.now() - age)
    expired = client.get("/api/me/")
    assert expired.status_code == 401
    assert expired.json()["error"]["message"].startswith("This token has expired")
    assert not Token.objects.filter(pk=token.pk).exists()
    again = sign_in("maple.planner")
    assert again.get("/api/me/").status_code == 200


def test_a_password_change_or_deactivation_revokes_the_token(sign_in, user):
    planner = sign_in("maple.planner")
    person = user("maple.planner")
    person.set_password("a-new-password-1")
    person.save()
    assert planner.get("/api/me/").status_code == 401
    reviewer = sign_in("maple.sales")
    person = user("maple.sales")
    person.is_active = False
    person.save()
    assert reviewer.get("/api/me/").status_code == 401
    assert not Token.objects.filter(user__username__in=["maple.planner", "maple.sales"]).exists()


def test_an_unrelated_save_keeps_the_token(sign_in, user):
    planner = sign_in("maple.planner")
    person = user("maple.planner")
    person.first_name = "Renamed"
    person.save()
    assert planner.get("/api/me/").status_code == 200


def test_delete_on_the_token_endpoint_revokes_the_callers_token_only(sign_in, anonymous):
    planner, reviewer = sign_in("maple.planner"), sign_in("maple.sales")
    assert planner.delete("/api/auth/token/").status_code == 204
    assert planner.get("/api/me/").status_code == 401
    assert reviewer.get("/api/me/").status_code == 200
    assert anonymous.delete("/api/auth/token/").status_code == 401


def test_the_schema_states_the_limits_the_api_enforces(anonymous, db):
    schema = json.loads(anonymous.get("/api/schema/?format=json").content)
    components = schema["components"]["schemas"]
    assert components["PlanWrite"]["properties"]["title"]["minLength"] == 1
    for name in ("username", "password"):
        assert components["TokenRequest"]["properties"][name]["minLength"] == 1
    for name in ("status", "revision_count", "submitted_at"):
        assert name in components["Plan"]["required"]
        assert name in components["PlanDetail"]["required"]
    create = schema["paths"]["/api/plans/"]["post"]["responses"]
    assert {"406", "413", "415", "503"} <= set(create)
    assert "406" in schema["paths"]["/api/plans/"]["get"]["responses"]


def test_a_client_that_accepts_no_json_gets_a_406_in_the_error_shape(api):
    response = api("maple.planner").get("/api/plans/", HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert json.loads(response.content)["error"]["code"] == "not_acceptable"
