"""Both declared workflows through `workflows.tracking.requirements.fire`, with a ManualClock,
on the real database: every transition and guard, events, timers planned and cancelled, who
may act."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from models import Requirement, RequirementEvent, Role, Timer, TimerStatus, User
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import accounts
from workflows.platform.clock import ManualClock
from workflows.tracking import requirements
from workflows.tracking.requirements import NotPermitted, TransitionRefused
from workflows.tracking.sales_workflow import SALES
from workflows.tracking.support_workflow import SUPPORT


@pytest.fixture
def world(in_app: Flask, make_user: Any) -> dict[str, Any]:
    # Far in the future: the session's real clock process (if running) never finds these due.
    clock = ManualClock(datetime(2099, 1, 5, 9, tzinfo=UTC))
    agent = db.session.get(User, make_user(Role.AGENT).id)
    other = db.session.get(User, make_user(Role.AGENT).id)
    supervisor = db.session.get(User, make_user(Role.SUPERVISOR).id)
    admin = db.session.get(User, make_user(Role.ADMIN).id)
    team = accounts.create_team(db.session, "Support", clock=clock)
    accounts.set_team_members(db.session, team, [agent.id, other.id], [supervisor.id])
    customer = profiles.create_customer(db.session, {"name": "Ana"}, actor_id=None, clock=clock)
    db.session.commit()
    return {
        "clock": clock,
        "agent": agent,
        "other": other,
        "supervisor": supervisor,
        "admin": admin,
        "team": team,
        "customer": customer,
    }


def _open(world: dict[str, Any], workflow: str = "support", **kw: Any) -> Requirement:
    kw.setdefault("team_id", world["team"].id)
    req = requirements.open_requirement(
        db.session,
        customer_id=world["customer"].id,
        title="Printer on fire",
        workflow=workflow,
        clock=world["clock"],
        actor=world["agent"],
        **kw,
    )
    db.session.commit()
    return req


def _timers(req: Requirement) -> dict[str, TimerStatus]:
    rows = db.session.scalars(
        select(Timer).where(Timer.requirement_id == req.id).order_by(Timer.id)
    )
    return {f"{t.kind}@{t.state_seq}": t.status for t in rows}


def test_support_happy_path_records_every_event(world: dict[str, Any]) -> None:
    req = _open(world, assignee_id=world["agent"].id)
    agent, clock = world["agent"], world["clock"]
    for trigger in ("assign", "start", "ask_customer", "customer_replied"):
        requirements.fire(db.session, req, trigger, actor=agent, clock=clock)
        clock.advance(timedelta(minutes=5))
    requirements.fire(db.session, req, "resolve", actor=agent, clock=clock, note="Replaced fuser")
    requirements.fire(db.session, req, "close", actor=agent, clock=clock)
    db.session.commit()
    events = db.session.scalars(
        select(RequirementEvent)
        .where(RequirementEvent.requirement_id == req.id)
        .order_by(RequirementEvent.id)
    ).all()
    assert [(e.trigger, e.from_state, e.to_state) for e in events] == [
        ("open", None, "new"),
        ("assign", "new", "open"),
        ("start", "open", "in_progress"),
        ("ask_customer", "in_progress", "waiting_on_customer"),
        ("customer_replied", "waiting_on_customer", "open"),
        ("resolve", "open", "resolved"),
        ("close", "resolved", "closed"),
    ]
    assert all(e.actor_id == agent.id for e in events)
    assert req.state_seq == 6
    assert req.resolution_note == "Replaced fuser"


def test_invalid_trigger_names_the_allowed_ones(world: dict[str, Any]) -> None:
    req = _open(world)
    with pytest.raises(TransitionRefused) as caught:
        requirements.fire(db.session, req, "close", actor=world["agent"], clock=world["clock"])
    assert caught.value.allowed == ["assign", "cancel", "merge"]
    assert "Allowed now: assign, cancel, merge" in str(caught.value)
    assert req.state == "new" and req.state_seq == 0


@pytest.mark.parametrize(
    ("setup", "trigger", "kwargs", "reason"),
    [
        ([], "assign", {}, "Assign someone first."),
        (["assign"], "resolve", {}, "Resolving needs a resolution note."),
        (["assign"], "merge", {"data": {}}, "Name the requirement to merge into."),
        (
            ["assign"],
            "merge",
            {"data": {"merge_into_id": 999_999}},
            "Requirement #999999 is not one of this customer's.",
        ),
    ],
)
def test_guards_refuse_with_a_reason(
    world: dict[str, Any], setup: list[str], trigger: str, kwargs: dict, reason: str
) -> None:
    req = _open(world, assignee_id=world["agent"].id if setup else None)
    for step in setup:
        requirements.fire(db.session, req, step, actor=world["agent"], clock=world["clock"])
    state, seq = req.state, req.state_seq
    with pytest.raises(TransitionRefused) as caught:
        requirements.fire(
            db.session, req, trigger, actor=world["agent"], clock=world["clock"], **kwargs
        )
    assert caught.value.reasons == [reason]
    assert (req.state, req.state_seq) == (state, seq)


def test_reopen_only_within_the_window(world: dict[str, Any]) -> None:
    agent, clock = world["agent"], world["clock"]
    req = _open(world, assignee_id=agent.id)
    requirements.fire(db.session, req, "assign", actor=agent, clock=clock)
    requirements.fire(db.session, req, "resolve", actor=agent, clock=clock, note="done")
    clock.advance(timedelta(days=13))
    requirements.fire(db.session, req, "reopen", actor=agent, clock=clock)
    requirements.fire(db.session, req, "resolve", actor=agent, clock=clock, note="done again")
    clock.advance(timedelta(days=15))
    with pytest.raises(TransitionRefused, match="14 days"):
        requirements.fire(db.session, req, "reopen", actor=agent, clock=clock)


def test_merge_cancel_and_timer_only_triggers(world: dict[str, Any]) -> None:
    agent, clock = world["agent"], world["clock"]
    target, req = _open(world), _open(world)
    requirements.fire(
        db.session, req, "merge", actor=agent, clock=clock, data={"merge_into_id": target.id}
    )
    assert (req.state, req.merged_into_id) == ("merged", target.id)
    requirements.fire(db.session, target, "cancel", actor=agent, clock=clock)
    assert target.state == "cancelled"
    waiting = _open(world, assignee_id=agent.id)
    requirements.fire(db.session, waiting, "assign", actor=agent, clock=clock)
    requirements.fire(db.session, waiting, "ask_customer", actor=agent, clock=clock)
    with pytest.raises(TransitionRefused):  # people cannot fire what only timers may
        requirements.fire(db.session, waiting, "auto_resolve", actor=agent, clock=clock)
    requirements.fire(db.session, waiting, "auto_resolve", actor=None, clock=clock)
    requirements.fire(db.session, waiting, "auto_close", actor=None, clock=clock)
    assert waiting.state == "closed"


def test_entering_a_state_plans_its_timers_and_leaving_cancels_them(
    world: dict[str, Any],
) -> None:
    agent, clock = world["agent"], world["clock"]
    req = _open(world, assignee_id=agent.id)
    requirements.fire(db.session, req, "assign", actor=agent, clock=clock)
    requirements.fire(db.session, req, "ask_customer", actor=agent, clock=clock)
    db.session.commit()
    planned = db.session.scalars(select(Timer).where(Timer.requirement_id == req.id)).all()
    assert {t.kind: t.due_at - clock.now() for t in planned} == {
        "customer_reminder_1": timedelta(days=2),
        "customer_reminder_2": timedelta(days=5),
        "auto_resolve": timedelta(days=7),
    }
    assert {t.expected_state for t in planned} == {"waiting_on_customer"}
    requirements.fire(db.session, req, "customer_replied", actor=agent, clock=clock)
    db.session.commit()
    assert _timers(req) == {
        "customer_reminder_1@2": TimerStatus.CANCELLED,
        "customer_reminder_2@2": TimerStatus.CANCELLED,
        "auto_resolve@2": TimerStatus.CANCELLED,
    }


def test_sales_opportunity_moves_through_its_stages_with_follow_ups(
    world: dict[str, Any],
) -> None:
    agent, clock = world["agent"], world["clock"]
    deal = _open(world, workflow="sales", assignee_id=agent.id)
    assert deal.state == "lead"
    for trigger, state in (
        ("qualify", "qualified"),
        ("propose", "proposal"),
        ("negotiate", "negotiation"),
        ("win", "won"),
    ):
        requirements.fire(db.session, deal, trigger, actor=agent, clock=clock)
        assert deal.state == state
    db.session.commit()
    assert _timers(deal) == {
        "follow_up@0": TimerStatus.CANCELLED,
        "follow_up@1": TimerStatus.CANCELLED,
        "follow_up@2": TimerStatus.CANCELLED,
        "follow_up@3": TimerStatus.CANCELLED,
    }
    lost = _open(world, workflow="sales", assignee_id=agent.id)
    requirements.fire(db.session, lost, "lose", actor=agent, clock=clock)
    assert lost.state == "lost"
    with pytest.raises(TransitionRefused):
        requirements.fire(db.session, lost, "qualify", actor=agent, clock=clock)


def test_only_assignee_team_supervisor_or_admin_may_act(world: dict[str, Any]) -> None:
    req = _open(world, assignee_id=world["agent"].id)
    with pytest.raises(NotPermitted):
        requirements.fire(db.session, req, "assign", actor=world["other"], clock=world["clock"])
    assert requirements.allowed_triggers(db.session, req, world["other"]) == []
    requirements.fire(db.session, req, "assign", actor=world["supervisor"], clock=world["clock"])
    requirements.fire(db.session, req, "start", actor=world["admin"], clock=world["clock"])
    assert req.state == "in_progress"
    unassigned = _open(world)
    assert requirements.allowed_triggers(db.session, unassigned, world["other"]) == [
        "assign",
        "cancel",
        "merge",
    ]


def test_two_concurrent_transitions_one_wins(world: dict[str, Any], in_app: Flask) -> None:
    req = _open(world, assignee_id=world["agent"].id)
    requirement_id, agent_id = req.id, world["agent"].id
    db.session.remove()
    # Both load the same version; on SQLite the writer lock serialises transactions, so the
    # second reads and ends its transaction before the first writes (as two requests would).
    first = Session(db.engine)
    second = Session(db.engine, expire_on_commit=False)
    try:
        b = second.get(Requirement, requirement_id)
        b_actor = second.get(User, agent_id)
        second.commit()
        a = first.get(Requirement, requirement_id)
        requirements.fire(first, a, "assign", actor=first.get(User, agent_id), clock=world["clock"])
        first.commit()
        with pytest.raises(StaleDataError):
            requirements.fire(second, b, "cancel", actor=b_actor, clock=world["clock"])
            second.commit()
    finally:
        first.close()
        second.close()
    assert db.session.get(Requirement, requirement_id).state == "open"


def test_diagrams_are_generated_from_the_declarations() -> None:
    diagram = SUPPORT.diagram()
    assert diagram.startswith("stateDiagram-v2")
    assert "waiting_on_customer --> open: customer_replied" in diagram
    assert "negotiation --> won: win" in SALES.diagram()
