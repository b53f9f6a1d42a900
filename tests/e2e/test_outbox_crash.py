"""A worker SIGKILLed in the middle of a burst of notices, and started again at once, as a
supervisor would: with production's settings (an hour's visibility timeout, so nothing waits
for Redis to redeliver; beat's sweeps every SWEEP_INTERVAL), every notice arrives, and the only
duplicate possible is the one message the killed worker had in flight, with the same
Message-ID. How long the SMTP server heard nothing is measured by bench/outbox.py."""

import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from models import OutboxMessage, OutboxStatus, Timer, TimerStatus
from tests.e2e.deployment import Deployment
from tests.e2e.test_timer_failures import AHEAD, _seed_follow_ups
from tests.services import wait_until
from web.extensions import db
from workflows.platform.clock import SystemClock

BURST = 800
KILL_AFTER = 100  # messages at the server when the worker is killed


def _counts(app: Flask) -> tuple[int, int]:
    """(timers fired, outbox rows sent)."""
    with app.app_context():
        fired = db.session.scalar(
            select(func.count()).select_from(Timer).where(Timer.status == TimerStatus.FIRED)
        )
        sent = db.session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT)
        )
    return fired, sent


def test_a_worker_killed_mid_burst_loses_no_notice_and_repeats_at_most_one(
    app: Flask, make_user: Any, deployment: Callable[..., Deployment], mailbox: Any
) -> None:
    deployed = deployment()
    deployed.env["RAPPORT_VISIBILITY_TIMEOUT"] = "3600"  # the default: recovery is the sweeps'
    due = SystemClock().now() + AHEAD
    timer_ids = _seed_follow_ups(app, make_user, BURST, due, timedelta(0))
    doomed = deployed.start_worker("doomed-worker")
    deployed.start_clock()
    deployed.start_beat()
    deployed.move_time_to(due + timedelta(seconds=1))  # the burst falls due

    wait_until(lambda: len(mailbox.received()) >= KILL_AFTER, timeout=60, interval=0.005)
    doomed.kill()  # SIGKILL, to its whole process group
    killed_at = time.time()
    at_kill = len(mailbox.received())
    assert at_kill < BURST, "the burst was over before the kill; nothing was tested"
    deployed.start_worker("worker")  # restarted at once

    wait_until(lambda: _counts(app) == (BURST, BURST), timeout=90, interval=0.1)
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.message_id, OutboxMessage.idempotency_key))
        expected = {message_id: key for message_id, key in rows}
    assert sorted(expected.values()) == sorted(f"timer:{i}" for i in timer_ids)
    # Every row is `sent` now, so nothing can be claimed and sent again: what arrived is final.
    arrivals = mailbox.arrivals()
    delivered = Counter(message["Message-ID"] for _, message in arrivals)
    assert set(delivered) == set(expected)  # none lost
    repeated = {message_id: n for message_id, n in delivered.items() if n > 1}
    assert len(repeated) <= 1 and set(repeated.values()) <= {2}  # one connection was killed
    for message_id in repeated:  # the same message twice, recognisable by its Message-ID
        copies = [m for _, m in arrivals if m["Message-ID"] == message_id]
        assert copies[0]["To"] == copies[1]["To"]
        assert copies[0]["Subject"] == copies[1]["Subject"]

    later = sorted(at for at, _ in arrivals if at >= killed_at)
    gaps = [b - a for a, b in zip([killed_at, *later], later, strict=False)]
    print(f"killed after {at_kill} of {BURST}; longest silence {max(gaps):.1f} s")
