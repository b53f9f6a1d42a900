"""The leases of outreach due steps, on the injectable clock: a worker that starts a chunk holds
it for RUNNING_LEASE only, beat's sweep (every SWEEP_INTERVAL, as timers') releases a dead
worker's chunk seconds later, and a worker that is merely slow — its lease lapsed, the chunk
claimed and run again — sends nothing twice."""

from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import func, select, update

from models import Communication, DueStep, DueStepStatus, OutboxMessage
from tests.integration.test_outreach_planning import SETTINGS, _activate, _emails, _tick
from tests.outreach_helpers import make_customers, make_strategy
from web.config import celery_settings
from web.extensions import db
from workflows.outreach import due_steps
from workflows.platform.clock import ManualClock
from workflows.tracking import timers

ALWAYS = {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}
CUSTOMERS = 4


def _claimed(clock: ManualClock) -> list[int]:
    make_customers(db.session, clock, CUSTOMERS)
    strategy = make_strategy(db.session, clock, window=ALWAYS)
    _activate(strategy, clock)
    ids = due_steps.claim_due(db.session, clock=clock)
    db.session.commit()
    assert len(ids) == CUSTOMERS
    return ids


def _leases(ids: list[int]) -> set[datetime | None]:
    return set(
        db.session.scalars(
            select(DueStep.lease_until)
            .where(DueStep.id.in_(ids))
            .execution_options(populate_existing=True)
        )
    )


def _statuses(ids: list[int]) -> set[DueStepStatus]:
    return set(
        db.session.scalars(
            select(DueStep.status)
            .where(DueStep.id.in_(ids))
            .execution_options(populate_existing=True)
        )
    )


def test_holding_a_chunk_shortens_its_lease_to_the_running_lease(in_app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    ids = _claimed(clock)
    assert _leases(ids) == {clock.now() + due_steps.LEASE}  # waiting in the broker
    clock.advance(timedelta(seconds=3))
    assert due_steps.hold(db.session, ids, clock=clock) == CUSTOMERS
    db.session.commit()
    assert due_steps.RUNNING_LEASE == timers.RUNNING_LEASE == timedelta(seconds=5)
    assert _leases(ids) == {clock.now() + due_steps.RUNNING_LEASE}
    # Rows no longer claimed are not held: a late message cannot give a done step a lease.
    due_steps.fire_batch(db.session, ids, clock=clock, settings=SETTINGS)
    db.session.commit()
    assert due_steps.hold(db.session, ids, clock=clock) == 0
    assert due_steps.hold(db.session, [], clock=clock) == 0


def test_the_sweep_releases_a_dead_workers_chunk_seconds_after_it_started(in_app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    ids = _claimed(clock)
    due_steps.hold(db.session, ids, clock=clock)
    db.session.commit()
    # The worker executes the chunk but dies before its commit: nothing of it remains.
    due_steps.fire_batch(db.session, ids, clock=clock, settings=SETTINGS)
    db.session.rollback()
    assert _emails() == []
    assert _statuses(ids) == {DueStepStatus.ENQUEUED}
    clock.advance(due_steps.RUNNING_LEASE - timedelta(seconds=1))
    assert due_steps.release_expired_leases(db.session, clock=clock) == 0  # still running
    clock.advance(timedelta(seconds=2))  # not LEASE (two minutes): RUNNING_LEASE
    assert due_steps.release_expired_leases(db.session, clock=clock) == CUSTOMERS
    db.session.commit()
    assert _statuses(ids) == {DueStepStatus.PENDING}
    assert _tick(clock).get("sent") == CUSTOMERS
    assert len(_emails()) == CUSTOMERS


def test_a_slow_worker_whose_lease_lapsed_and_the_second_runner_send_once(
    in_app: Flask,
) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    ids = _claimed(clock)
    due_steps.hold(db.session, ids, clock=clock)  # worker A starts the chunk ...
    db.session.commit()
    clock.advance(due_steps.RUNNING_LEASE + timedelta(seconds=1))  # ... and stalls
    assert due_steps.release_expired_leases(db.session, clock=clock) == CUSTOMERS  # beat
    db.session.commit()
    again = due_steps.claim_due(db.session, clock=clock)  # the clock claims the chunk again
    db.session.commit()
    assert again == ids
    assert due_steps.hold(db.session, again, clock=clock) == CUSTOMERS  # worker B starts it
    db.session.commit()

    slow = due_steps.fire_batch(db.session, ids, clock=clock, settings=SETTINGS)  # A wakes up
    db.session.commit()
    assert slow.get("sent") == CUSTOMERS
    second = due_steps.fire_batch(db.session, again, clock=clock, settings=SETTINGS)  # then B
    db.session.commit()
    assert second == {"skipped": CUSTOMERS, "failed": 0}  # its compare-and-set found them done
    assert due_steps.release_expired_leases(db.session, clock=clock) == 0
    assert _statuses(ids) == {DueStepStatus.DONE}

    # Even a step executed again (its row forced back to enqueued) writes no second message:
    # the `sent` event and the outbox key, with the variant stored on the row, are the same.
    db.session.execute(
        update(DueStep).where(DueStep.id.in_(ids)).values(status=DueStepStatus.ENQUEUED)
    )
    db.session.commit()
    third = due_steps.fire_batch(db.session, ids, clock=clock, settings=SETTINGS)
    db.session.commit()
    assert third.get("sent") is None and third["failed"] == 0
    keys = [message.idempotency_key for message in _emails()]
    assert len(keys) == len(set(keys)) == CUSTOMERS
    assert db.session.scalar(select(func.count()).select_from(Communication)) == CUSTOMERS
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == CUSTOMERS


def test_beat_sweeps_due_step_leases_as_often_as_timer_leases() -> None:
    config = {"REDIS_URL": "redis://x", "VISIBILITY_TIMEOUT": 5, "SWEEP_INTERVAL": 2.0}
    config.update(OUTREACH_PLAN_INTERVAL=60.0, OUTREACH_SPLIT_INTERVAL=3600.0, CELERY={})
    config["ATTACHMENTS_SWEEP_INTERVAL"] = 3600.0
    schedule = celery_settings(config)["beat_schedule"]
    assert schedule["outreach-sweep"] == {"task": "outreach.sweep", "schedule": 2.0}
    assert schedule["outreach-sweep"]["schedule"] == schedule["timers-sweep"]["schedule"]
