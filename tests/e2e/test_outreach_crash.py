"""A real Celery worker SIGKILLed in the middle of a chunk of a strategy's due steps, and a new
one started, as a supervisor would: with production's visibility timeout (an hour, so nothing
waits for Redis to redeliver the killed task), the short running lease the worker took when it
started the chunk and beat's sweep (every SWEEP_INTERVAL) bring the chunk back within seconds,
not after the two minutes of the claim's lease. Every enrolment's message reaches the SMTP
server; none is lost, and the only duplicate possible is the one message the killed worker had
in flight, with the same Message-ID. Each customer still has exactly one communication for the
step (the killed transaction left nothing behind). The test prints the measured silence."""

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
AHEAD = timedelta(hours=1)
# Recovery must not wait for the claim's lease (two minutes): the killed chunk's first message
# arrives within this many seconds of the kill (measured ~10 s; generous for a shared machine).
RECOVERED_WITHIN = 60.0
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


def _held_steps(app: Flask, before: datetime) -> list[tuple[int, int]]:
    """(due step, enrolment) of the chunk a worker is running: claimed, with the short lease it
    took when it started the chunk (a claim waiting in the broker has the two-minute lease)."""
    with app.app_context():
        rows = db.session.execute(
            select(DueStep.id, DueStep.enrolment_id).where(
                DueStep.status == DueStepStatus.ENQUEUED, DueStep.lease_until < before
            )
        ).all()
        db.session.rollback()
    return [(row[0], row[1]) for row in rows]


def test_a_worker_killed_mid_batch_loses_no_strategy_message_and_recovers_in_seconds(
    app: Flask, deployment: Callable[..., Deployment], mailbox: Any
) -> None:
    deployed = deployment()
    deployed.env["RAPPORT_VISIBILITY_TIMEOUT"] = "3600"  # the default: recovery is the sweeps'
    due = SystemClock().now() + AHEAD
    strategy_id, expected = _enrol(app, due)
    doomed = deployed.start_worker("doomed-worker")
    deployed.start_clock()
    deployed.start_beat()
    deployed.move_time_to(due + timedelta(seconds=1))  # every first step falls due

    # Kill the worker while it runs a chunk: its steps carry the running lease (seconds), not
    # the claim's (two minutes), and their messages are not written yet.
    running = due + timedelta(seconds=1) + (due_steps.LEASE - due_steps.RUNNING_LEASE) / 2
    held: list[tuple[int, int]] = []

    def chunk_running() -> bool:
        held[:] = _held_steps(app, running)
        return bool(held)

    wait_until(chunk_running, timeout=90, interval=0.005)
    doomed.kill()  # SIGKILL, to its whole process group
    killed_at = time.time()
    at_kill = len(mailbox.received())
    assert at_kill < CUSTOMERS, "the sending was over before the kill; nothing was tested"
    deployed.start_worker("worker")  # restarted at once; time is not moved: recovery is real
    ready_after = time.time() - killed_at
    # The sweep releases the chunk once its running lease is over and the clock claims it again
    # (with the claim's long lease): no step of it is left running.
    wait_until(lambda: not _held_steps(app, running), timeout=RECOVERED_WITHIN, interval=0.05)
    released_after = time.time() - killed_at
    with app.app_context():
        held_ids = {
            outbox.message_id_of(db.session, execution.outbox_key(strategy_id, enrolment, 0, "-"))
            for _, enrolment in held
        }
    assert held_ids <= expected

    wait_until(lambda: _sent(app) == CUSTOMERS, timeout=150, interval=0.2)
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

    # The killed chunk came back on the running lease and the sweep, not the claim's lease.
    chunk = sorted(at - killed_at for at, m in arrivals if m["Message-ID"] in held_ids)
    later = sorted(at for at, _ in arrivals if at >= killed_at)
    gaps = [b - a for a, b in zip([killed_at, *later], later, strict=False)]
    print(
        f"killed mid-chunk ({len(held)} steps held, {at_kill} of {CUSTOMERS} delivered); "
        f"worker ready again after {ready_after:.1f} s; chunk released and claimed again "
        f"{released_after:.1f} s after the kill; its first message {chunk[0]:.1f} s after "
        f"the kill, its last {chunk[-1]:.1f} s; "
        f"longest silence at the SMTP server after the kill {max(gaps):.1f} s; "
        f"repeated {len(repeated)}"
    )
    assert released_after < RECOVERED_WITHIN and chunk[0] < RECOVERED_WITHIN
