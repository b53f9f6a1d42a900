"""Timers survive what DESIGN.md §5 says they survive: a worker SIGKILLed between the clock's
claim and its own commit, and the broker restarted (empty: every message in it lost) in the
middle of a burst. Each test runs its own Redis, clock and Celery worker on the session's
database and SMTP server; time moves with the offset clock, and the test plays celery beat by
running the sweeps itself once the leases have expired."""

import ast
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, insert, make_url, select, text

from models import OutboxMessage, OutboxStatus, Requirement, Role, Timer, TimerStatus
from tests.e2e.deployment import Deployment
from tests.services import Process, wait_until
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import outbox_delivery
from workflows.platform.clock import SystemClock
from workflows.tracking import timers

# The session's clock process reads a Redis of its own whose offset is zero: timers due an hour
# from now are never due for it, only for the private clock moved an hour ahead.
AHEAD = timedelta(hours=1)
BATCH_OUTCOME = re.compile(r"timers fired: (\{[^}]*\})")
SWEEP_EVERY = 3.0  # seconds between the sweeps the test runs in beat's place
BROKER_DOWN = "clock: Redis or the broker unavailable"


def _seed_follow_ups(
    app: Flask, make_user: Any, count: int, first_due: datetime, spacing: timedelta
) -> list[int]:
    """`count` sales leads, each with a pending follow-up timer whose notice emails the
    assignee; inserted in bulk (as bench/timers.py does). Returns the timer ids in due order."""
    agent_id = make_user(Role.AGENT).id
    clock = SystemClock()
    with app.app_context():
        customer = profiles.create_customer(
            db.session, {"name": "Bulk Lead Ltd"}, actor_id=agent_id, clock=clock
        )
        now = clock.now()
        requirement_ids = db.session.scalars(
            insert(Requirement).returning(Requirement.id, sort_by_parameter_order=True),
            [
                {
                    "customer_id": customer.id,
                    "title": f"Deal {n}",
                    "assignee_id": agent_id,
                    "tags": [],
                    "workflow": "sales",
                    "state": "lead",
                    "state_seq": 0,
                    "extra": {},
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(count)
            ],
        ).all()
        timer_ids = db.session.scalars(
            insert(Timer).returning(Timer.id, sort_by_parameter_order=True),
            [
                {
                    "requirement_id": requirement_id,
                    "kind": "follow_up",
                    "expected_state": "lead",
                    "state_seq": 0,
                    "due_at": first_due + spacing * n,
                    "status": TimerStatus.PENDING,
                }
                for n, requirement_id in enumerate(requirement_ids)
            ],
        ).all()
        db.session.commit()
    return list(timer_ids)


def _statuses(app: Flask) -> Counter[TimerStatus]:
    with app.app_context():
        rows = db.session.execute(select(Timer.status, func.count()).group_by(Timer.status))
        return Counter(dict(rows.all()))


def _attempts(app: Flask) -> Counter[int]:
    with app.app_context():
        rows = db.session.execute(select(Timer.attempts, func.count()).group_by(Timer.attempts))
        return Counter(dict(rows.all()))


def _outbox_sent(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT)
        )


def _batch_outcomes(worker: Process) -> Counter[str]:
    """The sum of what each `timers.fire_batch` this worker ran logged it did."""
    total: Counter[str] = Counter()
    for match in BATCH_OUTCOME.finditer(worker.log_text()):
        total.update(ast.literal_eval(match.group(1)))
    return total


def _assert_each_fired_and_mailed_once(
    app: Flask,
    deployed: Deployment,
    mailbox: Any,
    timer_ids: list[int],
    *,
    sweeping: bool = False,
) -> None:
    """Wait until every timer fired and every notice was sent (running the sweeps every few
    seconds meanwhile if `sweeping`, as beat would), then until the broker is empty, so that
    late redeliveries count too; then check each happened exactly once."""
    count = len(timer_ids)
    last_sweep = time.monotonic()

    def done() -> bool:
        nonlocal last_sweep
        if _statuses(app)[TimerStatus.FIRED] == count and _outbox_sent(app) == count:
            return True
        if sweeping and time.monotonic() - last_sweep > SWEEP_EVERY:
            deployed.sweep()
            last_sweep = time.monotonic()
        return False

    wait_until(done, timeout=60, interval=0.1)
    wait_until(deployed.broker_idle, timeout=20, interval=0.1)

    assert _statuses(app) == {TimerStatus.FIRED: count}
    with app.app_context():
        rows = db.session.execute(
            select(OutboxMessage.idempotency_key, OutboxMessage.message_id, OutboxMessage.status)
        ).all()
    assert sorted(key for key, _, _ in rows) == sorted(f"timer:{i}" for i in timer_ids)
    assert {status for _, _, status in rows} == {OutboxStatus.SENT}
    delivered = Counter(message["Message-ID"] for message in mailbox.received())
    assert delivered == Counter(message_id for _, message_id, _ in rows)  # each exactly once


@contextmanager
def _commits_blocked(app: Flask, timer_ids: list[int]) -> Iterator[Callable[[], bool]]:
    """Make a worker that takes a batch stop inside it, before its commit. SQLite: hold the
    single write lock (the worker waits at its BEGIN IMMEDIATE). PostgreSQL: lock the middle
    timer of every chunk, so the worker's compare-and-set of its batch takes the first half
    of the rows in its transaction and waits there. Yields a check that the worker waits
    (always true on SQLite, which cannot tell)."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite":
        holder = sqlite3.connect(url.database, timeout=30, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield lambda: True
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    middles = [chunk[len(chunk) // 2] for chunk in timers.chunks(sorted(timer_ids))]
    with app.app_context(), db.engine.connect() as holder:
        holder.execute(select(Timer.id).where(Timer.id.in_(middles)).with_for_update()).all()

        def waiting() -> bool:
            return bool(holder.scalar(text("SELECT count(*) FROM pg_locks WHERE NOT granted")))

        try:
            yield waiting
        finally:
            holder.rollback()


def test_a_worker_killed_inside_a_batch_leaves_each_timer_to_fire_once(
    app: Flask, make_user: Any, deployment: Callable[..., Deployment], mailbox: Any
) -> None:
    deployed = deployment()
    count = 400
    assert count <= timers.CLAIM_LIMIT  # one claim: its chunks are what _commits_blocked locks
    due = SystemClock().now() + AHEAD
    timer_ids = _seed_follow_ups(app, make_user, count, due, timedelta(0))
    chunk_count = len(timers.chunks(timer_ids))

    # The clock claims every timer and publishes its batches; no worker is listening yet.
    deployed.start_clock()
    deployed.move_time_to(due + timedelta(seconds=1))
    wait_until(lambda: deployed.queued("timers") == chunk_count, timeout=15)
    assert _statuses(app) == {TimerStatus.ENQUEUED: count}

    with _commits_blocked(app, timer_ids) as worker_waits:
        doomed = deployed.start_worker("doomed-worker")
        doomed.wait_for_log("Task timers.fire_batch[")  # it took a batch …
        wait_until(worker_waits, timeout=10)  # … and is stuck inside it, before its commit
        assert deployed.unacked() == 1  # acks_late: the message is not acknowledged yet
        doomed.kill()  # SIGKILL
    assert _statuses(app) == {TimerStatus.ENQUEUED: count}  # nothing of its batch committed
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    # A lease later the sweep puts every claimed row back, and the clock claims them again.
    deployed.advance(timers.LEASE + timedelta(seconds=1))
    assert deployed.sweep() == (count, 0)
    wait_until(lambda: _attempts(app) == {2: count}, timeout=15)
    assert _statuses(app) == {TimerStatus.ENQUEUED: count}

    # A new worker gets each batch twice: the killed worker's message comes back (its
    # visibility timeout has expired), the unconsumed one is still queued, and the clock
    # published both again. The first delivery of each fires; the second finds its rows fired.
    # (Started earlier, the worker would find it at its next restore scan, every second.)
    wait_until(deployed.unacked_delivery_expired, timeout=30, interval=0.1)
    worker = deployed.start_worker("worker")
    wait_until(lambda: sum(_batch_outcomes(worker).values()) == 2 * count, timeout=60)
    assert _batch_outcomes(worker) == {"fired": count, "skipped": count, "stale": 0, "failed": 0}
    _assert_each_fired_and_mailed_once(app, deployed, mailbox, timer_ids)


def test_a_broker_restart_in_a_burst_of_1000_timers_loses_none_and_doubles_none(
    app: Flask, make_user: Any, deployment: Callable[..., Deployment], mailbox: Any
) -> None:
    # The offset clock reads Redis on every now(). Were it the restarted server, processes
    # would fail where production code never touches Redis (between the SMTP server's 250 and
    # the `sent` commit, say, and then send twice), so the keys stay up and the broker restarts.
    deployed = deployment(separate_broker=True)
    count, spread = 1000, timedelta(seconds=3)
    first_due = SystemClock().now() + AHEAD
    timer_ids = _seed_follow_ups(app, make_user, count, first_due, spread / count)
    deployed.start_worker("worker")
    clock = deployed.start_clock()
    deployed.move_time_to(first_due)  # the burst begins: 1,000 timers due within 3 s

    wait_until(lambda: _statuses(app)[TimerStatus.FIRED] > 0, timeout=30)
    failures_before = clock.log_text().count(BROKER_DOWN)
    deployed.broker.stop()  # no persistence: every queued and unacknowledged message is lost
    # The rest of the burst falls due while the broker is down: the clock claims it, cannot
    # publish it, and gives the claims back (they are claimed again once the broker is back).
    deployed.advance(spread)
    wait_until(lambda: clock.log_text().count(BROKER_DOWN) > failures_before, timeout=15)
    deployed.broker.start()  # on the same port, empty

    # What survived fires, and what the clock gave back is claimed again and fires; batches
    # lost inside the broker (queued or being run when it stopped) stay claimed, and their
    # emails, like any lost send, stay pending until the sweeps.
    def settled() -> bool:
        return _statuses(app)[TimerStatus.PENDING] == 0 and deployed.broker_idle()

    wait_until(settled, timeout=40, interval=0.1)
    stranded = _statuses(app)[TimerStatus.ENQUEUED]
    assert stranded < count

    # Past both leases (timers 1 min, outbox 5 s) the beat's sweeps recover the rest.
    deployed.advance(max(timers.LEASE, outbox_delivery.LEASE) + timedelta(seconds=1))
    released, _ = deployed.sweep()
    assert released == stranded  # the batches lost inside the broker
    _assert_each_fired_and_mailed_once(app, deployed, mailbox, timer_ids, sweeping=True)
