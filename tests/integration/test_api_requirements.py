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


def test_an_opportunity_s_amount_currency_and_close_date(api: dict[str, Any]) -> None:
    created = _open(
        api,
        workflow="sales",
        amount="1500.5",
        currency="eur",
        expected_close_on="2099-04-30",
        assignee_id=api["agent"].id,
    )
    assert (created["amount"], created["currency"], created["expected_close_on"]) == (
        "1500.50",
        "EUR",
        "2099-04-30",
    )
    path = f"/requirements/{created['id']}"
    read = api["call"]("GET", path)
    assert read.get_json()["amount"] == "1500.50"
    tag = read.headers["ETag"]
    changed = api["call"](
        "PATCH",
        path,
        json={"amount": "900", "currency": "JPY", "expected_close_on": "2099-05-02"},
        headers={"If-Match": tag},
    )
    assert changed.status_code == 200, changed.get_json()
    body = changed.get_json()
    assert (body["amount"], body["currency"], body["expected_close_on"]) == (
        "900.00",
        "JPY",
        "2099-05-02",
    )
    # The old ETag is stale now: 412, nothing changed.
    stale = api["call"]("PATCH", path, json={"amount": "1"}, headers={"If-Match": tag})
    assert stale.status_code == 412
    cleared = api["call"](
        "PATCH",
        path,
        json={"amount": None, "expected_close_on": ""},
        headers={"If-Match": changed.headers["ETag"]},
    ).get_json()
    assert (cleared["amount"], cleared["currency"], cleared["expected_close_on"]) == (
        None,
        "JPY",
        None,
    )
    support = _open(api)
    assert (support["amount"], support["currency"], support["expected_close_on"]) == (
        None,
        None,
        None,
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"amount": "12.50", "currency": "EURO"}, {"currency"}),
        ({"amount": "-3", "currency": "EUR"}, {"amount"}),
        ({"amount": 12.5, "currency": "EUR"}, {"amount"}),  # a JSON number with a fraction
        ({"amount": "12.5", "currency": "JPY"}, {"amount"}),  # the yen has no decimals
        ({"amount": "12.50"}, {"currency"}),
        ({"expected_close_on": "2099-02-30"}, {"expected_close_on"}),
    ],
)
def test_bad_opportunity_fields_are_422_naming_them(
    api: dict[str, Any], body: dict[str, Any], fields: set[str]
) -> None:
    payload = {"customer_id": api["customer_id"], "title": "Deal", "workflow": "sales", **body}
    refused = api["call"]("POST", "/requirements", json=payload)
    assert refused.status_code == 422
    assert refused.mimetype == "application/problem+json"
    assert set(refused.get_json()["errors"]) == fields
    opportunity = _open(api, workflow="sales", assignee_id=api["agent"].id)
    path = f"/requirements/{opportunity['id']}"
    tag = api["call"]("GET", path).headers["ETag"]
    edit = api["call"]("PATCH", path, json=body, headers={"If-Match": tag})
    assert edit.status_code == 422
    assert set(edit.get_json()["errors"]) == fields
    assert api["call"]("GET", path).get_json()["amount"] is None  # nothing saved


def test_only_opportunities_take_an_amount(api: dict[str, Any]) -> None:
    payload = {"customer_id": api["customer_id"], "title": "Broken", "amount": "5"}
    refused = api["call"]("POST", "/requirements", json={**payload, "currency": "EUR"})
    assert refused.status_code == 422
    assert set(refused.get_json()["errors"]) == {"amount", "currency"}


def test_the_opportunity_fields_are_in_the_openapi_document(client: FlaskClient) -> None:
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    for name in ("Requirement", "RequirementUpdate"):
        properties = schemas[name]["properties"]
        assert {"amount", "currency", "expected_close_on"} <= set(properties)
        assert properties["amount"]["type"] == "string"
        assert properties["expected_close_on"]["format"] == "date"
