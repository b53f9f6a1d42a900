"""`workflows.tracking.timers.fire_batch` on the real database: the whole batch is taken with one
compare-and-set and its notices written with one INSERT, yet each timer still fires once, a
timer whose requirement moved on is stale, a bad timer fails alone and sends publish only after
commit."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from models import OutboxMessage, Requirement, Role, Timer, TimerStatus, User
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import outbox
from workflows.platform.clock import ManualClock
from workflows.platform.publishing import take_pending
from workflows.tracking import requirements, timers


@pytest.fixture
def waiting(in_app: Flask, make_user: Any) -> dict[str, Any]:
    """Three support requirements waiting on one customer, with their reminder timers planned.
    Far in the future: the session's real clock process (if running) never finds them due."""
    clock = ManualClock(datetime(2099, 1, 5, 9, tzinfo=UTC))
    agent = db.session.get(User, make_user(Role.AGENT).id)
    customer = profiles.create_customer(
        db.session, {"name": "Ana Lima", "emails": "ana@example.com"}, actor_id=None, clock=clock
    )
    ids = []
    for n in range(3):
        req = requirements.open_requirement(
            db.session,
            customer_id=customer.id,
            title=f"Invoice {n}",
            clock=clock,
            actor=agent,
            assignee_id=agent.id,
        )
        requirements.fire(db.session, req, "assign", actor=agent, clock=clock)
        requirements.fire(db.session, req, "ask_customer", actor=agent, clock=clock)
        ids.append(req.id)
    db.session.commit()
    return {"clock": clock, "requirement_ids": ids}


def _claim(clock: ManualClock, after: timedelta) -> list[int]:
    clock.advance(after)
    ids = timers.claim_due(db.session, clock=clock)
    db.session.commit()
    return ids


def _keys() -> list[str]:
    return sorted(db.session.scalars(select(OutboxMessage.idempotency_key)))


def test_a_batch_fires_each_timer_once_and_publishes_its_sends_after_commit(
    waiting: dict[str, Any],
) -> None:
    ids = _claim(waiting["clock"], timedelta(days=2, seconds=1))
    assert len(ids) == 3

    first = timers.fire_batch(db.session, ids, clock=waiting["clock"])
    pending = take_pending(db.session)  # what the commit would publish
    db.session.commit()
    again = timers.fire_batch(db.session, ids, clock=waiting["clock"])
    db.session.commit()

    assert first == {"fired": 3, "stale": 0, "skipped": 0, "failed": 0}
    assert again == {"fired": 0, "stale": 0, "skipped": 3, "failed": 0}
    assert _keys() == sorted(f"timer:{timer_id}" for timer_id in ids)
    message_ids = sorted(db.session.scalars(select(OutboxMessage.id)))
    assert [(name, sorted(args[0])) for name, args in pending] == [
        (outbox.SEND_BATCH_TASK, message_ids)
    ]
    assert {db.session.get(Timer, timer_id).status for timer_id in ids} == {TimerStatus.FIRED}


def test_a_rolled_back_batch_publishes_nothing(waiting: dict[str, Any]) -> None:
    ids = _claim(waiting["clock"], timedelta(days=2, seconds=1))
    timers.fire_batch(db.session, ids, clock=waiting["clock"])
    db.session.rollback()
    assert take_pending(db.session) == []
    assert _keys() == []


def test_a_bad_timer_fails_alone_and_goes_back_to_pending(waiting: dict[str, Any]) -> None:
    ids = _claim(waiting["clock"], timedelta(days=2, seconds=1))
    bad = db.session.get(Timer, ids[1])
    bad.trigger = "auto_close"  # refused from waiting_on_customer: firing it raises
    db.session.commit()
    errors: list[int] = []

    outcome = timers.fire_batch(
        db.session, ids, clock=waiting["clock"], on_error=lambda i, _exc: errors.append(i)
    )
    pending = take_pending(db.session)
    db.session.commit()

    assert outcome == {"fired": 2, "stale": 0, "skipped": 0, "failed": 1}
    assert errors == [ids[1]]
    assert _keys() == sorted(f"timer:{i}" for i in (ids[0], ids[2]))
    assert [name for name, _args in pending] == [outbox.SEND_BATCH_TASK]
    assert len(pending[0][1][0]) == 2
    db.session.expire_all()
    bad = db.session.get(Timer, ids[1])
    assert bad.status == TimerStatus.PENDING  # retried later, with a backoff
    assert bad.last_error.startswith("TransitionRefused")
    assert bad.due_at > waiting["clock"].now()
    assert [db.session.get(Timer, i).status for i in (ids[0], ids[2])] == [TimerStatus.FIRED] * 2


def test_a_transition_in_the_batch_makes_later_timers_of_its_requirement_stale(
    waiting: dict[str, Any],
) -> None:
    requirement_id = waiting["requirement_ids"][0]
    requirement = db.session.get(Requirement, requirement_id)
    late = Timer(  # planned for the same state, written after auto_resolve: fires after it
        requirement_id=requirement_id,
        kind="follow_up",
        expected_state=requirement.state,
        state_seq=requirement.state_seq,
        due_at=waiting["clock"].now() + timedelta(days=7),
        status=TimerStatus.PENDING,
        attempts=0,
    )
    db.session.add(late)
    db.session.commit()
    ids = _claim(waiting["clock"], timedelta(days=7, seconds=1))
    mine = [i for i in ids if db.session.get(Timer, i).requirement_id == requirement_id]

    outcome = timers.fire_batch(db.session, mine, clock=waiting["clock"])
    db.session.commit()

    # reminder 1, reminder 2, auto_resolve fire; the follow-up finds the request resolved.
    assert outcome == {"fired": 3, "stale": 1, "skipped": 0, "failed": 0}
    assert db.session.get(Timer, late.id).status == TimerStatus.STALE
    assert f"timer:{late.id}" not in _keys()
    assert len(_keys()) == 3
    db.session.expire_all()
    assert db.session.get(Requirement, requirement_id).state == "resolved"


def test_insert_emails_writes_each_key_once(in_app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 9, tzinfo=UTC))

    def email(key: str) -> outbox.Email:
        return outbox.Email(key, "test", "ana@example.com", "Hello", "Body")

    first = outbox.insert_emails(db.session, [email("k:1"), email("k:2")], clock=clock)
    again = outbox.insert_emails(db.session, [email("k:2"), email("k:3")], clock=clock)
    db.session.commit()

    rows = {r.idempotency_key: r for r in db.session.scalars(select(OutboxMessage))}
    assert sorted(rows) == ["k:1", "k:2", "k:3"]
    assert sorted(first) == sorted([rows["k:1"].id, rows["k:2"].id])
    assert again == [rows["k:3"].id]
    # Named after MAIL_FROM's domain (Rapport <rapport@example.com> in the tests).
    assert rows["k:2"].message_id == outbox.message_id_for("k:2", "example.com")


def test_second_reminders_in_a_batch_name_each_auto_resolve_date(waiting: dict[str, Any]) -> None:
    ids = _claim(waiting["clock"], timedelta(days=5, seconds=1))  # both reminders of each
    outcome = timers.fire_batch(db.session, ids, clock=waiting["clock"])
    db.session.commit()

    assert outcome["fired"] == 6
    rows = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.startswith("Still waiting"))
    ).all()
    # Asked at 2099-01-05 09:00 UTC, auto-resolved 7 days later; the customer has no zone.
    assert [("2099-01-12 09:00:00 UTC" in row.body_text) for row in rows] == [True] * 3
