"""Tenant isolation: another company's plans, tasks and people do not exist for you.

Every URL of the web UI and the API (Django's resolver enumerated, viewflow's process and
task URLs included) is requested with GET and POST by every demo user of the other
companies, with the ids of Red Maple Apparel's objects filled in. Each answer must be the
one a missing id gets (a 404, or a 405 where the method is not served at all), body for
body, and nothing may change. The URLs without ids (lists, searches, exports, histories)
must show nothing of Red Maple, whatever filter points at it.
"""

from __future__ import annotations

from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from apps.audit.models import Event
from apps.notifications.models import Notification
from apps.org.models import Role
from apps.plans.models import Plan
from tests.reliability.figures import record
from tests.reliability.harness import db_state, state_diff

from .urls import all_routes, swept
from .world import MISSING, POSTED, TARGET, node_ids, target_ids

pytestmark = [pytest.mark.security, pytest.mark.django_db]

User = get_user_model()


def _markers(company) -> list[str]:
    """Text that only Red Maple's data contains."""
    people = list(
        User.objects.filter(membership__company=company).values_list("username", flat=True)
    )
    titles = list(Plan.objects.filter(company=company).values_list("title", flat=True))
    return [company.name, "Maple secret", *people, *titles]


def _attackers():
    """Every demo user who is not of Red Maple: the other companies' people and the superuser."""
    return list(User.objects.exclude(membership__company__slug=TARGET).order_by("username"))


def _clients(person):
    web = Client()
    web.force_login(person)
    api = APIClient()
    token, _ = Token.objects.get_or_create(user=person)
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return web, api


def _request(client, method: str, url: str, api: bool):
    if method == "GET":
        response = client.get(url)
    elif api:
        response = client.post(url, POSTED, format="json")
    else:
        response = client.post(url, POSTED)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response.status_code, body


def test_another_companys_data_does_not_exist_for_you(maple):
    """One demo world, both halves of the matrix: ids pointed at, and lists looked through."""
    attackers = _attackers()
    clients = {person.pk: _clients(person) for person in attackers}
    before = _state_but_own_notifications(attackers)
    _ids_answer_like_missing_ones(maple, attackers, clients)
    _lists_show_nothing_of_the_other_company(maple, attackers, clients)
    assert state_diff(before, _state_but_own_notifications(attackers)) == {}


def _state_but_own_notifications(attackers):
    """Every row, but the attackers' own notifications ("mark all read" is theirs to use)."""
    state = db_state()
    ids = {person.pk for person in attackers}
    user_column = [f.attname for f in Notification._meta.concrete_fields].index("user_id")
    state["notifications.notification"] = [
        row for row in state["notifications.notification"] if row[user_column] not in ids
    ]
    return state


def _ids_answer_like_missing_ones(maple, attackers, clients):
    routes = swept(
        [route for route in all_routes() if route.params],
        at_least=45,
        including={
            "plan-detail",
            "plan-edit",
            "task-detail",
            "task-claim",
            "api:plan-detail",
            "api:task-decide",
            "planapproval:review:execute",
            "planapproval:process_detail",
        },
    )
    assert len(attackers) >= 10  # every other company's people, and the superuser
    ids = target_ids(maple)
    events = Event.objects.count()
    unknown = sorted({p for r in routes for p in r.params} - set(ids) - {"process_pk", "task_pk"})
    assert not unknown, f"the matrix does not know how to fill {unknown}: add them to _ids"

    cells: Counter = Counter()
    leaks = []
    for route in routes:
        values = ids | node_ids(maple, route.node)
        target_url = route.fill(values)
        missing_url = route.fill(dict.fromkeys(values, MISSING))
        missing = {}  # asked once per method; any user whose answer differs shows up below
        for person in attackers:
            client = clients[person.pk][1 if route.is_api else 0]
            for method in ("GET", "POST"):
                if method not in missing:
                    missing[method] = _request(client, method, missing_url, route.is_api)
                answer = _request(client, method, target_url, route.is_api)
                cells[answer[0]] += 1
                changed = Event.objects.count() != events
                if answer != missing[method] or answer[0] not in (404, 405) or changed:
                    leaks.append((method, target_url, person.username, answer[0]))
    record(
        "tenant isolation: other company's ids",
        routes=len(routes),
        attackers=len(attackers),
        methods=2,
        cells=sum(cells.values()),
        answers=dict(sorted(cells.items())),
        leaks=len(leaks),
    )
    assert sum(cells.values()) == len(routes) * len(attackers) * 2
    assert leaks == []


# Plain, then every filter the lists know pointed at Red Maple: the plan list's words and
# author, the history's plan and person (web) or actor (API).
LIST_QUERIES = (
    "",
    "?q={word}&author={username}",
    "?plan={plan}",
    "?actor={person}&person={person}",
)


# The same for everybody and about nobody: the API's schema and docs, the flow's chart.
STATIC = {"api:schema", "api:docs", "planapproval:chart"}


def _lists_show_nothing_of_the_other_company(maple, attackers, clients):
    routes = swept(
        [route for route in all_routes() if not route.params],
        at_least=25,
        including={"plan-list", "task-list", "audit-export", "api:plan-list", "api:audit-export"},
    )
    markers = _markers(maple)
    plan = Plan.objects.filter(company=maple, process__isnull=False).first()
    person = User.objects.get(username="maple.planner")
    fill = {
        "word": plan.title.split()[0],
        "username": person.username,
        "plan": plan.pk,
        "person": person.pk,
    }
    cells = 0
    leaks = []
    for index, someone in enumerate(attackers):
        web, api = clients[someone.pk]
        # Everybody looks at every list. The filters pointed at Red Maple are tried by those
        # who see the most of their own company (auditors, heads), and a POST, which takes no
        # id to point elsewhere, by whoever may do most (administrators).
        roles = set() if someone.is_superuser else someone.membership.role_names
        sees_most = someone.is_superuser or roles & {Role.AUDITOR, Role.ADMIN, Role.SIGNER}
        posts = someone.is_superuser or Role.ADMIN in roles
        for route in routes:
            client = api if route.is_api else web
            queries = LIST_QUERIES if sees_most else LIST_QUERIES[:1]
            requests = [("GET", query.format(**fill)) for query in queries]
            requests += [("POST", "")] if posts else []
            if route.name in STATIC:
                requests = requests[:1] if index == 0 else []
            for method, query in requests:
                status, body = _request(client, method, route.fill({}) + query, route.is_api)
                cells += 1
                text = body.decode("utf-8", "replace")
                # A page may echo the filter it was given (in its export links): not a leak.
                echoed = {fill["username"]} if fill["username"] in query else set()
                shown = [m for m in markers if m in text and m not in echoed]
                if shown or status >= 500:
                    leaks.append((someone.username, method, route.fill({}) + query, status, shown))
    record(
        "tenant isolation: lists, searches, exports, histories",
        routes=len(routes),
        attackers=len(attackers),
        requests=cells,
        leaks=len(leaks),
    )
    assert cells >= (len(routes) - len(STATIC)) * len(attackers)
    assert leaks == []
