"""Who reads the history, who does not, and that an auditor changes nothing anywhere."""

from __future__ import annotations

import pytest
from django.template.loader import render_to_string

from apps.audit.export import read_csv, read_jsonl
from apps.audit.models import ChainHead, Event
from apps.core.errors import DomainError
from apps.org import services as org_services
from apps.org.models import Company
from apps.plans import services as plan_services
from apps.plans.models import Plan
from tests.factories import decide, draft, open_task, snapshot, submitted
from tests.http import allowed_methods, sent_to_log_in
from workflows import services as approvals
from workflows.models import ApprovalTask

HISTORY, EXPORT = "/audit/", "/audit/export/"


def heads() -> list[tuple[int, int, str]]:
    return list(ChainHead.objects.order_by("company_id").values_list("company_id", "seq", "hash"))


def exported(client, fmt: str = "jsonl", **filters) -> list[dict]:
    response = client.get(EXPORT, {"format": fmt, **filters})
    assert response.status_code == 200
    assert response.streaming
    body = b"".join(response.streaming_content).decode()
    return list(read_jsonl(body.splitlines()) if fmt == "jsonl" else read_csv(body))


@pytest.fixture
def plans(user):
    """Red Maple plans in every state an auditor could try to touch."""
    planner = user("maple.planner")
    return {
        "draft": draft(planner, title="Quiet draft"),
        "in_review": submitted(planner, title="Maple knitwear push"),
        "claimed": _claimed(submitted(planner, title="Claimed"), user("maple.sales")),
        "awaiting_signoff": decide(
            submitted(planner, title="To sign"), user("maple.sales"), "approve"
        ),
        "changes_requested": decide(
            submitted(planner, title="Sent back"), user("maple.sales"), "request_changes", "More."
        ),
    }


def _claimed(plan, reviewer):
    approvals.task_claim(actor=reviewer, task_id=open_task(plan, step="review").pk)
    return plan


def attempts(auditor, plan):
    """Every write an interface offers, as the auditor."""
    yield lambda: plan_services.plan_update(actor=auditor, plan=plan, data={"title": "Mine now"})
    yield lambda: approvals.plan_submit(actor=auditor, plan_id=plan.pk)
    yield lambda: approvals.plan_cancel(actor=auditor, plan_id=plan.pk, comment="Stop.")
    for task in ApprovalTask.objects.filter(process__planprocess__plan=plan):
        yield lambda task=task: approvals.task_claim(actor=auditor, task_id=task.pk)
        yield lambda task=task: approvals.task_release(actor=auditor, task_id=task.pk)
        for outcome in ("approve", "raise_concerns", "request_changes", "reject"):
            yield lambda task=task, outcome=outcome: approvals.task_decide(
                actor=auditor, task_id=task.pk, outcome=outcome, comment="Audit says so."
            )


def test_an_auditor_cannot_change_anything(user, plans):
    auditor = user("maple.auditor")
    company = Company.objects.get(slug="maple")
    before = {name: snapshot(plan) for name, plan in plans.items()}
    chain_before, events_before = heads(), Event.objects.count()
    tried = 0
    for plan in plans.values():
        for attempt in attempts(auditor, plan):
            with pytest.raises(DomainError):
                attempt()
            tried += 1
    org_writes = [
        lambda: plan_services.plan_create(
            actor=auditor, kind="brand", title="x", focus="promotion",
            core_task="brand_building", directive="guiding", horizon="long_term",
        ),
        lambda: org_services.company_update(actor=auditor, company=company, review_days=9),
        lambda: org_services.department_create(
            actor=auditor, company=company, name="Audit", kind="sales", region=""
        ),
        lambda: org_services.member_save(
            actor=auditor, company=company, user=auditor, department=None,
            roles={"admin"}, title="Boss",
        ),
        lambda: org_services.member_remove(
            actor=auditor, membership=user("maple.sales").membership
        ),
    ]  # fmt: skip
    for attempt in org_writes:
        with pytest.raises(DomainError):
            attempt()
        tried += 1
    assert tried > 40
    assert {name: snapshot(plan) for name, plan in plans.items()} == before
    assert (heads(), Event.objects.count()) == (chain_before, events_before)
    company.refresh_from_db()
    assert company.review_days == 3
    assert user("maple.auditor").membership.role_names == {"auditor"}


def test_an_auditor_reads_the_whole_history_but_posts_nothing(login, plans):
    client = login("maple.auditor")
    response = client.get(HISTORY)
    assert response.status_code == 200
    maple = Company.objects.get(slug="maple")
    shown = response.context["page"].paginator.count
    assert shown == Event.objects.filter(company_id=maple.pk).count()
    assert "Quiet draft" in response.text  # an auditor sees all of the company's events
    events = Event.objects.count()
    for url in (HISTORY, EXPORT):
        assert allowed_methods(client.post(url, {"format": "csv"})) >= {"GET"}
        assert "POST" not in allowed_methods(client.post(url, {"format": "csv"}))
    assert Event.objects.count() == events


@pytest.mark.parametrize(
    ("username", "status"),
    [
        ("maple.auditor", 200),
        ("maple.gm", 200),  # signs off and administers
        ("maple.salesdir", 200),  # signs off
        ("maple.planner", 404),
        ("maple.sales", 404),
        ("admin", 404),  # a superuser belongs to no company
    ],
)
def test_the_history_is_for_auditors_and_heads_of_the_company(login, username, status):
    client = login(username)
    assert client.get(HISTORY).status_code == status
    assert client.get(EXPORT, {"format": "csv"}).status_code == status


def test_nobody_signed_in_is_sent_to_log_in(client, world):
    for url in (HISTORY, EXPORT):
        response = client.get(url)
        assert sent_to_log_in(response, url), response["Location"]
        assert b"maple" not in response.content


def test_a_head_does_not_see_the_events_of_someone_elses_draft(login, plans):
    draft_id = plans["draft"].pk
    for_head = exported(login("maple.salesdir"))
    assert draft_id not in {row["plan_id"] for row in for_head}
    assert plans["in_review"].pk in {row["plan_id"] for row in for_head}
    assert draft_id in {row["plan_id"] for row in exported(login("maple.auditor"))}


def test_another_company_sees_none_of_the_events(login, user, plans):
    maple = Company.objects.get(slug="maple")
    lotus = Company.objects.get(slug="lotus")
    client = login("lotus.auditor")
    page = client.get(HISTORY)
    assert page.status_code == 200
    assert {e.company_id for e in page.context["page"]} == {lotus.pk}
    assert "Maple knitwear push" not in page.text
    for fmt in ("jsonl", "csv"):
        rows = exported(client, fmt)
        assert rows and {row["company_id"] for row in rows} == {lotus.pk}
    # Filtering by a Red Maple plan or person is an invalid choice, not a way in.
    maple_plan = plans["in_review"]
    assert client.get(EXPORT, {"format": "csv", "plan": maple_plan.pk}).status_code == 400
    assert maple.pk not in {
        e.company_id for e in client.get(HISTORY, {"plan": maple_plan.pk}).context["page"]
    }
    assert client.get(f"/plans/{maple_plan.pk}/").status_code == 404


def test_the_history_filters_by_plan_person_action_step_and_days(login, user, plans):
    client = login("maple.auditor")
    plan = plans["changes_requested"]
    sales = user("maple.sales")

    def seen(**filters) -> list[tuple]:
        page = client.get(HISTORY, filters).context["page"]
        return [(e.plan_id, e.actor_name, e.action, e.step) for e in page]

    assert seen(plan=plan.pk) == [
        (plan.pk, "maple.sales", "request_changes", "review"),
        (plan.pk, "maple.planner", "submit", "submit"),
        (plan.pk, "maple.planner", "create", ""),
    ]
    assert {row[1] for row in seen(person=sales.pk)} == {"maple.sales"}
    assert {row[2] for row in seen(action="claim")} == {"claim"}
    signed = decide(plans["awaiting_signoff"], user("maple.gm"), "approve", step="sign_off")
    assert {row[3] for row in seen(step="sign_off")} == {"sign_off"}
    assert {row[0] for row in seen(step="sign_off")} == {signed.pk}
    today = Event.objects.latest("id").created_at.date().isoformat()
    everything = client.get(HISTORY).context["page"].paginator.count
    assert (
        client.get(HISTORY, {"since": today, "until": today}).context["page"].paginator.count
        == everything
    )
    assert seen(since="2001-01-01", until="2001-12-31") == []
    response = client.get(HISTORY, {"since": "2024-02-01", "until": "2024-01-01"})
    assert "The end of the range comes before its start." in response.text


def test_export_links_carry_the_filters_and_stream_the_same_events(login, plans):
    client = login("maple.auditor")
    plan = plans["awaiting_signoff"]
    page = client.get(HISTORY, {"plan": plan.pk})
    assert f'href="{EXPORT}?format=csv&amp;plan={plan.pk}"' in page.text
    assert f'href="{EXPORT}?format=jsonl&amp;plan={plan.pk}"' in page.text
    shown = sorted(e.pk for e in page.context["page"])
    for fmt in ("csv", "jsonl"):
        response = client.get(EXPORT, {"format": fmt, "plan": plan.pk})
        assert response["Content-Disposition"].startswith('attachment; filename="maple-audit-')
        assert response["Cache-Control"] == "no-store"
        assert sorted(row["id"] for row in exported(client, fmt, plan=plan.pk)) == shown
    assert client.get(EXPORT, {"format": "xml"}).status_code == 400


def test_the_timeline_groups_a_plans_events_by_revision(user):
    planner = user("maple.planner")
    plan = decide(
        submitted(planner, title="Timeline"),
        user("maple.sales"),
        "request_changes",
        "Add the leaflets.",
    )
    approvals.plan_submit(actor=planner, plan_id=plan.pk)
    decide(plan, user("maple.sales"), "approve", "Good now.")
    html = render_to_string(
        "audit/_timeline.html", {"events": Event.objects.filter(plan_id=plan.pk)}
    )
    assert [html.index(t) for t in ("Draft", "Revision 1", "Revision 2")] == sorted(
        html.index(t) for t in ("Draft", "Revision 1", "Revision 2")
    )
    revisions = {r.number: r.content_sha256 for r in Plan.objects.get(pk=plan.pk).revisions.all()}
    for fingerprint in revisions.values():
        assert fingerprint in html
    assert "“Add the leaflets.”" in html and "“Good now.”" in html
    assert html.count("took under a minute") == 3  # two reviews and the resubmission
    assert "Sales review" in html and "Revision" in html


def test_an_auditor_opens_a_plan_and_sees_its_history_by_revision(login, user):
    planner = user("maple.planner")
    plan = decide(
        submitted(planner, title="Seen by the auditor"), user("maple.sales"), "reject", "No budget."
    )
    page = login("maple.auditor").get(f"/plans/{plan.pk}/")
    assert page.status_code == 200
    fingerprint = plan.revisions.get(number=1).content_sha256
    assert "Revision 1" in page.text and fingerprint in page.text
    assert "“No budget.”" in page.text and "took" in page.text
