"""Two planners at once send once: two threads, each with its own session and connection, enrol
the same audience, claim the due steps and fire what they claimed (and what the other claimed)
at the same moment; every customer gets step 1 exactly once. On PostgreSQL the claims skip each
other's locked rows; on SQLite the second writer waits for the first."""

import random
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from models import DueStep, Enrolment, EnrolmentEvent, OutboxMessage, Strategy
from tests.integration.test_outreach_planning import SETTINGS, _transition
from tests.outreach_helpers import make_customers, make_strategy
from web.extensions import db
from workflows.outreach import activation, due_steps, planning
from workflows.platform.clock import ManualClock

CUSTOMERS = 40
ALWAYS_OPEN = {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}


def _both(app: Flask, work: Callable[[int], Any]) -> list[Any]:
    """`work(n)` in two threads started together, each in its own application context (so its
    own session); the results in thread order, or the first error raised."""
    barrier = threading.Barrier(2)
    results: list[Any] = [None, None]
    errors: list[BaseException] = []

    def run(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results[n] = work(n)
                db.session.commit()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_two_planners_at_once_enrol_claim_and_send_once(app: Flask) -> None:
    clock = ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC))
    with app.app_context():
        make_customers(db.session, clock, CUSTOMERS)
        strategy = make_strategy(db.session, clock, window=ALWAYS_OPEN)
        _transition(strategy, "activate", clock)
        db.session.commit()
        strategy_id = strategy.id
        audience = activation.audience_ids(db.session, strategy, clock=clock)
        db.session.remove()
    assert len(audience) == CUSTOMERS

    # Two processes never read the same instant: each planner has its own clock, a microsecond
    # apart (a planner tells the rows it wrote by its instant).
    clocks = [ManualClock(clock.now() + timedelta(microseconds=n)) for n in range(2)]

    def enrol(n: int) -> dict[str, int]:
        strategy = db.session.get(Strategy, strategy_id)
        draw = random.Random(n)  # noqa: S311 - the holdout's draw, not a secret
        return planning.enrol(db.session, strategy, audience, clock=clocks[n], rng=draw)

    counts = _both(app, enrol)
    # Each customer enrolled once, by one of the two (the other finds them enrolled already).
    assert sum(c["enrolled"] + c["holdout"] for c in counts) == CUSTOMERS
    contacted = sum(c["enrolled"] for c in counts)

    claimed = _both(app, lambda n: due_steps.claim_due(db.session, clock=clocks[n]))
    assert not set(claimed[0]) & set(claimed[1])  # no due step claimed by both
    every = sorted(set(claimed[0]) | set(claimed[1]))

    # Both fire every claimed step (a redelivered batch racing the original): one send each.
    _both(
        app,
        lambda n: due_steps.fire_batch(db.session, every, clock=clocks[n], settings=SETTINGS),
    )

    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Enrolment)) == CUSTOMERS
        joined = select(func.count()).where(EnrolmentEvent.kind.in_(("enrolled", "holdout")))
        assert db.session.scalar(joined) == CUSTOMERS  # one "enrolled" event each
        first_steps = db.session.scalar(
            select(func.count()).select_from(DueStep).where(DueStep.step_index == 0)
        )
        assert first_steps == contacted
        keys = list(db.session.scalars(select(OutboxMessage.idempotency_key)))
        addresses = Counter(db.session.scalars(select(OutboxMessage.to_address)))
        db.session.remove()
    assert len(keys) == len(set(keys)) == contacted
    assert set(addresses.values()) == {1}
