"""The queues' SLA-status filter: breached, at risk, due today (the viewer's day) and paused, at
the app's clock."""

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from models import Role, User
from tests.integration.test_customer_pages import text_of
from tests.integration.test_requirement_pages import START, World, form_values, row_ids
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import ManualClock

DAY = 86400


@pytest.fixture
def world(app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    clock = ManualClock(START)  # 09:00 UTC, 18:00 in Tokyo: the agent's day ends at 15:00 UTC
    monkeypatch.setitem(app.extensions, "clock", clock)
    users = {
        "agent": make_user(Role.AGENT, name="Alma Agent", time_zone="Asia/Tokyo"),
        "colleague": make_user(Role.AGENT, name="Carl Colleague"),
        "outsider": make_user(Role.AGENT, name="Otto Outsider"),
        "lead": make_user(Role.SUPERVISOR, name="Lena Lead"),
    }
    return World(app, clock, users)


def test_filters_by_sla_status(world: World) -> None:
    world.policy(
        {
            "default": {"first_response": 600, "resolution": 3600},
            "low": {"first_response": 3 * DAY, "resolution": 5 * DAY},
        },
        warning_percent=50,
    )
    me = world.users["agent"].id
    soon = world.open("Printer on fire", assignee_id=me)
    later = world.open("Paint the wall", assignee_id=me, priority="low")
    agent = world.client("agent")

    def ids(status: str) -> list[int]:
        return row_ids(text_of(agent.get(f"/requirements?queue=mine&sla={status}")))

    assert ids("due_today") == [soon]
    assert ids("at_risk") == ids("breached") == ids("paused") == []
    assert sorted(row_ids(text_of(agent.get("/requirements?queue=mine&sla=bogus")))) == sorted(
        [soon, later]
    )

    world.clock.advance(timedelta(minutes=6))
    assert ids("at_risk") == [soon]

    world.clock.advance(timedelta(minutes=7))
    assert ids("breached") == [soon]  # past due, before the timer marks it
    world.run_due_timers()
    assert ids("breached") == [soon]
    assert ids("at_risk") == []

    world.fire(later, "assign", "ask_customer")
    assert ids("paused") == [later]
    page = text_of(agent.get("/requirements?queue=mine&sla=paused"))
    assert form_values(page)["sla"] == "paused"


def _api_ids(world: World, who: str, **query: str) -> Any:
    with world.app.app_context():
        user = db.session.get(User, world.users[who].id)
        secret = accounts.issue_token(db.session, user, "sla", clock=world.clock).secret
        db.session.commit()
    response = world.app.test_client().get(
        "/api/v1/requirements",
        query_string=query,
        headers={"Authorization": f"Bearer {secret}"},
    )
    if response.status_code != 200:
        return response
    return sorted(row["id"] for row in response.get_json())


def test_the_api_list_filters_by_sla_status_like_the_queues(world: World) -> None:
    world.policy(
        {
            "default": {"first_response": 600, "resolution": 3600},
            "low": {"first_response": 3 * DAY, "resolution": 5 * DAY},
        },
        warning_percent=50,
    )
    me = world.users["agent"].id
    soon = world.open("Printer on fire", assignee_id=me)
    later = world.open("Paint the wall", assignee_id=me, priority="low")

    def ids(status: str) -> Any:
        return _api_ids(world, "agent", sla_status=status)

    # 09:00 UTC is 18:00 in the agent's Tokyo: their day ends at 15:00 UTC, before `later` is due.
    assert ids("due_today") == [soon]
    assert ids("at_risk") == ids("breached") == ids("paused") == []
    assert _api_ids(world, "agent") == sorted([soon, later])

    world.clock.advance(timedelta(minutes=6))
    assert ids("at_risk") == [soon]
    world.clock.advance(timedelta(minutes=7))
    assert ids("breached") == [soon]  # past due, before the timer marks it
    world.run_due_timers()
    assert ids("breached") == [soon]
    assert ids("at_risk") == []

    world.fire(later, "assign", "ask_customer")
    assert ids("paused") == [later]
    assert _api_ids(world, "agent", sla_status="paused", state="open") == []  # filters combine


def test_the_api_refuses_an_unknown_sla_status_naming_the_parameter(world: World) -> None:
    response = _api_ids(world, "agent", sla_status="bogus")
    assert response.status_code == 422
    assert response.content_type == "application/problem+json"
    assert "sla_status" in response.get_json()["errors"]


def test_the_api_documents_the_sla_status_parameter(world: World) -> None:
    spec = world.app.test_client().get("/api/v1/openapi.json").get_json()
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/requirements"]["get"]["parameters"]}
    assert parameters["sla_status"]["in"] == "query"
    assert parameters["sla_status"]["schema"]["enum"] == [
        "breached",
        "at_risk",
        "due_today",
        "paused",
    ]
    assert "caller's time zone" in parameters["sla_status"]["description"]
