"""The history flags the support report's reopen rate reads (`was_resolved`, `was_reopened`):
set by the transition that makes them true, kept afterwards, and what
`requirements.refresh_history_flags` recomputes from the events."""

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import update

from models import Requirement, Role, User
from web.extensions import db
from workflows.customers import profiles
from workflows.platform.clock import ManualClock
from workflows.tracking import requirements


def _flags(req: Requirement) -> tuple[bool, bool]:
    db.session.refresh(req)
    return req.was_resolved, req.was_reopened


def test_flags_follow_the_transitions_and_the_refresh_agrees(in_app: Flask, make_user: Any) -> None:
    clock = ManualClock(datetime(2099, 2, 5, 9, tzinfo=UTC))
    agent = db.session.get(User, make_user(Role.AGENT).id)
    customer = profiles.create_customer(db.session, {"name": "Flag"}, actor_id=None, clock=clock)
    req = requirements.open_requirement(
        db.session,
        customer_id=customer.id,
        title="Flags",
        workflow="support",
        clock=clock,
        actor=agent,
        assignee_id=agent.id,
    )
    untouched = requirements.open_requirement(
        db.session,
        customer_id=customer.id,
        title="Never resolved",
        workflow="support",
        clock=clock,
        actor=agent,
        assignee_id=agent.id,
    )
    db.session.commit()
    assert _flags(req) == (False, False)
    requirements.fire(db.session, req, "assign", actor=agent, clock=clock)
    requirements.fire(db.session, req, "resolve", actor=agent, clock=clock, note="done")
    db.session.commit()
    assert _flags(req) == (True, False)
    clock.advance(timedelta(days=1))
    requirements.fire(db.session, req, "reopen", actor=agent, clock=clock)
    db.session.commit()
    # Reopened and open again: it was resolved once, and that stays.
    assert _flags(req) == (True, True)

    db.session.execute(
        update(Requirement)
        .where(Requirement.id.in_([req.id, untouched.id]))
        .values(was_resolved=True, was_reopened=True)
    )
    requirements.refresh_history_flags(db.session, [req.id, untouched.id])
    db.session.commit()
    assert _flags(req) == (True, True)
    assert _flags(untouched) == (False, False)
