"""Communications, transactions, the timeline, organisations and custom field definitions over
the API: validation, ETag/If-Match, Idempotency-Key and roles."""

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AuditEntry, Communication, Organisation, Role, Transaction, User
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import SystemClock

Headers = dict[str, str]


@pytest.fixture
def auth(app: Flask, make_user: Any) -> Callable[..., Headers]:
    def make(role: Role = Role.AGENT, **overrides: Any) -> Headers:
        user = make_user(role, **overrides)
        with app.app_context():
            issued = accounts.issue_token(
                db.session, db.session.get(User, user.id), "tests", clock=SystemClock()
            )
            db.session.commit()
            return {"Authorization": f"Bearer {issued.secret}"}

    return make


@pytest.fixture
def agent(auth: Callable[..., Headers]) -> Headers:
    return auth(Role.AGENT, time_zone="America/New_York")


@pytest.fixture
def customer_url(client: FlaskClient, agent: Headers) -> str:
    response = client.post("/api/v1/customers", json={"name": "Ana Lima"}, headers=agent)
    assert response.status_code == 201
    return response.headers["Location"]


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


# ---------------------------------------------------------------- communications


def test_logs_a_call_in_the_callers_zone(
    client: FlaskClient, agent: Headers, customer_url: str
) -> None:
    response = client.post(
        f"{customer_url}/communications",
        json={
            "channel": "call",
            "direction": "inbound",
            "occurred_at": "2026-01-05T09:00",
            "duration_minutes": 5,
            "body": "<p>Asked about <b>pricing</b></p><script>x()</script>",
        },
        headers=agent,
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["occurred_at"] == "2026-01-05T14:00:00+00:00"  # 09:00 in New York
    assert body["duration_seconds"] == 300
    assert "<script" not in body["body_html"] and body["body_text"] == "Asked about pricing"
    customer = client.get(customer_url, headers=agent).get_json()
    assert customer["last_contacted_at"] == "2026-01-05T14:00:00+00:00"
    listed = client.get(f"{customer_url}/communications", headers=agent).get_json()
    assert [c["id"] for c in listed["items"]] == [body["id"]]


def test_bad_communication_is_422_and_saves_nothing(
    app: Flask, client: FlaskClient, agent: Headers, customer_url: str
) -> None:
    audit_before = _count(app, AuditEntry)
    response = client.post(
        f"{customer_url}/communications",
        json={"channel": "email", "duration_seconds": -3, "direction": "up", "body": "hi"},
        headers=agent,
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(response.get_json()["errors"]) == {"duration_seconds", "direction"}
    assert _count(app, Communication) == 0
    assert _count(app, AuditEntry) == audit_before


def test_communication_edit_needs_if_match_and_delete_needs_a_supervisor(
    client: FlaskClient, agent: Headers, auth: Callable[..., Headers], customer_url: str
) -> None:
    created = client.post(
        f"{customer_url}/communications", json={"channel": "note", "body": "x"}, headers=agent
    )
    url, tag = created.headers["Location"], created.headers["ETag"]
    assert client.patch(url, json={"subject": "s"}, headers=agent).status_code == 428
    edited = client.patch(url, json={"subject": "s"}, headers={**agent, "If-Match": tag})
    assert edited.status_code == 200 and edited.headers["ETag"] != tag
    stale = client.patch(url, json={"subject": "t"}, headers={**agent, "If-Match": tag})
    assert stale.status_code == 412
    new_tag = edited.headers["ETag"]
    assert client.delete(url, headers={**agent, "If-Match": new_tag}).status_code == 403
    supervisor = auth(Role.SUPERVISOR)
    assert client.delete(url, headers={**supervisor, "If-Match": new_tag}).status_code == 204
    assert client.get(url, headers=agent).status_code == 404


def test_an_empty_body_is_refused_on_logging_and_on_editing(
    app: Flask, client: FlaskClient, agent: Headers, customer_url: str
) -> None:
    for body in ("   ", "<p>&nbsp;</p>", "\u200b\u200b"):
        response = client.post(
            f"{customer_url}/communications", json={"channel": "note", "body": body}, headers=agent
        )
        assert response.status_code == 422, body
        assert response.mimetype == "application/problem+json"
        assert list(response.get_json()["errors"]) == ["body"]
    assert _count(app, Communication) == 0
    created = client.post(
        f"{customer_url}/communications",
        json={"channel": "sms", "body": "On my way"},
        headers=agent,
    )
    url, tag = created.headers["Location"], created.headers["ETag"]
    emptied = client.patch(url, json={"body": " "}, headers={**agent, "If-Match": tag})
    assert emptied.status_code == 422
    assert list(emptied.get_json()["errors"]) == ["body"]
    assert client.get(url, headers=agent).get_json()["body_text"] == "On my way"


def test_a_deleted_communication_is_restored_by_a_supervisor_with_its_history(
    app: Flask, client: FlaskClient, agent: Headers, auth: Callable[..., Headers], customer_url: str
) -> None:
    created = client.post(
        f"{customer_url}/communications",
        json={"channel": "note", "body": "walrus"},
        headers=agent,
    )
    url, tag = created.headers["Location"], created.headers["ETag"]
    supervisor = auth(Role.SUPERVISOR)
    assert client.delete(url, headers={**supervisor, "If-Match": tag}).status_code == 204
    assert client.post(f"{url}/restore", headers=agent).status_code == 403
    restored = client.post(f"{url}/restore", headers=supervisor)
    assert restored.status_code == 200
    assert client.get(url, headers=agent).get_json()["body_text"] == "walrus"
    found = client.get("/api/v1/customers?q=walrus", headers=agent).get_json()
    assert [c["name"] for c in found["items"]] == ["Ana Lima"]
    with app.app_context():
        ident = int(url.rsplit("/", 1)[1])
        actions = db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "communication", AuditEntry.entity_id == ident)
            .order_by(AuditEntry.id)
        ).all()
    assert actions == ["create", "delete", "restore"]


def test_communication_post_is_idempotent(
    app: Flask, client: FlaskClient, agent: Headers, customer_url: str
) -> None:
    headers = {**agent, "Idempotency-Key": "call-1"}
    payload = {"channel": "call", "subject": "Follow-up"}
    first = client.post(f"{customer_url}/communications", json=payload, headers=headers)
    retry = client.post(f"{customer_url}/communications", json=payload, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert first.get_json()["id"] == retry.get_json()["id"]
    assert _count(app, Communication) == 1


# ---------------------------------------------------------------- transactions


def test_records_transactions_with_decimal_strings_and_lifetime_value(
    client: FlaskClient, agent: Headers, customer_url: str
) -> None:
    url = f"{customer_url}/transactions"
    for kind, amount, currency in (
        ("payment", "0.10", "eur"),
        ("payment", "0.20", "EUR"),
        ("refund", "0.05", "EUR"),
        ("order", 120, "JPY"),
    ):
        response = client.post(
            url,
            json={
                "kind": kind,
                "amount": amount,
                "currency": currency,
                "occurred_on": "2026-02-01",
            },
            headers=agent,
        )
        assert response.status_code == 201, response.get_json()
    assert response.get_json()["amount"] == "120.00"
    listed = client.get(url, headers=agent).get_json()
    assert listed["lifetime_value"] == {"EUR": "0.25", "JPY": "120.00"}
    assert listed["last_purchase_on"] == "2026-02-01"
    assert len(listed["items"]) == 4
    customer = client.get(customer_url, headers=agent).get_json()
    assert customer["lifetime_value"] == listed["lifetime_value"]


def test_bad_transaction_names_each_field_and_saves_nothing(
    app: Flask, client: FlaskClient, agent: Headers, customer_url: str
) -> None:
    response = client.post(
        f"{customer_url}/transactions",
        json={"kind": "payment", "amount": 12.5, "currency": "DOGE", "occurred_on": "soon"},
        headers=agent,
    )
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert set(errors) == {"amount", "currency", "occurred_on"}
    assert "string" in errors["amount"][0]
    assert _count(app, Transaction) == 0
    negative = client.post(
        f"{customer_url}/transactions",
        json={"kind": "refund", "amount": "-3", "currency": "EUR"},
        headers=agent,
    )
    assert negative.status_code == 422 and list(negative.get_json()["errors"]) == ["amount"]


def test_transaction_edit_and_delete_follow_if_match_and_roles(
    client: FlaskClient, agent: Headers, auth: Callable[..., Headers], customer_url: str
) -> None:
    created = client.post(
        f"{customer_url}/transactions",
        json={"kind": "invoice", "amount": "99.99", "currency": "GBP", "status": "open"},
        headers=agent,
    )
    url, tag = created.headers["Location"], created.headers["ETag"]
    assert client.get(url, headers=agent).headers["ETag"] == tag
    assert client.patch(url, json={"status": "completed"}, headers=agent).status_code == 428
    done = client.patch(url, json={"status": "completed"}, headers={**agent, "If-Match": tag})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    assert (
        client.patch(url, json={"status": "open"}, headers={**agent, "If-Match": tag}).status_code
        == 412
    )
    supervisor = auth(Role.SUPERVISOR)
    new_tag = done.headers["ETag"]
    assert client.delete(url, headers={**agent, "If-Match": new_tag}).status_code == 403
    assert client.delete(url, headers={**supervisor, "If-Match": new_tag}).status_code == 204
    assert client.get(f"{customer_url}/transactions", headers=agent).get_json()["items"] == []


# ---------------------------------------------------------------- timeline


def test_timeline_merges_and_filters_by_kind(
    client: FlaskClient, agent: Headers, customer_url: str
) -> None:
    client.post(
        f"{customer_url}/communications",
        json={"channel": "sms", "body": "hello", "occurred_at": "2026-01-10T10:00:00Z"},
        headers=agent,
    )
    client.post(
        f"{customer_url}/transactions",
        json={"kind": "order", "amount": "5", "currency": "EUR", "occurred_on": "2026-01-09"},
        headers=agent,
    )
    everything = client.get(f"{customer_url}/timeline", headers=agent).get_json()
    assert [i["kind"] for i in everything["items"]] == ["event", "communication", "transaction"]
    page = client.get(
        f"{customer_url}/timeline?limit=1&kind=transaction&kind=communication", headers=agent
    ).get_json()
    assert [i["kind"] for i in page["items"]] == ["communication"]
    rest = client.get(
        f"{customer_url}/timeline?limit=1&kind=transaction&kind=communication"
        f"&before={page['next_cursor']}",
        headers=agent,
    ).get_json()
    assert [i["kind"] for i in rest["items"]] == ["transaction"]
    assert rest["items"][0]["record"]["amount"] == "5.00"
    bad = client.get(f"{customer_url}/timeline?before=garbage", headers=agent)
    assert bad.status_code == 422 and "before" in bad.get_json()["errors"]


# ---------------------------------------------------------------- organisations


def test_organisations_crud_with_etag_roles_and_validation(
    app: Flask, client: FlaskClient, agent: Headers, auth: Callable[..., Headers]
) -> None:
    bad = client.post(
        "/api/v1/organisations",
        json={"name": "", "website": "not a site", "phone": "12"},
        headers=agent,
    )
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"name", "website", "phone"}
    assert _count(app, Organisation) == 0
    created = client.post(
        "/api/v1/organisations",
        json={"name": "Acme", "website": "acme.example", "phone": "+49 30 1234567"},
        headers={**agent, "Idempotency-Key": "acme"},
    )
    assert created.status_code == 201
    body = created.get_json()
    assert body["website"] == "https://acme.example" and body["phone"] == "+49301234567"
    url, tag = created.headers["Location"], created.headers["ETag"]
    customer = client.post(
        "/api/v1/customers", json={"name": "Ana", "organisation_id": body["id"]}, headers=agent
    )
    assert customer.status_code == 201
    renamed = client.patch(url, json={"name": "Acme GmbH"}, headers={**agent, "If-Match": tag})
    assert renamed.status_code == 200
    found = client.get("/api/v1/customers?q=gmbh", headers=agent).get_json()
    assert [c["name"] for c in found["items"]] == ["Ana"]  # members found by the new name
    listed = client.get("/api/v1/organisations?q=acme", headers=agent).get_json()
    assert [o["name"] for o in listed["items"]] == ["Acme GmbH"]
    assert listed["items"][0]["customer_count"] == 1
    new_tag = renamed.headers["ETag"]
    assert client.delete(url, headers={**agent, "If-Match": new_tag}).status_code == 403
    supervisor = auth(Role.SUPERVISOR)
    assert client.delete(url, headers=supervisor).status_code == 428
    assert client.delete(url, headers={**supervisor, "If-Match": new_tag}).status_code == 204
    assert client.get(url, headers=agent).status_code == 404
    assert client.post(f"{url}/restore", headers=supervisor).status_code == 200


def test_organisation_list_pages_by_name(client: FlaskClient, agent: Headers) -> None:
    for name in ("Delta", "alpha", "Charlie", "Bravo", "Echo"):
        assert (
            client.post("/api/v1/organisations", json={"name": name}, headers=agent).status_code
            == 201
        )
    names, cursor = [], None
    while True:
        url = "/api/v1/organisations?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=agent).get_json()
        names += [o["name"] for o in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(names) == sorted(["Delta", "alpha", "Charlie", "Bravo", "Echo"])
    assert len(names) == 5 and len(set(names)) == 5


# ---------------------------------------------------------------- custom fields


def test_only_admins_define_custom_fields_and_values_are_checked(
    client: FlaskClient, agent: Headers, auth: Callable[..., Headers], customer_url: str
) -> None:
    definition = {"entity": "customer", "key": "seats", "label": "Seats", "kind": "number"}
    refused = client.post("/api/v1/custom-fields", json=definition, headers=agent)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    supervisor = auth(Role.SUPERVISOR)
    assert (
        client.post("/api/v1/custom-fields", json=definition, headers=supervisor).status_code == 403
    )
    admin = auth(Role.ADMIN)
    created = client.post("/api/v1/custom-fields", json=definition, headers=admin)
    assert created.status_code == 201 and created.get_json()["kind"] == "number"
    duplicate = client.post("/api/v1/custom-fields", json=definition, headers=admin)
    assert duplicate.status_code == 422 and "key" in duplicate.get_json()["errors"]
    bad_kind = client.post(
        "/api/v1/custom-fields", json={**definition, "key": "x", "kind": "colour"}, headers=admin
    )
    assert bad_kind.status_code == 422 and "kind" in bad_kind.get_json()["errors"]
    listed = client.get("/api/v1/custom-fields?entity=customer", headers=agent).get_json()
    assert [d["key"] for d in listed] == ["seats"]
    tag = client.get(customer_url, headers=agent).headers["ETag"]
    wrong = client.patch(
        customer_url, json={"custom": {"seats": "many"}}, headers={**agent, "If-Match": tag}
    )
    assert wrong.status_code == 422 and "custom.seats" in wrong.get_json()["errors"]
    right = client.patch(
        customer_url, json={"custom": {"seats": "12"}}, headers={**agent, "If-Match": tag}
    )
    assert right.status_code == 200 and right.get_json()["custom"] == {"seats": 12}
    field_url = f"/api/v1/custom-fields/{created.get_json()['id']}"
    assert client.patch(field_url, json={"label": "Licences"}, headers=agent).status_code == 403
    changed = client.patch(field_url, json={"label": "Licences"}, headers=admin)
    assert changed.status_code == 200 and changed.get_json()["label"] == "Licences"


def test_organisation_timeline_merges_its_members(
    client: FlaskClient, agent: Headers, customer_url: str
) -> None:
    org = client.post("/api/v1/organisations", json={"name": "Acme"}, headers=agent).get_json()
    member = client.post(
        "/api/v1/customers", json={"name": "Bea", "organisation_id": org["id"]}, headers=agent
    ).headers["Location"]
    for url, when in ((member, "2026-01-02T10:00:00Z"), (customer_url, "2026-01-03T10:00:00Z")):
        client.post(
            f"{url}/communications",
            json={"channel": "call", "occurred_at": when},
            headers=agent,
        )
    client.post(
        f"{member}/transactions",
        json={"kind": "order", "amount": "7", "currency": "EUR", "occurred_on": "2026-01-01"},
        headers=agent,
    )
    page = client.get(f"/api/v1/organisations/{org['id']}/timeline", headers=agent).get_json()
    assert [(i["kind"], i["at"][:10]) for i in page["items"]][1:] == [
        ("communication", "2026-01-02"),  # only the member's call, not the other customer's
        ("transaction", "2026-01-01"),
    ]
    assert page["items"][0]["kind"] == "event"  # the organisation's creation
