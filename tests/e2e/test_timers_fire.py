"""End to end: the real clock process claims due timers, a real Celery worker fires them through
Redis, and each notice reaches the SMTP server exactly once. Time moves with the shared offset
clock, so nothing sleeps for days."""

from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from flask import Flask
from sqlalchemy import select

from models import OutboxMessage, OutboxStatus, Requirement, Role, Timer, TimerStatus, User
from tests.services import wait_until
from web.clocks import OFFSET_KEY, current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.platform.clock import Clock, ManualClock
from workflows.tracking import requirements, timers


def _waiting_requirement(app: Flask, make_user: Any, clock: Clock | None = None) -> int:
    agent_id = make_user(Role.AGENT).id
    with app.app_context():
        clock = clock or current_clock()
        agent = db.session.get(User, agent_id)
        customer = profiles.create_customer(
            db.session,
            {"name": "Ana Lima", "emails": "ana@example.com"},
            actor_id=agent_id,
            clock=clock,
        )
        req = requirements.open_requirement(
            db.session,
            customer_id=customer.id,
            title="Invoice missing",
            clock=clock,
            actor=agent,
            assignee_id=agent_id,
        )
        requirements.fire(db.session, req, "assign", actor=agent, clock=clock)
        requirements.fire(db.session, req, "ask_customer", actor=agent, clock=clock)
        db.session.commit()
        return req.id


def _move_time(app: Flask, delta: timedelta) -> None:
    redis.Redis.from_url(app.config["REDIS_URL"]).set(OFFSET_KEY, delta.total_seconds())


def _timer_statuses(app: Flask, requirement_id: int) -> dict[str, TimerStatus]:
    with app.app_context():
        rows = db.session.scalars(
            select(Timer).where(Timer.requirement_id == requirement_id).order_by(Timer.id)
        )
        return {f"{t.kind}@{t.state_seq}": t.status for t in rows}


def _sent(app: Flask) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.SENT)
            ).all()
        )


def test_reminders_and_auto_resolve_fire_once_each(
    app: Flask, make_user: Any, worker: Any, clock_process: Any, mailbox: Any
) -> None:
    requirement_id = _waiting_requirement(app, make_user)

    _move_time(app, timedelta(days=2, seconds=1))
    wait_until(lambda: len(mailbox.received()) >= 1, timeout=15)
    assert _timer_statuses(app, requirement_id)["customer_reminder_1@2"] == TimerStatus.FIRED

    _move_time(app, timedelta(days=7, seconds=1))
    wait_until(lambda: len(mailbox.received()) >= 3, timeout=15)
    wait_until(lambda: _sent(app) == 3, timeout=15)

    subjects = sorted(m["Subject"] for m in mailbox.received())
    assert subjects == [
        "Still waiting for your reply: Invoice missing",
        "We are waiting for your reply: Invoice missing",
        "We consider your request resolved: Invoice missing",
    ]
    ids = [m["Message-ID"] for m in mailbox.received()]
    assert len(set(ids)) == 3
    with app.app_context():
        req = db.session.get(Requirement, requirement_id)
        assert req.state == "resolved"
    statuses = _timer_statuses(app, requirement_id)
    assert statuses["auto_resolve@2"] == TimerStatus.FIRED
    assert statuses["auto_close@3"] == TimerStatus.PENDING  # planned on entering resolved


def _far_future() -> ManualClock:
    """In-process tests run beside the session's real clock process: timers they plan in the far
    future are never due for it, only for the test's own clock."""
    return ManualClock(datetime(2099, 1, 5, 9, tzinfo=UTC))


def test_a_fired_batch_delivered_twice_has_one_effect(in_app: Flask, make_user: Any) -> None:
    clock = _far_future()
    requirement_id = _waiting_requirement(in_app, make_user, clock)
    clock.advance(timedelta(days=2, seconds=1))
    ids = timers.claim_due(db.session, clock=clock)
    db.session.commit()
    assert len(ids) == 1
    first = timers.fire_batch(db.session, ids, clock=clock)
    second = timers.fire_batch(db.session, ids, clock=clock)
    db.session.commit()
    assert (first["fired"], second["fired"], second["skipped"]) == (1, 0, 1)
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert [r.idempotency_key for r in rows] == [f"timer:{ids[0]}"]
    assert db.session.get(Requirement, requirement_id).state == "waiting_on_customer"


def test_a_timer_racing_a_state_change_is_stale_and_sends_nothing(
    in_app: Flask, make_user: Any
) -> None:
    clock = _far_future()
    requirement_id = _waiting_requirement(in_app, make_user, clock)
    clock.advance(timedelta(days=2, seconds=1))
    ids = timers.claim_due(db.session, clock=clock)  # claimed, about to be fired …
    db.session.commit()
    req = db.session.get(Requirement, requirement_id)
    agent = db.session.get(User, req.assignee_id)
    requirements.fire(db.session, req, "customer_replied", actor=agent, clock=clock)  # … but
    db.session.commit()
    outcome = timers.fire_batch(db.session, ids, clock=clock)
    db.session.commit()
    assert outcome["stale"] == 1
    assert db.session.scalars(select(OutboxMessage)).all() == []
    assert db.session.get(Timer, ids[0]).status == TimerStatus.STALE


def test_an_expired_lease_is_released_and_claimed_again(in_app: Flask, make_user: Any) -> None:
    clock = _far_future()
    _waiting_requirement(in_app, make_user, clock)
    clock.advance(timedelta(days=2, seconds=1))
    ids = timers.claim_due(db.session, clock=clock)
    db.session.commit()
    assert timers.claim_due(db.session, clock=clock) == []  # leased: nobody else takes it
    assert timers.release_expired_leases(db.session, clock=clock) == 0
    clock.advance(timers.LEASE + timedelta(seconds=1))
    assert timers.release_expired_leases(db.session, clock=clock) == 1
    assert timers.claim_due(db.session, clock=clock) == ids
