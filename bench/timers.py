"""Timer firing benchmark: the real clock process and a real Celery worker fire timers through
Redis; prints how fast and how late they fired.

    python -m bench.timers --mode burst --timers 100000          # all due at the same instant
    python -m bench.timers --mode sustained --rate 500 --seconds 60
    DATABASE_URL=postgresql+psycopg://… python -m bench.timers …  # default: a fresh SQLite file

Each timer is a sales follow-up reminder: firing one compares-and-sets the timer row, checks the
requirement's state, writes an outbox email row and publishes its send (the worker listens only
on the `timers` queue, so the sends wait in Redis and do not compete).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select

from models import Customer, Requirement, Role, Timer, TimerStatus, User
from tests.services import RedisServer, start_clock, start_worker

CHUNK = 10_000


def seed(url: str, count: int, first_due: datetime, spacing: timedelta) -> None:
    engine = create_engine(url)
    now = datetime.now(UTC)  # noqa: TID251 (benchmarks measure real time)
    with engine.begin() as db:
        user_id = db.execute(
            insert(User).returning(User.id),
            [
                {
                    "email": "bench@example.com",
                    "name": "Bench",
                    "password_hash": "x",
                    "role": Role.AGENT,
                    "time_zone": "UTC",
                    "is_active": True,
                    "created_at": now,
                    "version": 1,
                }
            ],
        ).scalar_one()
        customer_id = db.execute(
            insert(Customer).returning(Customer.id),
            [
                {
                    "name": "Bench customer",
                    "custom": {},
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            ],
        ).scalar_one()
        for start in range(0, count, CHUNK):
            size = min(CHUNK, count - start)
            db.execute(
                insert(Requirement),
                [
                    {
                        "customer_id": customer_id,
                        "title": f"Deal {start + i}",
                        "priority": "normal",
                        "assignee_id": user_id,
                        "tags": [],
                        "workflow": "sales",
                        "state": "lead",
                        "state_seq": 0,
                        "extra": {},
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                    for i in range(size)
                ],
            )
        ids = list(db.scalars(select(Requirement.id).order_by(Requirement.id)))
        for start in range(0, count, CHUNK):
            db.execute(
                insert(Timer),
                [
                    {
                        "requirement_id": rid,
                        "kind": "follow_up",
                        "trigger": None,
                        "expected_state": "lead",
                        "state_seq": 0,
                        "due_at": first_due + spacing * (start + i),
                        "status": TimerStatus.PENDING,
                        "attempts": 0,
                    }
                    for i, rid in enumerate(ids[start : start + CHUNK])
                ],
            )
    engine.dispose()


def measure(url: str, count: int, deadline: float) -> list[float]:
    """Wait until every timer fired; return each one's lateness in seconds."""
    engine = create_engine(url)
    with engine.connect() as db:
        while time.monotonic() < deadline:
            fired = db.scalar(
                select(func.count()).select_from(Timer).where(Timer.status == TimerStatus.FIRED)
            )
            db.rollback()
            if sys.stdout.isatty():
                print(f"\r  fired {fired:>8} / {count}", end="", flush=True)
            if fired >= count:
                break
            time.sleep(0.5)
        print()
        rows = db.execute(select(Timer.due_at, Timer.fired_at).where(Timer.fired_at.is_not(None)))
        lateness = [(fired - due).total_seconds() for due, fired in rows]
    engine.dispose()
    return lateness


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["burst", "sustained"], default="burst")
    parser.add_argument("--timers", type=int, default=100_000, help="burst: how many")
    parser.add_argument("--rate", type=float, default=500, help="sustained: timers per second")
    parser.add_argument("--seconds", type=float, default=60, help="sustained: for how long")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="rapport-bench-timers-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    redis_server = RedisServer(folder / "redis").start()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_server.url,
        "RAPPORT_INSTANCE_PATH": str(folder),
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "web", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    if args.mode == "burst":
        count, spacing, lead = args.timers, timedelta(0), 15.0
    else:
        count = int(args.rate * args.seconds)
        spacing, lead = timedelta(seconds=1 / args.rate), 15.0
    started = time.monotonic()
    first_due = datetime.now(UTC) + timedelta(seconds=lead)  # noqa: TID251
    seed(url, count, first_due, spacing)
    print(f"seeded {count} timers in {time.monotonic() - started:.1f} s on {url.split(':')[0]}")
    worker = start_worker(env, folder / "worker.log", queues="timers")
    clock = start_clock(env, folder / "clock.log")
    try:
        wait = (first_due - datetime.now(UTC)).total_seconds()  # noqa: TID251
        if wait < 0:
            print("seeding took longer than the lead time; lateness includes that", wait)
        window = count / 500 + args.seconds + 120
        lateness = measure(url, count, time.monotonic() + max(wait, 0) + window)
    finally:
        clock.stop()
        worker.stop()
        redis_server.stop()
    if not lateness:
        print("no timer fired; see", folder)
        return
    span = max(lateness)
    print(f"fired {len(lateness)} / {count}")
    if args.mode == "burst":
        print(
            f"all fired {max(lateness):.2f} s after the due instant: "
            f"{len(lateness) / max(max(lateness), 1e-9):.0f} timers/s"
        )
    print(
        f"lateness p50 {percentile(lateness, 50) * 1000:.0f} ms, "
        f"p99 {percentile(lateness, 99) * 1000:.0f} ms, max {span * 1000:.0f} ms, "
        f"mean {statistics.fmean(lateness) * 1000:.0f} ms"
    )
    print(f"logs and database in {folder}")


if __name__ == "__main__":
    main()
