"""The queues' SLA-status filter: breached, at risk, due today (the viewer's day) and paused, at
the app's clock."""

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from models import Role
from tests.integration.test_customer_pages import text_of
from tests.integration.test_requirement_pages import START, World, form_values, row_ids
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
