"""A dry run of a large CSV import leaves timers firing on time (issue #10): the worker checks
the file in chunks inside read-only transactions and records each chunk's result in a short
one, so the clock and the timer worker never wait for it. The deployment runs one worker for
the `default` queue (imports) and one for timers and mail, as the Procfile's two worker
processes do."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from models import ImportJob, Role, Timer, TimerStatus
from tests.e2e.deployment import Deployment
from tests.e2e.test_timer_failures import AHEAD, _seed_follow_ups
from tests.services import wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import import_checks, imports
from workflows.platform.clock import SystemClock

ROWS = 60_000  # 4 MB: 6 to 10 s of checks on a quiet 2-core machine, ~45 s under heavy load
TIMERS = 3
LATENESS_ALLOWED = timedelta(seconds=3)  # the clock alone is late by ~30 ms; generous for load


def _csv(rows: int) -> str:
    lines = ["Full name,E-mail,Phone,Company\n"]
    lines += [
        f"Person {n},person{n}@example.com,+49 151 {20000000 + n},Company {n % 50}\n"
        for n in range(2, rows + 2)
    ]
    lines[100] = "Bad Row,not-an-email,12,Company 1\n"
    return "".join(lines)


def _queue_dry_run(app: Flask, created_by_id: int) -> int:
    """An uploaded, mapped job whose dry run is published to the deployment's broker."""
    with app.app_context():
        clock = current_clock()
        job = imports.create_job(
            db.session,
            filename="big.csv",
            content=_csv(ROWS),
            created_by_id=created_by_id,
            clock=clock,
        )
        imports.configure(db.session, job, job.mapping, "skip_bad_rows")
        import_checks.request(db.session, job, clock=clock)
        db.session.commit()
        return job.id


def _dry_run(app: Flask, job_id: int) -> dict[str, Any]:
    with app.app_context():
        state = db.session.get(ImportJob, job_id).dry_run
        db.session.remove()
        return state


def _fired(app: Flask, timer_ids: list[int]) -> list[tuple[datetime, datetime]] | None:
    """(due_at, fired_at) of each timer once all have fired."""
    with app.app_context():
        rows = db.session.execute(
            select(Timer.status, Timer.due_at, Timer.fired_at).where(Timer.id.in_(timer_ids))
        ).all()
        db.session.remove()
    if any(status != TimerStatus.FIRED for status, _, _ in rows):
        return None
    return [(due_at, fired_at) for _, due_at, fired_at in rows]


def test_a_large_dry_run_leaves_timers_firing_on_time(
    app: Flask, make_user: Any, deployment: Callable[..., Deployment], mailbox: Any
) -> None:
    deployed = deployment()
    due = SystemClock().now() + AHEAD
    timer_ids = _seed_follow_ups(app, make_user, TIMERS, due, timedelta(milliseconds=100))
    deployed.move_time_to(due - timedelta(minutes=5))
    deployed.start_worker("import-worker", queues="default")
    deployed.start_worker("timer-worker", queues="timers,outbox,outreach")
    deployed.start_clock()

    job_id = _queue_dry_run(deployed.app, make_user(Role.AGENT).id)
    wait_until(lambda: _dry_run(app, job_id)["processed"] > 0, timeout=60, interval=0.05)
    # The timers fall due within half a second, early in the checks (on a quiet machine the
    # rest of the file takes seconds, not minutes: they must not be due after it is done).
    deployed.move_time_to(due - timedelta(milliseconds=200))
    fired = wait_until(lambda: _fired(app, timer_ids), timeout=30, interval=0.05)

    assert fired is not None
    lateness = max(fired_at - due_at for due_at, fired_at in fired)
    assert lateness < LATENESS_ALLOWED, lateness
    result = wait_until(
        lambda: (state := _dry_run(app, job_id))["status"] == "done" and state,
        timeout=120,
        interval=0.2,
    )
    # The timers fired while the dry run was under way, not after it.
    assert datetime.fromisoformat(result["finished_at"]) > max(f for _, f in fired)
    assert (result["processed"], result["bad_rows"], result["creates"]) == (ROWS, 1, ROWS - 1)
    assert [e["row"] for e in result["errors"]] == [101, 101]
