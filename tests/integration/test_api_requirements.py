"""Requirements through the API: open, move through the workflow, 409 naming allowed triggers."""

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from models import Role, User
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import accounts


@pytest.fixture
def api(app: Flask, client: FlaskClient, make_user: Any) -> dict[str, Any]:
    agent = make_user(Role.AGENT)
    other = make_user(Role.AGENT)
    with app.app_context():
        clock = current_clock()
        customer = profiles.create_customer(
            db.session, {"name": "Ana", "emails": "ana@example.com"}, actor_id=None, clock=clock
        )
        tokens = {
            user.id: accounts.issue_token(
                db.session, db.session.get(User, user.id), "test", clock=clock
            ).secret
            for user in (agent, other)
        }
        db.session.commit()
        customer_id = customer.id

    def call(method: str, path: str, user: Any = agent, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {tokens[user.id]}", **kw.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    return {"call": call, "agent": agent, "other": other, "customer_id": customer_id}


def _open(api: dict[str, Any], **extra: Any) -> dict[str, Any]:
    body = {"customer_id": api["customer_id"], "title": "Invoice missing", **extra}
    response = api["call"]("POST", "/requirements", json=body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_open_and_move_a_requirement(api: dict[str, Any]) -> None:
    created = _open(api, assignee_id=api["agent"].id, priority="high")
    # Opened with an assignee: already assigned, no separate "assign".
    assert (created["state"], created["priority"], created["allowed_triggers"]) == (
        "open",
        "high",
        ["start", "ask_customer", "resolve", "cancel", "merge"],
    )
    rid = created["id"]
    for trigger, state in (("start", "in_progress"),):
        response = api["call"](
            "POST", f"/requirements/{rid}/transitions", json={"trigger": trigger}
        )
        assert response.status_code == 200
        assert response.get_json()["state"] == state
    resolved = api["call"](
        "POST", f"/requirements/{rid}/transitions", json={"trigger": "resolve", "note": "Sent"}
    ).get_json()
    assert (resolved["state"], resolved["resolution_note"]) == ("resolved", "Sent")
    events = api["call"]("GET", f"/requirements/{rid}/events").get_json()
    assert [(e["from_state"], e["to_state"]) for e in events] == [
        (None, "new"),
        ("new", "open"),
        ("open", "in_progress"),
        ("in_progress", "resolved"),
    ]


def test_an_invalid_trigger_gets_409_naming_the_allowed_ones(api: dict[str, Any]) -> None:
    rid = _open(api)["id"]
    response = api["call"]("POST", f"/requirements/{rid}/transitions", json={"trigger": "close"})
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["allowed"] == ["assign", "cancel", "merge"]
    assert body["trigger"] == "close"


def test_opened_for_someone_else_it_is_assigned_to_them_by_the_opener(
    api: dict[str, Any],
) -> None:
    created = _open(api, assignee_id=api["other"].id)
    assert (created["state"], created["assignee_id"], created["priority"]) == (
        "open",
        api["other"].id,
        "normal",
    )
    events = api["call"]("GET", f"/requirements/{created['id']}/events").get_json()
    assert [(e["trigger"], e["actor_id"]) for e in events] == [
        ("open", api["agent"].id),
        ("assign", api["agent"].id),
    ]
    unassigned = _open(api)
    assert unassigned["state"] == "new"


def test_an_unknown_trigger_gets_422_naming_the_workflow_s_triggers(api: dict[str, Any]) -> None:
    rid = _open(api)["id"]
    response = api["call"]("POST", f"/requirements/{rid}/transitions", json={"trigger": "clsoe"})
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    (message,) = response.get_json()["errors"]["trigger"]
    assert "“clsoe”" in message
    assert "assign" in message and "close" in message and "auto_close" not in message
    assert api["call"]("GET", f"/requirements/{rid}").get_json()["state"] == "new"


def test_a_failed_guard_gets_409_with_the_reason(api: dict[str, Any]) -> None:
    rid = _open(api)["id"]
    response = api["call"]("POST", f"/requirements/{rid}/transitions", json={"trigger": "assign"})
    assert response.status_code == 409
    assert "Assign someone first." in response.get_json()["detail"]


def test_someone_else_s_requirement_is_403(api: dict[str, Any]) -> None:
    rid = _open(api, assignee_id=api["agent"].id)["id"]
    response = api["call"](
        "POST", f"/requirements/{rid}/transitions", user=api["other"], json={"trigger": "assign"}
    )
    assert response.status_code == 403
    assert response.get_json()["status"] == 403
    assert (
        api["call"]("GET", f"/requirements/{rid}", user=api["other"]).get_json()["allowed_triggers"]
        == []
    )


def test_bad_input_names_the_fields(api: dict[str, Any]) -> None:
    response = api["call"](
        "POST",
        "/requirements",
        json={
            "customer_id": api["customer_id"],
            "title": "",
            "priority": "asap",
            "workflow": "magic",
        },
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"title", "priority", "workflow"}
    assert api["call"]("GET", "/requirements").get_json() == []


def test_retried_create_with_an_idempotency_key_creates_once(api: dict[str, Any]) -> None:
    body = {"customer_id": api["customer_id"], "title": "Call me back"}
    headers = {"Idempotency-Key": "retry-1"}
    first = api["call"]("POST", "/requirements", json=body, headers=headers)
    second = api["call"]("POST", "/requirements", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.get_json()["id"] == second.get_json()["id"]
    assert len(api["call"]("GET", "/requirements").get_json()) == 1
