"""Bad input is a 422 naming the field, never a 500 (issue 10, items 5 and 6): NUL and other
control characters, lone surrogates, deep JSON, integers beyond 64 bits, wrong JSON types,
dates at the edge of the calendar, absurd time zones; and a segment saved with a NUL byte
before these checks no longer takes `/segments` down."""

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import Customer, Role, Segment, User
from tests.conftest import login
from tests.integration.test_customer_pages import make_customer, post_form
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import accounts

HUGE = 2**63  # one more than a 64-bit column holds


@pytest.fixture
def api(app: Flask, make_user: Any) -> Any:
    user = make_user(Role.ADMIN)
    with app.app_context():
        secret = accounts.issue_token(
            db.session, db.session.get(User, user.id), "t", clock=current_clock()
        ).secret
        db.session.commit()
    client = app.test_client()

    def call(method: str, path: str, **kw: Any) -> Any:
        headers = {"Authorization": f"Bearer {secret}", **kw.pop("headers", {})}
        return client.open(f"/api/v1{path}", method=method, headers=headers, **kw)

    call.user = user  # type: ignore[attr-defined]
    return call


@pytest.fixture
def page(app: Flask, api: Any) -> FlaskClient:
    client = app.test_client()
    assert login(client, api.user.email).status_code == 302
    return client


def _customers(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Customer))


def _assert_422(response: Any, field: str) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"], response.get_json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Ana\x00Lima"}, "name"),
        ({"name": "Ana\x07Lima"}, "name"),
        ({"name": "Ana", "notes": "line\x1b[31m"}, "notes"),
        ({"name": "Ana", "emails": ["a\x00@example.com"]}, "emails.0"),
        ({"name": ["Ana", "Lima"]}, "name"),
        ({"name": {"first": "Ana"}}, "name"),
        ({"name": "Ana", "tags": 5}, "tags"),
        ({"name": "Ana", "tags": ["vip", 5]}, "tags"),
        ({"name": "Ana", "emails": {"home": "ana@example.com"}}, "emails"),
        ({"name": "Ana", "phones": {"x": 1}}, "phones"),
        ({"name": "Ana", "time_zone": "Europe/" + "x" * 300}, "time_zone"),
        ({"name": "Ana", "organisation_id": HUGE}, "organisation_id"),
        ({"name": "Ana", "owner_id": HUGE}, "owner_id"),
    ],
)
def test_customer_api_refuses_bad_values_naming_the_field(
    app: Flask, api: Any, body: dict[str, Any], field: str
) -> None:
    _assert_422(api("POST", "/customers", json=body), field)
    assert _customers(app) == 0


def test_a_lone_surrogate_and_deep_json_are_422(app: Flask, api: Any) -> None:
    raw = '{"name": "Ana \\ud800 Lima"}'
    response = api("POST", "/customers", data=raw, headers={"Content-Type": "application/json"})
    _assert_422(response, "name")
    deep = '{"name": "Ana", "custom": ' + "[" * 5000 + "]" * 5000 + "}"
    response = api("POST", "/customers", data=deep, headers={"Content-Type": "application/json"})
    _assert_422(response, "_body")
    assert _customers(app) == 0


def test_integers_beyond_64_bits_in_paths_queries_and_pages(api: Any, page: FlaskClient) -> None:
    _assert_422(api("GET", f"/customers/{HUGE}"), "customer_id")
    _assert_422(api("GET", f"/requirements/{HUGE}/events"), "requirement_id")
    _assert_422(api("GET", f"/requirements?before_id={HUGE}"), "before_id")
    _assert_422(api("GET", f"/requirements?customer_id={HUGE}"), "customer_id")
    body = {"customer_id": HUGE, "title": "x"}
    _assert_422(api("POST", "/requirements", json=body), "customer_id")
    for path in (f"/requirements?page={HUGE}", f"/customers/{HUGE}", f"/requirements/{HUGE}"):
        response = page.get(path)
        assert response.status_code == 422, path
        assert "Not accepted" in response.get_data(as_text=True)


def test_nul_in_search_is_422_on_the_api_and_the_page(api: Any, page: FlaskClient) -> None:
    _assert_422(api("GET", "/customers?q=ana%00"), "q")
    response = page.get("/customers?q=ana%00lima")
    assert response.status_code == 422
    assert "control characters" in response.get_data(as_text=True)


def test_control_characters_in_a_form_are_422_and_nothing_is_saved(
    app: Flask, page: FlaskClient
) -> None:
    response = post_form(page, "/customers/new", {"name": "Ana\x00Lima"})
    assert response.status_code == 422
    assert "name" in response.get_data(as_text=True)
    assert _customers(app) == 0


def test_edge_dates_with_offsets_are_422(app: Flask, api: Any) -> None:
    customer_id = make_customer(app)
    for when in ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"):
        body = {"channel": "note", "body": "hi", "occurred_at": when}
        response = api("POST", f"/customers/{customer_id}/communications", json=body)
        _assert_422(response, "occurred_at")
        response = api("GET", f"/customers?created_from={when.replace('+', '%2B')}")
        assert response.status_code == 422, when


def test_a_segment_name_must_be_text(api: Any) -> None:
    _assert_422(api("POST", "/segments", json={"name": ["VIP"], "definition": {}}), "name")
    _assert_422(api("POST", "/segments", json={"name": "V\x00IP", "definition": {}}), "name")
    body = {"name": "VIP", "definition": {"q": "a\x00b"}}
    _assert_422(api("POST", "/segments", json=body), "definition.q")


def test_segments_page_survives_a_segment_saved_with_a_nul_byte(
    app: Flask, api: Any, page: FlaskClient
) -> None:
    make_customer(app, name="Ana Lima")
    assert api("POST", "/segments", json={"name": "Good", "definition": {}}).status_code == 201
    with app.app_context():  # saved before input was checked
        now = current_clock().now()
        db.session.add(
            Segment(
                name="Broken",
                definition={"q": "ana\x00"},
                owner_id=api.user.id,
                created_at=now,
                updated_at=now,
            )
        )
        db.session.commit()
    response = page.get("/segments")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "cannot be evaluated" in text and "Good" in text


def test_api_json_problem_names_the_field_for_a_wrong_type(api: Any) -> None:
    response = api(
        "POST", "/customers", data=json.dumps({"name": 5}), content_type="application/json"
    )
    _assert_422(response, "name")


def test_an_id_beyond_a_32_bit_column_is_never_a_server_error(api: Any) -> None:
    # PostgreSQL's INTEGER ids overflow above 2**31 - 1 (a DataError): 422 naming the id there;
    # SQLite simply finds nothing.
    for path in (f"/customers/{2**31}", f"/requirements/{2**31}/events", f"/segments/{2**40}"):
        response = api("GET", path)
        assert response.status_code in (404, 422), path
        if response.status_code == 422:
            assert list(response.get_json()["errors"]) in (
                ["customer_id"],
                ["requirement_id"],
                ["segment_id"],
            )
