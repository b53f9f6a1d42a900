"""Canned responses (checked when saved, personal or team-shared, filled in for the requirement
in the composer) and the conversation over the API: replies, notes, the thread, canned
responses CRUD with If-Match, all in the OpenAPI document."""

import json
import re
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from models import Communication, OutboxMessage, User
from tests.conftest import csrf_token
from tests.integration.test_customer_pages import field_error, text_of
from tests.integration.test_replies import ana, rows, working  # noqa: F401
from tests.integration.test_requirement_pages import World, world  # noqa: F401
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import accounts

GREETING = "Hello {{ customer.first_name }}, about {{ requirement.reference }}: {{ agent.name }}"


def save_canned(client: FlaskClient, values: dict[str, Any]) -> Any:
    data = {"csrf_token": csrf_token(client, "/canned-responses/new"), **values}
    return client.post("/canned-responses/new", data=data)


REFUSED = [
    ("Hi {{ custmer.name }}", "Unknown variable “custmer”"),
    ("Hi {{ customer.nmae }}", "“customer” has no “nmae”"),
    ("Hi {{ customer.name ", "Line 1: unexpected end of template"),
    ("{{ customer.name.__class__ }}", "It does not render"),
    (
        "{% for c in customer.name %}{% for d in customer.name %}.{% endfor %}{% endfor %}",
        "Canned responses cannot use loops.",
    ),
    ("{{ customer.name|center(999999999) }}", "Use numbers up to 1000."),
    ("{{ 'ha' * (999 * 999) }}", "It does not render: “*” with such a number"),
    ("{{ lipsum() }}", "Unknown variable “lipsum”"),
]


def test_a_template_that_cannot_work_is_refused_when_saved(ana: World) -> None:  # noqa: F811
    client = ana.client("agent")
    for body, message in REFUSED:
        response = save_canned(client, {"name": "Greeting", "body": body, "team_id": ""})
        assert response.status_code == 422, body
        assert field_error(text_of(response), "body").startswith(message), body
    assert text_of(client.get("/canned-responses")).count("None yet.") == 2


def _canned_data(page: str) -> list[dict[str, Any]]:
    match = re.search(
        r'<script type="application/json" id="canned-data">(.*?)</script>', page, re.S
    )
    return json.loads(match.group(1)) if match else []


def test_the_composer_offers_mine_and_my_teams_filled_in(ana: World) -> None:  # noqa: F811
    agent = ana.client("agent")
    team = str(ana.team)
    assert save_canned(agent, {"name": "Mine", "body": GREETING, "team_id": ""}).status_code == 303
    shared = {"name": "Team hello", "body": "From {{ team.name }}", "team_id": team}
    assert save_canned(agent, shared).status_code == 303
    outsider = ana.client("outsider")
    not_mine = {"name": "Sales only", "body": "x", "team_id": team}
    response = save_canned(outsider, not_mine)  # not a member of Support
    assert response.status_code == 422
    assert field_error(text_of(response), "team_id") == "Share it with a team you belong to."

    rid = working(ana)
    page = text_of(agent.get(f"/requirements/{rid}"))
    choices = {c["name"]: c["text"] for c in _canned_data(page)}
    agent_name = ana.users["agent"].name
    assert choices == {
        "Mine": f"Hello Ana, about #{rid}: {agent_name}",
        "Team hello": "From Support",
    }
    lead_page = text_of(ana.client("lead").get(f"/requirements/{rid}"))
    assert [c["name"] for c in _canned_data(lead_page)] == ["Team hello"]
    assert _canned_data(text_of(outsider.get(f"/requirements/{rid}"))) == []


# ---------------------------------------------------------------- the API


@pytest.fixture
def api(ana: World, client: FlaskClient) -> Any:  # noqa: F811
    with ana.app.app_context():
        tokens = {
            who: accounts.issue_token(
                db.session, db.session.get(User, user.id), "test", clock=ana.clock
            ).secret
            for who, user in ana.users.items()
        }
        db.session.commit()

    def call(method: str, path: str, who: str = "agent", **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[who]}", **kw.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    return call


def test_reply_note_and_thread_over_the_api(ana: World, api: Any) -> None:  # noqa: F811
    rid = working(ana)
    response = api(
        "POST",
        f"/requirements/{rid}/replies",
        json={"body": "Which *model*?", "cc": ["boss@example.com"], "then": "ask_customer"},
    )
    assert response.status_code == 201, response.get_json()
    reply = response.get_json()
    assert (reply["channel"], reply["direction"], reply["delivery"]) == (
        "email",
        "outbound",
        "queued",
    )
    assert reply["subject"] == f"[#{rid}] Printer on fire"
    assert reply["participants"] == ["ana@example.com", "boss@example.com"]
    assert ana.get(rid).state == "waiting_on_customer"

    note = api("POST", f"/requirements/{rid}/notes", json={"body": "Waiting for the model"})
    assert note.status_code == 201
    thread = api("GET", f"/requirements/{rid}/messages").get_json()
    assert [(m["channel"], m["delivery"]) for m in thread] == [("email", "queued"), ("note", None)]
    assert thread[0]["message_id"] == rows(ana.app, OutboxMessage)[0].message_id


def test_a_retried_reply_is_sent_once_and_is_on_the_customer_timeline(
    ana: World,  # noqa: F811
    api: Any,
) -> None:
    rid = working(ana)
    once = {"Idempotency-Key": "reply-1"}
    first = api("POST", f"/requirements/{rid}/replies", json={"body": "Hi"}, headers=once)
    again = api("POST", f"/requirements/{rid}/replies", json={"body": "Hi"}, headers=once)
    assert (first.status_code, again.status_code) == (201, 201)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert len(rows(ana.app, OutboxMessage)) == 1
    timeline = api("GET", f"/customers/{ana.customer}/timeline").get_json()
    entries = timeline["items"] if isinstance(timeline, dict) else timeline
    assert f"[#{rid}] Printer on fire" in json.dumps(entries)


def test_a_refused_then_over_the_api_saves_nothing(ana: World, api: Any) -> None:  # noqa: F811
    rid = working(ana)
    response = api("POST", f"/requirements/{rid}/replies", json={"body": "Done", "then": "resolve"})
    assert response.status_code == 409
    assert response.content_type == "application/problem+json"
    assert "resolution note" in response.get_json()["detail"]
    assert rows(ana.app, Communication) == [] and rows(ana.app, OutboxMessage) == []

    closing = api("POST", f"/requirements/{rid}/replies", json={"body": "x", "then": "close"})
    assert closing.status_code == 409 and "close" not in closing.get_json()["allowed"]
    assert rows(ana.app, Communication) == []

    bad = api("POST", f"/requirements/{rid}/replies", json={"body": "", "to": "x"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"body", "to"}
    assert (
        api("POST", f"/requirements/{rid}/replies", "outsider", json={"body": "Hi"}).status_code
        == 404  # another team's agent may not read it (the read policy)
    )
    assert api("POST", "/requirements/999999/replies", json={"body": "Hi"}).status_code == 404

    with ana.app.app_context():
        silent = profiles.create_customer(
            db.session, {"name": "No Mail"}, actor_id=None, clock=ana.clock
        )
        db.session.commit()
        ana.customer = silent.id
    no_address = api("POST", f"/requirements/{working(ana)}/replies", json={"body": "Hi"})
    assert no_address.status_code == 422
    assert no_address.get_json()["errors"] == {
        "to": ["The customer has no email address: give one."]
    }


def test_canned_responses_crud_over_the_api(ana: World, api: Any) -> None:  # noqa: F811
    refused = api("POST", "/canned-responses", json={"name": "Oops", "body": "{{ agnt.name }}"})
    assert refused.status_code == 422
    assert "agnt" in refused.get_json()["errors"]["body"][0]

    created = api("POST", "/canned-responses", json={"name": "Hi", "body": GREETING})
    assert created.status_code == 201
    body = created.get_json()
    path = f"/canned-responses/{body['id']}"
    assert body["owner_id"] == ana.users["agent"].id and body["team_id"] is None
    assert [c["name"] for c in api("GET", "/canned-responses").get_json()] == ["Hi"]
    assert api("GET", path, "colleague").status_code == 404  # personal

    etag = api("GET", path).headers["ETag"]
    assert api("PATCH", path, json={"name": "Hello"}).status_code == 428
    shared = api("PATCH", path, json={"team_id": ana.team}, headers={"If-Match": etag})
    assert shared.status_code == 200 and shared.get_json()["team_id"] == ana.team
    assert api("PATCH", path, json={"name": "x"}, headers={"If-Match": etag}).status_code == 412
    assert api("GET", path, "colleague").status_code == 200  # now shared with Support

    etag = shared.headers["ETag"]
    assert api("DELETE", path, "colleague", headers={"If-Match": etag}).status_code == 204
    assert api("GET", "/canned-responses").get_json() == []


def test_the_conversation_is_in_the_openapi_document(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in (
        "/api/v1/requirements/{requirement_id}/replies",
        "/api/v1/requirements/{requirement_id}/notes",
        "/api/v1/requirements/{requirement_id}/messages",
        "/api/v1/canned-responses",
        "/api/v1/canned-responses/{canned_id}",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/canned-responses/{canned_id}"]) >= {"get", "patch", "delete"}


def test_canned_pages_edit_and_delete(ana: World) -> None:  # noqa: F811
    agent = ana.client("agent")
    save_canned(agent, {"name": "Mine", "body": GREETING, "team_id": ""})
    with ana.app.app_context():
        from models import CannedResponse

        row = db.session.scalar(select(CannedResponse))
        canned_id, version = row.id, row.version
    path = f"/canned-responses/{canned_id}"
    assert ana.client("colleague").get(path).status_code == 404
    values = {"csrf_token": csrf_token(agent, path), "version": str(version), "team_id": ""}
    response = agent.post(path, data={**values, "name": "Mine", "body": "{{ team.nam }}"})
    assert response.status_code == 422
    assert field_error(text_of(response), "body").startswith("“team” has no “nam”")
    response = agent.post(path, data={**values, "name": "Renamed", "body": "Thanks!"})
    assert response.status_code == 303
    assert "Renamed" in text_of(agent.get("/canned-responses"))
    stale = agent.post(path, data={**values, "name": "Again", "body": "Thanks!"})
    assert stale.status_code == 409
    token = csrf_token(agent, "/canned-responses")
    asked = agent.post(f"{path}/delete", data={"csrf_token": token})
    assert asked.status_code == 200 and "Yes, delete it" in text_of(asked)  # it asks first
    assert "Renamed" in text_of(agent.get("/canned-responses"))
    deleted = agent.post(f"{path}/delete", data={"csrf_token": token, "confirmed": "yes"})
    assert deleted.status_code == 303
    assert text_of(agent.get("/canned-responses")).count("None yet.") == 2
