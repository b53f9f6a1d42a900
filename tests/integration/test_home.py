"""The home page per role: an agent's own work by SLA urgency, waiting on the customer and
just written on by the customer; a supervisor's backlog, breaches today, unassigned work and
each agent's load, each linking into the queue filtered to match."""

import re
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from models import Customer, Role
from tests.integration.test_customer_pages import text_of
from tests.integration.test_requirement_pages import START, World
from web.extensions import db
from workflows.platform.clock import ManualClock
from workflows.tracking import conversations


@pytest.fixture
def world(app: Flask, make_user: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    clock = ManualClock(START)
    monkeypatch.setitem(app.extensions, "clock", clock)
    users = {
        "agent": make_user(Role.AGENT, name="Alma Agent"),
        "colleague": make_user(Role.AGENT, name="Carl Colleague"),
        "outsider": make_user(Role.AGENT, name="Otto Outsider"),
        "lead": make_user(Role.SUPERVISOR, name="Lena Lead"),
    }
    world = World(app, clock, users)
    world.policy({"normal": {"first_response": 3600, "resolution": 6 * 3600}}, warning_percent=50)
    return world


def section(html: str, section_id: str) -> str:
    match = re.search(rf'<article id="{section_id}">(.*?)</article>', html, re.S)
    assert match, section_id
    return match.group(1)


def count_in(html: str, section_id: str) -> int:
    match = re.search(r"<span class=\"stat\" data-count>(\d+)</span>", section(html, section_id))
    assert match, section_id
    return int(match.group(1))


def test_an_agent_sees_own_work_by_urgency_waiting_and_customer_replies(world: World) -> None:
    agent = world.users["agent"].id
    breached = world.open("Breached one", assignee_id=agent, by="lead")
    world.clock.advance(timedelta(minutes=40))  # past the 50 % warning of the hour
    at_risk = world.open("At risk one", assignee_id=agent, by="lead")
    world.clock.advance(timedelta(minutes=25))
    world.run_due_timers()  # the first one breaches, the second warns
    world.clock.advance(timedelta(minutes=10))
    world.run_due_timers()
    due_today = world.open("Due today", assignee_id=agent, by="lead")
    waiting = world.open("Waiting one", assignee_id=agent, by="lead")
    world.fire(waiting, "assign", "start", "ask_customer")
    world.open("Someone else's", assignee_id=world.users["colleague"].id, by="lead")
    with world.app.app_context():
        conversations.log_communication(
            db.session,
            db.session.get(Customer, world.customer),
            {
                "channel": "email",
                "direction": "inbound",
                "body": "Any news?",
                "requirement_id": due_today,
            },
            actor_id=None,
            clock=world.clock,
        )
        db.session.commit()

    html = text_of(world.client("agent").get("/"))
    assert f"#{breached} Breached one" in section(html, "mine-breached")
    assert count_in(html, "mine-breached") == 1
    assert f"#{at_risk} At risk one" in section(html, "mine-at_risk")
    assert f"#{due_today} Due today" in section(html, "mine-due_today")
    assert "Someone else" not in html
    assert f"#{waiting} Waiting one" in section(html, "mine-waiting")
    assert "queue=mine&amp;state=waiting_on_customer" in section(html, "mine-waiting")
    assert f"#{due_today} Due today" in section(html, "mine-customer-wrote")
    assert count_in(html, "mine-customer-wrote") == 1
    assert 'id="team-work"' not in html  # agents see their own work only


def test_a_supervisor_sees_backlog_breaches_today_unassigned_and_load(world: World) -> None:
    users = world.users
    for n in range(3):
        world.open(f"Agent's {n}", assignee_id=users["agent"].id, by="lead")
    unassigned = world.open("Nobody has it", by="lead")
    world.open("Other team", team_id=world.other_team, assignee_id=users["outsider"].id)
    world.clock.advance(timedelta(hours=2))
    world.run_due_timers()

    html = text_of(world.client("lead").get("/"))
    assert count_in(html, "team-backlog") == 4  # the team led; not the other team's
    assert count_in(html, "team-breaches-today") == 4  # first responses missed today
    assert f"#{unassigned} Nobody has it" in section(html, "team-unassigned")
    assert "queue=team&amp;assignee=none" in section(html, "team-unassigned")
    loads = re.findall(
        r'<tr data-user="(\d+)"><th scope="row"><a href="[^"]*assignee=\d+">([^<]+)</a></th>\s*'
        r"<td>(\d+)</td><td>(\d+)</td>",
        html,
    )
    assert [(name, int(o), int(b)) for _, name, o, b in loads] == [
        ("Alma Agent", 3, 3),
        ("Carl Colleague", 0, 0),
        ("Lena Lead", 0, 0),
    ]


def test_a_supervisor_sees_an_overdue_clock_in_the_load_before_its_breach_is_recorded(
    world: World,
) -> None:
    users = world.users
    world.open("Late", assignee_id=users["agent"].id, by="lead")
    world.open("On time later", assignee_id=users["agent"].id, by="lead")
    world.open("Nobody has it", by="lead")
    world.open("Nor this", by="lead")
    world.clock.advance(timedelta(minutes=30))
    world.open("Fresh", assignee_id=users["agent"].id, by="lead")  # due in an hour from now
    world.clock.advance(timedelta(minutes=40))  # the first two are past due; no timer has run

    html = text_of(world.client("lead").get("/"))
    assert count_in(html, "team-unassigned") == 2
    assert count_in(html, "team-breaches-today") == 0  # not recorded yet
    loads = re.findall(
        r'<tr data-user="\d+"><th scope="row"><a [^>]*>([^<]+)</a></th>\s*'
        r"<td>(\d+)</td><td>(\d+)</td>",
        html,
    )
    assert ("Alma Agent", "3", "2") in loads
