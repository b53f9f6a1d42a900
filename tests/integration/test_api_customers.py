"""The customers API: create, read with ETag, PATCH/DELETE with If-Match, list and search with
cursor pages, 422 naming each field with nothing half-saved, Idempotency-Key, roles."""

import hashlib
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import (
    AuditEntry,
    Customer,
    CustomerEmail,
    CustomerPhone,
    IdempotencyRecord,
    Role,
    Tag,
    User,
)
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import SystemClock

Headers = dict[str, str]


@pytest.fixture
def auth(app: Flask, make_user: Any) -> Callable[..., Headers]:
    """Bearer headers for a new user of `role`."""

    def make(role: Role = Role.AGENT) -> Headers:
        user = make_user(role)
        with app.app_context():
            issued = accounts.issue_token(
                db.session, db.session.get(User, user.id), "tests", clock=SystemClock()
            )
            db.session.commit()
            return {"Authorization": f"Bearer {issued.secret}"}

    return make


@pytest.fixture
def agent(auth: Callable[..., Headers]) -> Headers:
    return auth(Role.AGENT)


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def _create(client: FlaskClient, headers: Headers, **data: Any) -> Any:
    data.setdefault("name", "Ana Lima")
    response = client.post("/api/v1/customers", json=data, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response


def test_creates_and_reads_a_customer_with_etag(client: FlaskClient, agent: Headers) -> None:
    created = _create(
        client,
        agent,
        emails=["Ana@Example.com"],
        phones=["+49 151 2345 6789"],
        tags=["VIP"],
        time_zone="Europe/Berlin",
    )
    body = created.get_json()
    tag = created.headers["ETag"]
    assert tag == f'"{body["version"]}"'
    assert created.headers["Location"] == f"/api/v1/customers/{body['id']}"
    assert body["primary_email"] == "ana@example.com"
    assert body["phones"] == ["+4915123456789"]
    assert body["tags"] == ["vip"]
    assert body["lifetime_value"] == {} and body["last_purchase_on"] is None
    read = client.get(created.headers["Location"], headers=agent)
    assert read.status_code == 200 and read.headers["ETag"] == tag
    assert read.get_json()["name"] == "Ana Lima"
    again = client.get(created.headers["Location"], headers={**agent, "If-None-Match": tag})
    assert again.status_code == 304


def test_bad_input_is_422_naming_each_field_and_saves_nothing(
    app: Flask, client: FlaskClient, agent: Headers
) -> None:
    response = client.post(
        "/api/v1/customers",
        json={
            "name": "Ana",
            "emails": ["not-an-email"],
            "phones": ["12"],
            "time_zone": "Mars/Olympus",
            "tags": ["new-tag"],
            "favourite_colour": "red",
        },
        headers=agent,
    )
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert set(response.get_json()["errors"]) == {
        "emails",
        "phones",
        "time_zone",
        "favourite_colour",
    }
    for model in (Customer, CustomerEmail, CustomerPhone, Tag, AuditEntry):
        assert _count(app, model) == 0


def test_patch_needs_if_match_and_refuses_a_stale_one(
    app: Flask, client: FlaskClient, agent: Headers
) -> None:
    location = _create(client, agent).headers["Location"]
    missing = client.patch(location, json={"name": "Ana B"}, headers=agent)
    assert missing.status_code == 428
    assert missing.mimetype == "application/problem+json"
    ok = client.patch(location, json={"name": "Ana B"}, headers={**agent, "If-Match": '"1"'})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = client.patch(location, json={"name": "Ana C"}, headers={**agent, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.mimetype == "application/problem+json"
    assert stale.get_json()["current_version"] == 2
    assert client.get(location, headers=agent).get_json()["name"] == "Ana B"


def test_a_bad_patch_changes_nothing(app: Flask, client: FlaskClient, agent: Headers) -> None:
    created = _create(client, agent, emails=["ana@example.com"])
    location, tag = created.headers["Location"], created.headers["ETag"]
    response = client.patch(
        location,
        json={"name": "Renamed", "emails": ["broken"], "country": "Germany"},
        headers={**agent, "If-Match": tag},
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"emails", "country"}
    body = client.get(location, headers=agent).get_json()
    assert body["name"] == "Ana Lima" and f'"{body["version"]}"' == tag
    assert body["emails"] == ["ana@example.com"]


def test_only_supervisors_delete_and_restore(
    app: Flask, client: FlaskClient, agent: Headers, auth: Callable[..., Headers]
) -> None:
    location = _create(client, agent).headers["Location"]
    refused = client.delete(location, headers={**agent, "If-Match": '"1"'})
    assert refused.status_code == 403
    assert refused.mimetype == "application/problem+json"
    supervisor = auth(Role.SUPERVISOR)
    assert client.delete(location, headers=supervisor).status_code == 428
    assert client.delete(location, headers={**supervisor, "If-Match": '"9"'}).status_code == 412
    assert client.delete(location, headers={**supervisor, "If-Match": '"1"'}).status_code == 204
    assert client.get(location, headers=agent).status_code == 404  # as the pages: no trash
    trashed = client.get(location, headers=supervisor).get_json()
    assert trashed["deleted_at"] is not None
    assert client.get("/api/v1/customers", headers=agent).get_json()["items"] == []
    assert client.get("/api/v1/customers?trash=true", headers=agent).status_code == 403
    in_trash = client.get("/api/v1/customers?trash=true", headers=supervisor).get_json()
    assert [c["name"] for c in in_trash["items"]] == ["Ana Lima"]
    assert client.post(f"{location}/restore", headers=agent).status_code == 403
    restored = client.post(f"{location}/restore", headers=supervisor)
    assert restored.status_code == 200 and restored.get_json()["deleted_at"] is None


def test_list_filters_searches_and_pages_with_a_cursor(client: FlaskClient, agent: Headers) -> None:
    for name in ("Bruno Costa", "Carla Dias", "Daniel Evans", "Eva Fonseca", "Ana Lima"):
        _create(client, agent, name=name, tags=["berlin"] if name < "D" else ["lisbon"])
    _create(client, agent, name="Zoe Phone", phones=["+49 30 1234567"])
    names: list[str] = []
    cursor = None
    while True:
        url = "/api/v1/customers?limit=2&sort=name" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=agent).get_json()
        names += [c["name"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert names == sorted(names) and len(names) == 6
    tagged = client.get("/api/v1/customers?tag=berlin", headers=agent).get_json()
    assert {c["name"] for c in tagged["items"]} == {"Ana Lima", "Bruno Costa", "Carla Dias"}
    found = client.get("/api/v1/customers?q=fonseca", headers=agent).get_json()
    assert [c["name"] for c in found["items"]] == ["Eva Fonseca"]
    assert "<mark>" in next(iter(found["highlights"].values()))
    by_phone = client.get("/api/v1/customers?q=030 123 4567", headers=agent).get_json()
    assert [c["name"] for c in by_phone["items"]] == ["Zoe Phone"]
    bad = client.get("/api/v1/customers?limit=0&sort=shoe-size", headers=agent)
    assert bad.status_code == 422
    assert {"limit", "sort"} <= set(bad.get_json()["errors"])


def test_idempotency_key_replays_instead_of_creating_twice(
    app: Flask, client: FlaskClient, agent: Headers, auth: Callable[..., Headers]
) -> None:
    headers = {**agent, "Idempotency-Key": "create-ana-1"}
    first = client.post("/api/v1/customers", json={"name": "Ana"}, headers=headers)
    retry = client.post("/api/v1/customers", json={"name": "Ana"}, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["ETag"] == first.headers["ETag"]
    assert _count(app, Customer) == 1
    other_body = client.post("/api/v1/customers", json={"name": "Bob"}, headers=headers)
    assert other_body.status_code == 422
    assert "Idempotency-Key" in other_body.get_json()["errors"]
    someone_else = client.post(
        "/api/v1/customers",
        json={"name": "Ana"},
        headers={**auth(Role.AGENT), "Idempotency-Key": "create-ana-1"},
    )
    assert someone_else.status_code == 201  # keys belong to one user
    assert _count(app, Customer) == 2


def test_a_failed_request_does_not_use_up_its_idempotency_key(
    app: Flask, client: FlaskClient, agent: Headers
) -> None:
    headers = {**agent, "Idempotency-Key": "k-42"}
    failed = client.post("/api/v1/customers", json={"name": ""}, headers=headers)
    assert failed.status_code == 422
    assert _count(app, IdempotencyRecord) == 0
    fixed = client.post("/api/v1/customers", json={"name": ""}, headers=headers)
    assert fixed.status_code == 422
    created = client.post("/api/v1/customers", json={"name": "Ana"}, headers=headers)
    assert created.status_code == 201


def test_customers_api_needs_a_token(client: FlaskClient) -> None:
    response = client.get("/api/v1/customers")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"


def test_customer_paths_are_in_the_openapi_document(client: FlaskClient) -> None:
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/customers"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/customers/{customer_id}"])
    for path in (
        "/api/v1/customers/{customer_id}/communications",
        "/api/v1/customers/{customer_id}/transactions",
    ):
        assert {"get", "post"} <= set(paths[path])
    assert {"/api/v1/organisations", "/api/v1/custom-fields"} <= set(paths)
    patch_params = [
        p["name"] for p in paths["/api/v1/customers/{customer_id}"]["patch"]["parameters"]
    ]
    assert "If-Match" in patch_params
    post_params = [p["name"] for p in paths["/api/v1/customers"]["post"]["parameters"]]
    assert "Idempotency-Key" in post_params


def test_a_key_still_in_progress_gets_409(app: Flask, client: FlaskClient, agent: Headers) -> None:
    """A retry racing the first request must not create a second customer."""
    with app.app_context():
        user_id = db.session.scalar(select(User.id).order_by(User.id.desc()))
        db.session.add(
            IdempotencyRecord(
                user_id=user_id,
                key="racing",
                method="POST",
                path="/api/v1/customers",
                request_digest=hashlib.sha256(
                    b"POST /api/v1/customers\n" + json.dumps({"name": "Ana"}).encode()
                ).hexdigest(),
                status_code=0,
                response_body="",
                created_at=SystemClock().now(),
            )
        )
        db.session.commit()
    response = client.post(
        "/api/v1/customers", json={"name": "Ana"}, headers={**agent, "Idempotency-Key": "racing"}
    )
    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert _count(app, Customer) == 0


def test_segments_save_a_filter_and_list_its_customers(
    client: FlaskClient, agent: Headers, auth: Callable[..., Headers]
) -> None:
    _create(client, agent, name="Ana Lima", tags=["vip"])
    _create(client, agent, name="Bruno Costa")
    bad = client.post(
        "/api/v1/segments",
        json={"name": "", "definition": {"tag": 5, "colour": "red"}},
        headers=agent,
    )
    assert bad.status_code == 422
    assert {"tag", "colour"} <= set(bad.get_json()["errors"])
    created = client.post(
        "/api/v1/segments", json={"name": "VIPs", "definition": {"tag": "vip"}}, headers=agent
    )
    assert created.status_code == 201, created.get_json()
    segment = created.get_json()
    assert segment["definition"] == {"tag": "vip"}
    members = client.get(f"/api/v1/segments/{segment['id']}/customers", headers=agent).get_json()
    assert [c["name"] for c in members["items"]] == ["Ana Lima"]
    other_agent = auth(Role.AGENT)
    url = f"/api/v1/segments/{segment['id']}"
    assert client.patch(url, json={"name": "x"}, headers=other_agent).status_code == 403
    renamed = client.patch(url, json={"name": "Top customers"}, headers=agent)
    assert renamed.status_code == 200 and renamed.get_json()["name"] == "Top customers"
    listed = client.get("/api/v1/segments", headers=other_agent).get_json()
    assert [s["name"] for s in listed] == ["Top customers"]


def test_concurrent_retries_with_one_key_create_once(
    app: Flask, live_server: str, agent: Headers
) -> None:
    """Eight clients send the same keyed POST at once to a threaded server: one creates."""
    statuses: list[int] = []
    start = threading.Barrier(8)

    def send() -> None:
        request = urllib.request.Request(  # noqa: S310 (our live server's http URL)
            f"{live_server}/api/v1/customers",
            data=json.dumps({"name": "Ana"}).encode(),
            headers={**agent, "Idempotency-Key": "burst", "Content-Type": "application/json"},
            method="POST",
        )
        start.wait()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (same)
                statuses.append(response.status)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
            exc.close()

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert _count(app, Customer) == 1
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}


def test_list_filters_by_custom_field_and_creation_range(
    client: FlaskClient, agent: Headers, auth: Callable[..., Headers]
) -> None:
    admin = auth(Role.ADMIN)
    field = {"entity": "customer", "key": "plan", "label": "Plan", "kind": "single_choice"}
    created = client.post(
        "/api/v1/custom-fields", json={**field, "choices": ["gold", "basic"]}, headers=admin
    )
    assert created.status_code == 201
    _create(client, agent, name="Gold Ana", custom={"plan": "gold"})
    _create(client, agent, name="Basic Bob", custom={"plan": "basic"})
    gold = client.get("/api/v1/customers?custom.plan=gold", headers=agent).get_json()
    assert [c["name"] for c in gold["items"]] == ["Gold Ana"]
    unknown = client.get("/api/v1/customers?custom.colour=red", headers=agent)
    assert unknown.status_code == 422 and "custom.colour" in unknown.get_json()["errors"]
    future = client.get(
        "/api/v1/customers?created_from=2999-01-01T00:00:00Z", headers=agent
    ).get_json()
    assert future["items"] == []
    bad_date = client.get("/api/v1/customers?created_from=yesterday", headers=agent)
    assert bad_date.status_code == 422 and "created_from" in bad_date.get_json()["errors"]
