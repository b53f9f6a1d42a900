"""Linking a communication to a requirement moves its SLA clocks and state, so it passes the
same permission check as `fire()`: refused with 403 and nothing written."""

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import Communication, Metric, Requirement, SlaClock, SlaStatus
from tests.integration.teams_world import World, build
from web.clocks import current_clock
from web.extensions import db
from workflows.tracking import requirements


@pytest.fixture
def world(app: Flask, make_user: Any) -> World:
    return build(app, make_user)


def _first_response(world: World, requirement_id: int) -> SlaClock:
    with world.app.app_context():
        return db.session.scalars(
            select(SlaClock).where(
                SlaClock.requirement_id == requirement_id,
                SlaClock.metric == Metric.FIRST_RESPONSE,
            )
        ).one()


def _communications(world: World) -> int:
    with world.app.app_context():
        return db.session.scalar(select(func.count()).select_from(Communication))


def _log(world: World, who: str, requirement_id: int, direction: str = "outbound") -> Any:
    body = {
        "channel": "email",
        "direction": direction,
        "body": "Answered",
        "requirement_id": requirement_id,
    }
    return world.api(who, "POST", f"/customers/{world.customer_id}/communications", json=body)


def test_an_agent_cannot_meet_another_teams_first_response(world: World) -> None:
    response = _log(world, "agent", world.requirement_b)
    assert response.status_code == 403
    assert response.mimetype == "application/problem+json"
    assert _communications(world) == 0
    assert _first_response(world, world.requirement_b).status == SlaStatus.RUNNING


def test_the_assignee_and_admin_may_link_and_meet_the_clock(world: World) -> None:
    assert _log(world, "agent_b", world.requirement_b).status_code == 201
    assert _first_response(world, world.requirement_b).status == SlaStatus.MET
    assert _log(world, "admin", world.requirement_a).status_code == 201
    assert _first_response(world, world.requirement_a).status == SlaStatus.MET


def test_an_inbound_message_cannot_move_another_teams_state(world: World) -> None:
    with world.app.app_context():
        clock = current_clock()
        req = db.session.get(Requirement, world.requirement_b)
        owner = world.users["agent_b"]
        for trigger in ("assign", "ask_customer"):
            requirements.fire(db.session, req, trigger, actor=db.session.merge(owner), clock=clock)
        db.session.commit()
    response = _log(world, "agent", world.requirement_b, direction="inbound")
    assert response.status_code == 403
    with world.app.app_context():
        assert db.session.get(Requirement, world.requirement_b).state == "waiting_on_customer"


def test_an_agent_cannot_move_a_record_onto_another_teams_requirement(world: World) -> None:
    created = _log(world, "agent", world.requirement_a)
    assert created.status_code == 201
    path = f"/communications/{created.get_json()['id']}"
    response = world.api(
        "agent",
        "PATCH",
        path,
        json={"requirement_id": world.requirement_b},
        headers={"If-Match": created.headers["ETag"]},
    )
    assert response.status_code == 403
    with world.app.app_context():
        record = db.session.get(Communication, created.get_json()["id"])
        assert record.requirement_id == world.requirement_a
