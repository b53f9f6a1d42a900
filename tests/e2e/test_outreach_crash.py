"""A real Celery worker SIGKILLed while it sends a strategy's messages, and a new one started,
as a supervisor would: with production's visibility timeout (an hour, so nothing waits for Redis
to redeliver the killed task), the leases and beat's sweeps bring the work back. Every
enrolment's message reaches the SMTP server; none is lost, and the only duplicate possible is
the one message the killed worker had in flight, with the same Message-ID. Each customer still
has exactly one communication for the step (the killed transaction left nothing behind)."""

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from models import (
    Communication,
    DueStep,
    DueStepStatus,
    Enrolment,
    OutboxMessage,
    OutboxStatus,
    StrategyStatus,
)
from tests.e2e.deployment import Deployment
from tests.outreach_helpers import make_customers, make_strategy
from tests.services import wait_until
from web.extensions import db
from workflows.outreach import activation, due_steps, execution, planning
from workflows.platform import outbox
from workflows.platform.clock import ManualClock, SystemClock
from workflows.platform.publishing import take_pending

CUSTOMERS = 300
KILL_AFTER = 40  # messages at the server when the worker is killed
AHEAD = timedelta(hours=1)
ALWAYS = {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}


def _enrol(app: Flask, due: datetime) -> tuple[int, set[str]]:
    """A one-step email strategy on CUSTOMERS customers, each enrolled with the step due at
    `due`; returns the strategy and the Message-IDs its messages must carry."""
    clock = ManualClock(due)
    with app.app_context():
        make_customers(db.session, clock, CUSTOMERS, tag="crash")
        strategy = make_strategy(
            db.session,
            clock,
            tag="crash",
            steps=[
                {
                    "channel": "email",
                    "subject": "Hello {{ customer.first_name }}",
                    "body": "News for {{ customer.name }}. {{ unsubscribe_url }}",
                    "delay": {"amount": 0, "unit": "calendar_days"},
                }
            ],
            window=ALWAYS,
            caps={"per_customer_per_week": 10, "per_channel_per_minute": 100_000},
        )
        strategy.status = StrategyStatus.ACTIVE  # enrolled here, not by a task
        take_pending(db.session)
        audience = activation.audience_ids(db.session, strategy, clock=clock)
        counts = planning.enrol(db.session, strategy, audience, clock=clock)
        db.session.commit()
        assert counts["enrolled"] == CUSTOMERS
        strategy_id = strategy.id
        enrolments = db.session.scalars(
            select(Enrolment.id).where(Enrolment.strategy_id == strategy_id)
        ).all()
        expected = {
            outbox.message_id_of(db.session, execution.outbox_key(strategy_id, e, 0, "-"))
            for e in enrolments
        }
    return strategy_id, expected


def _sent(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT)
        )


def test_a_worker_killed_mid_send_loses_no_strategy_message_and_repeats_at_most_one(
    app: Flask, deployment: Callable[..., Deployment], mailbox: Any
) -> None:
    deployed = deployment()
    deployed.env["RAPPORT_VISIBILITY_TIMEOUT"] = "3600"  # the default: recovery is the sweeps'
    deployed.env["RAPPORT_OUTREACH_PLAN_INTERVAL"] = "2"  # beat releases expired step leases
    due = SystemClock().now() + AHEAD
    strategy_id, expected = _enrol(app, due)
    doomed = deployed.start_worker("doomed-worker")
    deployed.start_clock()
    deployed.start_beat()
    deployed.move_time_to(due + timedelta(seconds=1))  # every first step falls due

    wait_until(lambda: len(mailbox.received()) >= KILL_AFTER, timeout=90, interval=0.005)
    doomed.kill()  # SIGKILL, to its whole process group
    at_kill = len(mailbox.received())
    assert at_kill < CUSTOMERS, "the sending was over before the kill; nothing was tested"
    deployed.start_worker("worker")  # restarted at once
    # Steps the killed worker had claimed stay leased for due_steps.LEASE (two minutes): the
    # shared clock moves past it instead of the test waiting, and beat's plan releases them.
    deployed.advance(due_steps.LEASE + timedelta(seconds=1))

    wait_until(lambda: _sent(app) == CUSTOMERS, timeout=120, interval=0.2)
    time.sleep(0.3)  # the SMTP handler may still be recording the last answer
    with app.app_context():
        keys = db.session.scalars(select(OutboxMessage.message_id)).all()
        assert set(keys) == expected and len(keys) == CUSTOMERS  # one row per enrolment
        per_customer = Counter(
            db.session.scalars(
                select(Communication.customer_id).where(Communication.strategy_id == strategy_id)
            )
        )
        assert len(per_customer) == CUSTOMERS and set(per_customer.values()) == {1}
        assert set(db.session.scalars(select(DueStep.status))) == {DueStepStatus.DONE}
    # Every row is `sent` now, so nothing can be sent again: what arrived is final.
    arrivals = mailbox.arrivals()
    delivered = Counter(message["Message-ID"] for _, message in arrivals)
    assert set(delivered) == expected  # none lost
    repeated = {message_id: n for message_id, n in delivered.items() if n > 1}
    assert len(repeated) <= 1 and set(repeated.values()) <= {2}  # one connection was killed
    for message_id in repeated:  # the same message twice, recognisable by its Message-ID
        copies = [m for _, m in arrivals if m["Message-ID"] == message_id]
        assert copies[0]["To"] == copies[1]["To"]
        assert copies[0]["Subject"] == copies[1]["Subject"]
    print(f"killed after {at_kill} of {CUSTOMERS}; repeated {len(repeated)}")
