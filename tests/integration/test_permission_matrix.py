"""The permission matrix: every API operation and every page, for anonymous, an agent, an agent
of another team, a supervisor and an admin, against one table of who may do what.

Levels: `public` (anyone), `user` (anyone signed in), `supervisor`, `admin`, `scoped` (the
read policy: a requirement of team A is 404 for team B's agent), `own` (the caller's own
record: someone else's is 404). "Reaches" means neither 401/403 nor a redirect to sign in, and
no server error (an empty body is fine to be 4xx: the check is the door, not the form).
A new operation or page fails the coverage assertion until it is given a row here."""

import re
from typing import Any

import pytest
from flask import Flask

from models import LifecycleStage, Requirement, Role, SlaClock
from tests.conftest import csrf_token
from tests.integration.teams_world import World, build
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts
from workflows.tracking import notifications

ROLES = ("anonymous", "agent", "agent_b", "supervisor", "admin")
RANK = {"agent": 0, "agent_b": 0, "supervisor": 1, "admin": 2}
NEEDS = {"user": 0, "supervisor": 1, "admin": 2}

API: dict[str, str] = {
    "GET /api/v1/me": "user",
    "GET /api/v1/notifications": "user",
    "POST /api/v1/notifications/read": "user",
    "POST /api/v1/notifications/read-all": "user",
    "GET /api/v1/notifications/preferences": "user",
    "PUT /api/v1/notifications/preferences": "user",
    "GET /api/v1/tokens": "user",
    "POST /api/v1/tokens": "user",
    "DELETE /api/v1/tokens/{token_id}": "own",
    "GET /healthz": "public",
    "GET /api/v1/customers": "user",
    "POST /api/v1/customers": "user",
    "GET /api/v1/customers/{customer_id}": "user",
    "PATCH /api/v1/customers/{customer_id}": "user",
    "DELETE /api/v1/customers/{customer_id}": "supervisor",
    "POST /api/v1/customers/{customer_id}/restore": "supervisor",
    "GET /api/v1/segments": "user",
    "POST /api/v1/segments": "user",
    "GET /api/v1/segments/{segment_id}": "user",
    "PATCH /api/v1/segments/{segment_id}": "supervisor",  # the admin's segment: owner or above
    "GET /api/v1/segments/{segment_id}/customers": "user",
    "GET /api/v1/customers/{customer_id}/communications": "user",
    "POST /api/v1/customers/{customer_id}/communications": "user",
    "GET /api/v1/communications/{communication_id}": "user",
    "PATCH /api/v1/communications/{communication_id}": "user",
    "DELETE /api/v1/communications/{communication_id}": "supervisor",
    "POST /api/v1/communications/{communication_id}/restore": "supervisor",
    "GET /api/v1/customers/{customer_id}/timeline": "user",
    "GET /api/v1/customers/{customer_id}/transactions": "user",
    "POST /api/v1/customers/{customer_id}/transactions": "user",
    "GET /api/v1/transactions/{transaction_id}": "user",
    "PATCH /api/v1/transactions/{transaction_id}": "user",
    "DELETE /api/v1/transactions/{transaction_id}": "supervisor",
    "GET /api/v1/organisations": "user",
    "POST /api/v1/organisations": "user",
    "GET /api/v1/organisations/{organisation_id}": "user",
    "PATCH /api/v1/organisations/{organisation_id}": "user",
    "DELETE /api/v1/organisations/{organisation_id}": "supervisor",
    "POST /api/v1/organisations/{organisation_id}/restore": "supervisor",
    "GET /api/v1/organisations/{organisation_id}/timeline": "user",
    "GET /api/v1/custom-fields": "user",
    "POST /api/v1/custom-fields": "admin",
    "GET /api/v1/custom-fields/{field_id}": "user",
    "PATCH /api/v1/custom-fields/{field_id}": "admin",
    "GET /api/v1/categories": "user",
    "POST /api/v1/categories": "admin",
    "DELETE /api/v1/categories/{category_id}": "admin",
    "GET /api/v1/saved-views": "user",
    "POST /api/v1/saved-views": "user",
    "GET /api/v1/saved-views/{view_id}": "own",
    "DELETE /api/v1/saved-views/{view_id}": "own",
    "GET /api/v1/requirements": "user",
    "POST /api/v1/requirements": "user",
    "GET /api/v1/requirements/{requirement_id}": "scoped",
    "PATCH /api/v1/requirements/{requirement_id}": "scoped",
    "POST /api/v1/requirements/{requirement_id}/transitions": "scoped",
    "GET /api/v1/requirements/{requirement_id}/events": "scoped",
    "GET /api/v1/calendars": "user",
    "POST /api/v1/calendars": "admin",
    "GET /api/v1/calendars/{calendar_id}": "user",
    "PATCH /api/v1/calendars/{calendar_id}": "admin",
    "DELETE /api/v1/calendars/{calendar_id}": "admin",
    "POST /api/v1/calendars/{calendar_id}/holidays/import": "admin",
    "POST /api/v1/calendars/{calendar_id}/holidays/ical": "admin",
    "GET /api/v1/sla-policies": "user",
    "POST /api/v1/sla-policies": "supervisor",
    "PUT /api/v1/sla-policies/order": "supervisor",
    "GET /api/v1/sla-policies/{policy_id}": "user",
    "PATCH /api/v1/sla-policies/{policy_id}": "supervisor",
    "DELETE /api/v1/sla-policies/{policy_id}": "admin",
    "GET /api/v1/sla-policies/{policy_id}/versions": "user",
    "GET /api/v1/sla-policies/{policy_id}/apply": "user",
    "POST /api/v1/sla-policies/{policy_id}/apply": "supervisor",
    "GET /api/v1/escalations": "supervisor",
    "POST /api/v1/escalations/{clock_id}/ack": "scoped",
    "GET /api/v1/canned-responses": "user",
    "POST /api/v1/canned-responses": "user",
    "GET /api/v1/canned-responses/{canned_id}": "own",
    "PATCH /api/v1/canned-responses/{canned_id}": "own",
    "DELETE /api/v1/canned-responses/{canned_id}": "own",
    "POST /api/v1/requirements/{requirement_id}/replies": "scoped",
    "POST /api/v1/requirements/{requirement_id}/notes": "scoped",
    "GET /api/v1/requirements/{requirement_id}/messages": "scoped",
    "POST /api/v1/inbound/email": "admin",
    "GET /api/v1/attachments/{attachment_id}": "user",
    "GET /api/v1/customers/{customer_id}/export": "supervisor",
    "PUT /api/v1/customers/{customer_id}/legal-hold": "supervisor",
    "DELETE /api/v1/customers/{customer_id}/legal-hold": "supervisor",
    "POST /api/v1/customers/{customer_id}/erasure": "admin",
    "GET /api/v1/erasures/{job_id}": "supervisor",
    "POST /api/v1/customers/{customer_id}/reveal": "user",
    "GET /api/v1/access-log": "admin",
    "GET /api/v1/strategies": "user",
    "POST /api/v1/strategies": "supervisor",
    "GET /api/v1/strategies/{strategy_id}": "user",
    "PATCH /api/v1/strategies/{strategy_id}": "supervisor",
    "GET /api/v1/strategies/{strategy_id}/steps": "user",
    "PUT /api/v1/strategies/{strategy_id}/steps": "supervisor",
    "POST /api/v1/strategies/{strategy_id}/dry-run": "user",
    "POST /api/v1/strategies/{strategy_id}/transitions": "supervisor",
    "GET /api/v1/strategies/{strategy_id}/enrolments": "user",
    "GET /api/v1/strategies/{strategy_id}/enrolments/{enrolment_id}": "user",
    "DELETE /api/v1/strategies/{strategy_id}/enrolments/{enrolment_id}": "user",
    "GET /api/v1/strategies/{strategy_id}/preview": "user",
    "GET /api/v1/strategies/{strategy_id}/results": "user",
    "GET /api/v1/reports/support": "supervisor",
    "GET /api/v1/reports/sales": "supervisor",
    "GET /api/v1/reports/pareto": "supervisor",
}

PAGES: dict[str, str] = {
    "GET /": "user",
    "GET /account": "user",
    "POST /account/password": "user",
    "POST /account/profile": "user",
    "POST /account/sign-out-everywhere": "user",
    "POST /account/tokens": "user",
    "POST /account/tokens/<token_id>/revoke": "own",
    "GET /admin/calendars": "admin",
    "GET /admin/calendars/<calendar_id>": "admin",
    "POST /admin/calendars/<calendar_id>": "admin",
    "GET /admin/calendars/<calendar_id>/delete": "admin",
    "POST /admin/calendars/<calendar_id>/delete": "admin",
    "POST /admin/calendars/<calendar_id>/holidays/ical": "admin",
    "POST /admin/calendars/<calendar_id>/holidays/import": "admin",
    "GET /admin/calendars/new": "admin",
    "POST /admin/calendars/new": "admin",
    "GET /admin/custom-fields": "admin",
    "POST /admin/custom-fields": "admin",
    "GET /admin/custom-fields/<field_id>": "admin",
    "POST /admin/custom-fields/<field_id>": "admin",
    "GET /admin/outbox": "admin",
    "POST /admin/outbox/<message_id>/retry": "admin",
    "POST /admin/outbox/test": "admin",
    "GET /admin/sla-policies": "supervisor",
    "GET /admin/sla-policies/<policy_id>": "supervisor",
    "POST /admin/sla-policies/<policy_id>": "supervisor",
    "GET /admin/sla-policies/<policy_id>/apply": "supervisor",
    "POST /admin/sla-policies/<policy_id>/apply": "supervisor",
    "GET /admin/sla-policies/<policy_id>/apply/progress": "supervisor",
    "GET /admin/sla-policies/<policy_id>/apply/status": "supervisor",
    "POST /admin/sla-policies/<policy_id>/move": "supervisor",
    "GET /admin/sla-policies/<policy_id>/versions": "supervisor",
    "GET /admin/sla-policies/new": "supervisor",
    "POST /admin/sla-policies/new": "supervisor",
    "GET /admin/stages": "admin",
    "GET /admin/categories": "admin",
    "POST /admin/categories": "admin",
    "POST /admin/categories/<category_id>/delete": "admin",
    "POST /admin/stages": "admin",
    "GET /admin/stages/<stage_id>": "admin",
    "POST /admin/stages/<stage_id>": "admin",
    "GET /admin/teams": "admin",
    "POST /admin/teams": "admin",
    "GET /admin/teams/<team_id>": "admin",
    "POST /admin/teams/<team_id>": "admin",
    "GET /admin/users": "admin",
    "GET /admin/users/<user_id>": "admin",
    "POST /admin/users/<user_id>": "admin",
    "POST /admin/users/<user_id>/invite": "admin",
    "POST /admin/users/<user_id>/reset-password": "admin",
    "GET /admin/users/new": "admin",
    "POST /admin/users/new": "admin",
    "GET /admin/workflows": "admin",
    "GET /customers": "user",
    "GET /customers/communications/<communication_id>/edit": "user",
    "POST /customers/communications/<communication_id>/edit": "user",
    "POST /customers/communications/<communication_id>/delete": "supervisor",
    "POST /customers/communications/<communication_id>/restore": "supervisor",
    "GET /customers/<customer_id>": "user",
    "POST /customers/<customer_id>/communications": "user",
    "GET /customers/<customer_id>/delete": "supervisor",
    "POST /customers/<customer_id>/delete": "supervisor",
    "GET /customers/<customer_id>/edit": "user",
    "POST /customers/<customer_id>/edit": "user",
    "GET /customers/<customer_id>/history": "user",
    "GET /customers/<customer_id>/purge": "admin",
    "POST /customers/<customer_id>/purge": "admin",
    "GET /customers/<customer_id>/requirements/new": "user",
    "POST /customers/<customer_id>/requirements/new": "user",
    "POST /customers/<customer_id>/restore": "supervisor",
    "POST /customers/<customer_id>/transactions": "user",
    "GET /customers/export.csv": "user",
    "GET /customers/new": "user",
    "POST /customers/new": "user",
    "GET /customers/trash": "supervisor",
    "GET /duplicates": "supervisor",
    "GET /duplicates/merge": "supervisor",
    "POST /duplicates/merge": "supervisor",
    "GET /escalations": "supervisor",
    "POST /escalations/<sla_clock_id>/acknowledge": "supervisor",
    "POST /escalations/<sla_clock_id>/reassign": "supervisor",
    "POST /escalations/acknowledge": "supervisor",
    "GET /escalations/counts": "supervisor",
    "GET /escalations/live": "supervisor",
    "GET /notifications": "user",
    "GET /notifications/unread": "user",
    "POST /notifications/<notification_id>/read": "own",
    "POST /notifications/read-all": "user",
    "GET /notifications/preferences": "user",
    "POST /notifications/preferences": "user",
    "GET /healthz": "public",
    "GET /imports": "user",
    "POST /imports": "user",
    "GET /imports/<job_id>": "user",
    "POST /imports/<job_id>": "user",
    "GET /imports/<job_id>/bad_rows.csv": "user",
    "GET /imports/<job_id>/progress": "user",
    "GET /imports/<job_id>/status.json": "user",
    "GET /invitation/<token>": "public",
    "POST /invitation/<token>": "public",
    "POST /language": "public",
    "GET /login": "public",
    "POST /login": "public",
    "POST /logout": "public",
    "GET /organisations/": "user",
    "GET /organisations/<organisation_id>": "user",
    "GET /organisations/<organisation_id>/delete": "supervisor",
    "POST /organisations/<organisation_id>/delete": "supervisor",
    "GET /organisations/<organisation_id>/edit": "user",
    "POST /organisations/<organisation_id>/edit": "user",
    "POST /organisations/<organisation_id>/restore": "supervisor",
    "GET /organisations/new": "user",
    "POST /organisations/new": "user",
    "GET /organisations/trash": "supervisor",
    "GET /requirements": "user",
    "GET /requirements/new": "user",
    "GET /search": "user",
    "GET /search/suggest": "user",
    "GET /requirements/<requirement_id>": "scoped",
    "POST /requirements/<requirement_id>/assignment": "scoped",
    "POST /requirements/<requirement_id>/details": "scoped",
    "POST /requirements/<requirement_id>/transitions": "scoped",
    "POST /requirements/bulk": "user",
    "POST /requirements/views": "user",
    "POST /requirements/views/<view_id>/delete": "own",
    "GET /segments": "user",
    "GET /segments/<segment_id>/delete": "supervisor",
    "POST /segments/<segment_id>/delete": "supervisor",
    "GET /segments/<segment_id>/edit": "supervisor",
    "POST /segments/<segment_id>/edit": "supervisor",
    "GET /segments/new": "user",
    "POST /segments/new": "user",
    "GET /admin/access-log": "admin",
    "GET /admin/retention": "admin",
    "POST /admin/retention": "admin",
    "POST /admin/retention/<policy_id>": "admin",
    "GET /attachments/<attachment_id>": "user",
    "GET /canned-responses": "user",
    "GET /canned-responses/new": "user",
    "POST /canned-responses/new": "user",
    "GET /canned-responses/<canned_id>": "own",
    "POST /canned-responses/<canned_id>": "own",
    "POST /canned-responses/<canned_id>/delete": "own",
    "GET /customers/<customer_id>/erase": "supervisor",  # explains; only admins may erase
    "POST /customers/<customer_id>/erase": "admin",
    "POST /customers/<customer_id>/export": "supervisor",
    "POST /customers/<customer_id>/legal-hold": "supervisor",
    "POST /customers/<customer_id>/reveal": "user",
    "GET /erasures/<job_id>": "supervisor",
    "GET /erasures/<job_id>/certificate.json": "supervisor",
    "GET /erasures/<job_id>/status.json": "supervisor",
    "POST /requirements/<requirement_id>/notes": "scoped",
    "GET /requirements/<requirement_id>/mention-suggestions": "scoped",
    "POST /requirements/<requirement_id>/replies": "scoped",
    "GET /strategies": "user",
    "GET /strategies/new": "supervisor",
    "POST /strategies/new": "supervisor",
    "GET /strategies/<strategy_id>": "user",
    "GET /strategies/<strategy_id>/edit": "supervisor",
    "POST /strategies/<strategy_id>/edit": "supervisor",
    "GET /strategies/<strategy_id>/preview": "user",
    "GET /strategies/<strategy_id>/progress": "user",
    "GET /strategies/<strategy_id>/results": "user",
    "POST /strategies/<strategy_id>/<any(activate, pause, resume, archive):trigger>": "supervisor",
    "POST /strategies/<strategy_id>/dry-run": "user",
    "GET /strategies/<strategy_id>/enrolments/<enrolment_id>": "user",
    "POST /strategies/<strategy_id>/enrolments/<enrolment_id>/stop": "user",
    "GET /u/<token>": "public",
    "GET /reports/support": "supervisor",
    "GET /reports/sales": "supervisor",
    "GET /reports/pareto": "supervisor",
    "GET /reports/<any(support, sales, pareto):kind>/data": "supervisor",
    "POST /u/<token>": "public",
}


@pytest.fixture
def world(app: Flask, make_user: Any) -> tuple[World, dict[str, int]]:
    world = build(app, make_user)

    def made(path: str, body: dict[str, Any]) -> int:
        response = world.api("admin", "POST", path, json=body)
        assert response.status_code == 201, (path, response.get_json())
        return response.get_json()["id"]

    ids = {
        "customer_id": world.customer_id,
        "requirement_id": world.requirement_a,
        "team_id": world.team_a,
        "user_id": make_user(Role.AGENT).id,  # admin pages may deactivate them
        "organisation_id": made("/organisations", {"name": "Acme"}),
        "segment_id": made("/segments", {"name": "All", "definition": {}}),
        "communication_id": made(
            f"/customers/{world.customer_id}/communications", {"channel": "note", "body": "x"}
        ),
        "transaction_id": made(
            f"/customers/{world.customer_id}/transactions",
            {"kind": "order", "amount": "10", "currency": "EUR"},
        ),
        "field_id": made(
            "/custom-fields", {"entity": "customer", "key": "size", "label": "Size", "kind": "text"}
        ),
        "calendar_id": made(
            "/calendars",
            {
                "name": "Office",
                "time_zone": "UTC",
                "periods": [{"weekday": 0, "start": "09:00", "end": "17:00"}],
            },
        ),
        "message_id": 1,
        "job_id": 1,
        "attachment_id": 1,  # none: the door is checked before the 404
        "enrolment_id": 1,
        "token": "not-a-signed-token",
        "strategy_id": 1,  # none: the door is checked before the 404
        "canned_id": made("/canned-responses", {"name": "Hello", "body": "Hello!"}),
        "category_id": made("/categories", {"name": "Billing"}),
        "view_id": made("/saved-views", {"name": "Breached", "queue": "mine", "filters": {}}),
    }
    ids["policy_id"] = world.api("admin", "GET", "/sla-policies").get_json()[0]["id"]
    with app.app_context():
        clock = db.session.scalars(
            SlaClock.__table__.select().where(SlaClock.requirement_id == world.requirement_a)
        ).first()
        ids["clock_id"] = ids["sla_clock_id"] = clock
        ids["stage_id"] = db.session.scalars(db.select(LifecycleStage.id)).first()
        admin = db.session.get(type(world.users["admin"]), world.users["admin"].id)
        ids["token_id"] = accounts.issue_token(
            db.session, admin, "kept", clock=current_clock()
        ).token.id
        requirement = db.session.get(Requirement, world.requirement_a)
        ids["notification_id"] = notifications.notify(
            db.session, "mentioned", [admin], requirement, clock=current_clock()
        )[0].id
        db.session.commit()
    return world, ids


def _path(template: str, ids: dict[str, int]) -> str:
    template = re.sub(r"<any\((\w+)[^)]*\):\w+>", r"\1", template)  # a choice: its first
    return re.sub(r"[{<](\w+)[}>]", lambda m: str(ids[m.group(1)]), template)


# A body that passes the schema, so the answer shows the door rather than the form.
BODIES: dict[str, dict[str, Any]] = {
    "POST /api/v1/custom-fields": {"entity": "customer", "key": "k", "label": "K", "kind": "text"},
    "POST /api/v1/categories": {"name": "Matrix"},
    "POST /api/v1/calendars/{calendar_id}/holidays/import": {"country": "DE", "years": [2030]},
    "POST /api/v1/calendars/{calendar_id}/holidays/ical": {"ical": "BEGIN:VCALENDAR"},
    "PUT /api/v1/sla-policies/order": {"ids": []},
    "POST /api/v1/notifications/read": {"ids": [1]},
    "POST /api/v1/requirements/{requirement_id}/transitions": {"trigger": "start"},
    "POST /api/v1/requirements/{requirement_id}/replies": {"body": "Hello"},
    "POST /api/v1/requirements/{requirement_id}/notes": {"body": "A note"},
    "PUT /api/v1/customers/{customer_id}/legal-hold": {"reason": "A lawsuit"},
    "PUT /api/v1/strategies/{strategy_id}/steps": {"steps": []},
    "POST /api/v1/strategies/{strategy_id}/transitions": {"trigger": "pause"},
}


def _expect(level: str, role: str) -> str:
    """'reach', 'deny' (401/403 or sign-in) or 'hidden' (404)."""
    if level == "public":
        return "reach"
    if role == "anonymous":
        return "deny"
    if level == "scoped":
        return "hidden" if role == "agent_b" else "reach"
    if level == "own":
        return "reach" if role == "admin" else "hidden"
    return "reach" if RANK[role] >= NEEDS[level] else "deny"


def _outcome(response: Any, page: bool) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status == 503 and response.request.path == "/healthz":
        return "reach"  # documented: no worker or clock runs in this test
    if status >= 500:
        return f"server error {status}"
    if status in (401, 403) or (page and status == 302 and "/login" in location):
        return "deny"
    if status == 404:
        return "hidden"
    return "reach"


def _api_routes(app: Flask) -> set[str]:
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    verbs = ("get", "post", "put", "patch", "delete")
    return {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops if m in verbs}


def _page_routes(app: Flask) -> set[str]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static")):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", rule.rule)
        found |= {f"{m} {path}" for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_the_table_covers_every_operation_and_page(app: Flask) -> None:
    assert _api_routes(app) == set(API)
    assert _page_routes(app) == set(PAGES)


@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(world: tuple[World, dict[str, int]], role: str) -> None:
    teams, ids = world
    wrong = []
    for route, level in sorted(API.items(), key=lambda item: item[0].startswith("DELETE")):
        method, template = route.split(" ", 1)
        path = _path(template, ids).removeprefix("/api/v1")
        if template == "/healthz":
            response = teams.app.test_client().get("/healthz")
        else:
            who = None if role == "anonymous" else role
            body = BODIES.get(route, {}) if method != "GET" else None
            response = teams.api(who, method, path, json=body)
            if who is not None:  # a token may have been revoked by the row before: a new one
                teams.tokens[who] = _fresh_token(teams, who)
        got, expected = _outcome(response, page=False), _expect(level, role)
        if level == "scoped" and expected == "hidden" and got == "deny":
            got = "hidden"  # refused either way (acknowledging another team's clock: 403)
        if got != expected and not (expected == "reach" and got == "hidden" and level != "scoped"):
            wrong.append(f"{route} as {role}: {got} ({response.status_code}), table: {expected}")
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("role", ROLES)
def test_page_matrix(world: tuple[World, dict[str, int]], role: str) -> None:
    teams, ids = world
    wrong = []
    for route, level in sorted(
        PAGES.items(), key=lambda item: ("sign-out" in item[0], "logout" in item[0])
    ):
        method, template = route.split(" ", 1)
        path = _path(template, ids)
        client = teams.app.test_client() if role == "anonymous" else teams.page(role)
        data = None
        if method == "POST":
            signed_in = role != "anonymous" and client.get("/account").status_code == 200
            data = {"csrf_token": csrf_token(client, "/account" if signed_in else "/login")}
        response = client.open(path, method=method, data=data)
        got, expected = _outcome(response, page=True), _expect(level, role)
        if "sign-out" in route and role != "anonymous" and response.status_code == 302:
            got = "reach"  # done: the redirect to sign in is the success
        if level == "public" and got == "deny":
            got = "reach"  # /login, /logout redirect a signed-in or signed-out visitor onwards
        if got != expected and not (expected == "reach" and got == "hidden" and level != "scoped"):
            wrong.append(f"{route} as {role}: {got} ({response.status_code}), table: {expected}")
    assert wrong == [], "\n".join(wrong)


def _fresh_token(teams: World, who: str) -> str:
    with teams.app.app_context():
        user = db.session.get(type(teams.users[who]), teams.users[who].id)
        secret = accounts.issue_token(db.session, user, "matrix", clock=current_clock()).secret
        db.session.commit()
        return secret
