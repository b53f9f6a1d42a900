"""Outreach over the API and the pages: validation naming each field, dry run with exclusions,
lifecycle conflicts, enrolments (search, stop one), preview in the customer's language, the
OpenAPI document, the public unsubscribe page and the customer page's enrolments."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import Customer, EmailSuppression, Enrolment, EnrolmentStatus, Role, Strategy, User
from tests.conftest import csrf_token, login
from tests.outreach_helpers import email_steps, make_customers
from web.extensions import db
from workflows.customers import profiles, segments
from workflows.customers.queries import CustomerFilter
from workflows.outreach import activation, links, planning, suppressions
from workflows.platform import accounts
from workflows.platform.clock import ManualClock, SystemClock

Headers = dict[str, str]


@pytest.fixture
def auth(app: Flask, make_user: Any) -> Callable[..., Headers]:
    def make(role: Role = Role.SUPERVISOR) -> Headers:
        user = make_user(role)
        with app.app_context():
            issued = accounts.issue_token(
                db.session, db.session.get(User, user.id), "tests", clock=SystemClock()
            )
            db.session.commit()
            return {"Authorization": f"Bearer {issued.secret}"}

    return make


@pytest.fixture
def audience(app: Flask) -> dict[str, Any]:
    """Five customers tagged `api`: three reachable, one without consent, one suppressed, and
    one more without an email address."""
    clock = SystemClock()
    with app.app_context():
        made = make_customers(db.session, clock, 4, tag="api")
        unconsented = make_customers(db.session, clock, 1, tag="api", consent=False, first=4)[0]
        suppressions.suppress(db.session, made[3].primary_email, "bounced", clock=clock)
        no_email = profiles.create_customer(
            db.session, {"name": "No Mail", "tags": ["api"]}, actor_id=None, clock=clock
        )
        segment = segments.create_segment(
            db.session, "api", CustomerFilter(tag="api"), owner_id=None, clock=clock
        )
        db.session.commit()
        return {
            "segment_id": segment.id,
            "ids": [c.id for c in made],
            "unconsented": unconsented.id,
            "no_email": no_email.id,
        }


def _body(segment_id: int, **definition: Any) -> dict[str, Any]:
    return {
        "name": "Check-in",
        "definition": {
            "audience": {"kind": "segment", "segment_id": segment_id},
            "steps": email_steps(2),
            "window": {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"},
            **definition,
        },
    }


def test_a_bad_strategy_is_refused_naming_each_field(app: Flask, auth: Any) -> None:
    client = app.test_client()
    body = {
        "name": "",
        "definition": {
            "audience": {"kind": "segment", "segment_id": 999},
            "steps": [
                {"channel": "email", "subject": "", "body": "Hi {{ customer.nickname }}"},
                {"channel": "email", "subject": "Hi {{ oops", "body": "x {{ coupon }}"},
            ],
            "window": {"weekdays": [], "start": "25:00", "end": "17:00"},
            "holdout_percent": 95,
        },
    }
    response = client.post("/api/v1/strategies", json=body, headers=auth())
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    errors = response.get_json()["errors"]
    for field in (
        "name",
        "audience.segment_id",
        "steps.0.subject",
        "steps.0.body",
        "steps.1.subject",
        "steps.1.body",
        "window.weekdays",
        "window.start",
        "holdout_percent",
    ):
        assert field in errors, field
    assert "nickname" in errors["steps.0.body"][0]
    assert "coupon" in errors["steps.1.body"][0]
    with app.app_context():
        assert db.session.scalar(select(Strategy.id)) is None  # nothing half-saved


def test_dry_run_counts_exclusions_and_shows_local_times(
    app: Flask, auth: Any, audience: dict[str, Any]
) -> None:
    client = app.test_client()
    headers = auth()
    created = client.post("/api/v1/strategies", json=_body(audience["segment_id"]), headers=headers)
    assert created.status_code == 201, created.get_json()
    strategy_id = created.get_json()["id"]
    result = client.post(f"/api/v1/strategies/{strategy_id}/dry-run", headers=headers).get_json()
    assert result["audience"] == 6
    assert result["would_enrol"] == 3
    assert result["excluded"] == {"no_consent": 1, "suppressed": 1, "no_email": 1}
    assert {s["time_zone"] for s in result["sample"]} == {
        "America/New_York",
        "Europe/Berlin",
        "Asia/Tokyo",
    }
    for row in result["sample"]:
        assert "T09:00" in row["local_time"] or "T1" in row["local_time"]
    with app.app_context():
        assert db.session.scalar(select(Enrolment.id)) is None  # a dry run writes nothing


def test_lifecycle_steps_enrolments_and_preview(
    app: Flask, auth: Any, audience: dict[str, Any]
) -> None:
    client = app.test_client()
    headers = auth()
    body = _body(audience["segment_id"])
    body["definition"]["steps"][0]["translations"] = {
        "de": {"subject": "Hallo {{ customer.first_name }}", "body": "Guten Tag"}
    }
    strategy_id = client.post("/api/v1/strategies", json=body, headers=headers).get_json()["id"]
    steps = client.get(f"/api/v1/strategies/{strategy_id}/steps", headers=headers).get_json()
    assert len(steps["steps"]) == 2
    refused = client.put(
        f"/api/v1/strategies/{strategy_id}/steps",
        json={"steps": [{"channel": "fax"}]},
        headers=headers,
    )
    assert refused.status_code == 422 and "steps.0.channel" in refused.get_json()["errors"]
    with app.app_context():
        german = db.session.get(Customer, audience["ids"][0])
        german.language = "de-AT"
        db.session.commit()
    preview = client.get(
        f"/api/v1/strategies/{strategy_id}/preview?customer_id={audience['ids'][0]}",
        headers=headers,
    ).get_json()
    assert preview["subject"] == "Hallo Customer"
    move = f"/api/v1/strategies/{strategy_id}/transitions"
    assert client.post(move, json={"trigger": "activate"}, headers=headers).status_code == 200
    conflict = client.post(move, json={"trigger": "activate"}, headers=headers)
    assert conflict.status_code == 409
    assert "pause" in conflict.get_json()["detail"]
    agent = auth(Role.AGENT)
    assert client.post(move, json={"trigger": "pause"}, headers=agent).status_code == 403
    with app.app_context():  # what the background task does, here in-process
        clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
        strategy = db.session.get(Strategy, strategy_id)
        ids = activation.audience_ids(db.session, strategy, clock=clock)
        planning.enrol(db.session, strategy, ids, clock=clock)
        db.session.commit()
    listed = client.get(
        f"/api/v1/strategies/{strategy_id}/enrolments?q=customer 1", headers=headers
    ).get_json()
    assert [row["customer_name"] for row in listed] == ["Customer 1"]
    enrolment_id = listed[0]["id"]
    removed = client.delete(
        f"/api/v1/strategies/{strategy_id}/enrolments/{enrolment_id}", headers=agent
    )
    assert removed.status_code == 204
    timeline = client.get(
        f"/api/v1/strategies/{strategy_id}/enrolments/{enrolment_id}", headers=headers
    ).get_json()
    assert [e["kind"] for e in timeline][-1] == "stopped"
    with app.app_context():
        row = db.session.get(Enrolment, enrolment_id)
        assert (row.status, row.stop_reason) == (EnrolmentStatus.STOPPED, "removed")
    document = client.get("/api/v1/openapi.json").get_json()
    for path in (
        "/api/v1/strategies",
        "/api/v1/strategies/{strategy_id}/steps",
        "/api/v1/strategies/{strategy_id}/dry-run",
        "/api/v1/strategies/{strategy_id}/enrolments",
    ):
        assert path in document["paths"], path


def test_the_unsubscribe_link_asks_then_suppresses(app: Flask, audience: dict[str, Any]) -> None:
    client = app.test_client()
    customer_id = audience["ids"][0]
    settings = links.LinkSettings(app.config["SECRET_KEY"], app.config["BASE_URL"])
    path = links.unsubscribe_url(settings, customer_id).removeprefix(app.config["BASE_URL"])
    page = client.get(path)
    assert page.status_code == 200 and "c0@example.com" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(EmailSuppression.id)) is not None  # only the bounce
        assert suppressions.reason_for(db.session, "c0@example.com") is None
    # The RFC 8058 one-click POST: no session, no CSRF token.
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    with app.app_context():
        assert suppressions.reason_for(db.session, "C0@example.com") == "unsubscribed"
    assert client.get(path[:-3] + "xyz").status_code == 404


def test_the_builder_names_bad_fields_and_saves_a_draft(
    app: Flask, make_user: Any, audience: dict[str, Any]
) -> None:
    supervisor = make_user(Role.SUPERVISOR)
    client = app.test_client()
    login(client, supervisor.email)
    token = csrf_token(client, "/strategies/new")
    form = {
        "csrf_token": token,
        "name": "From the builder",
        "audience_kind": "segment",
        "segment_id": str(audience["segment_id"]),
        "weekdays": ["0", "1", "2", "3", "4"],
        "window_start": "09:00",
        "window_end": "17:00",
        "holdout_percent": "20",
        "per_customer_per_week": "3",
        "per_channel_per_minute": "600",
        "steps-0-channel": "email",
        "steps-0-delay_amount": "0",
        "steps-0-subject": "",
        "steps-0-body": "Hello {{ customer.name }}",
    }
    refused = client.post("/strategies/new", data=form)
    assert refused.status_code == 422
    assert 'data-field="steps.0.subject"' in refused.get_data(as_text=True)
    saved = client.post("/strategies/new", data={**form, "steps-0-subject": "Hi"})
    assert saved.status_code == 302
    page = client.get(saved.headers["Location"])
    assert "draft" in page.get_data(as_text=True)
    strategy_id = int(saved.headers["Location"].rstrip("/").split("/")[-1])
    dry = client.post(f"/strategies/{strategy_id}/dry-run", data={"csrf_token": token})
    assert 'id="would-enrol">3<' in dry.get_data(as_text=True)
    shown = client.get(f"/strategies/{strategy_id}/preview?customer_id={audience['ids'][0]}&step=1")
    assert "Hello Customer 0" in shown.get_data(as_text=True)
    assert client.get(f"/strategies/{strategy_id}/preview?customer_id=x").status_code == 422
    listing = client.get("/strategies").get_data(as_text=True)
    assert "From the builder" in listing
    activated = client.post(f"/strategies/{strategy_id}/activate", data={"csrf_token": token})
    assert activated.status_code == 302
    with app.app_context():
        assert db.session.get(Strategy, strategy_id).status == "active"
    customer_page = client.get(f"/customers/{audience['ids'][0]}").get_data(as_text=True)
    assert 'id="enrolments"' in customer_page
