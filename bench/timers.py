"""Timer firing benchmark: the real clock process and a real Celery worker fire timers through
Redis; prints how fast and how late they fired.

    python -m bench.timers --mode burst --timers 100000          # all due at the same instant
    python -m bench.timers --mode sustained --rate 500 --seconds 60
    python -m bench.timers --mode pending --pending 1000000      # memory with 1M waiting timers
    DATABASE_URL=postgresql+psycopg://… python -m bench.timers …  # default: a fresh SQLite file

Each timer is a sales follow-up reminder to the assignee (`--kind customer_reminder_1`: a
support reminder to the customer): firing one compares-and-sets the timer row, checks the
requirement's state, renders and writes an outbox email row and publishes its send (the worker
listens only on the `timers` queue, so the sends wait in Redis and do not compete). `pending`
adds `--pending` timers due in 30 days to a `--rate` stream. Every mode samples the clock's and
the worker's resident memory and CPU time about once a second and prints the load average.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, create_engine, func, insert, select, text

from models import Customer, OutboxMessage, Requirement, Role, Timer, TimerStatus, User
from tests.services import RedisServer, start_clock, start_worker

CHUNK = 10_000
# --kind: the requirement each timer belongs to, and so whom its notice emails
KINDS = {
    "follow_up": {"workflow": "sales", "state": "lead", "state_seq": 0},  # the assignee
    "customer_reminder_1": {"workflow": "support", "state": "waiting_on_customer", "state_seq": 2},
}


def seed(
    url: str,
    count: int,
    lead: float,
    spacing: timedelta,
    pending: int = 0,
    kind: str = "follow_up",
) -> datetime:
    """`pending` timers due in 30 days, then `count` due from about `lead` seconds after they
    are written, `spacing` apart; returns when the first of those falls due."""
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
                    "primary_email": "customer@example.com",
                    "custom": {},
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
            ],
        ).scalar_one()
        started = time.monotonic()
        for start in range(0, count + pending, CHUNK):
            size = min(CHUNK, count + pending - start)
            db.execute(
                insert(Requirement),
                [
                    {
                        "customer_id": customer_id,
                        "title": f"Deal {start + i}",
                        "priority": "normal",
                        "assignee_id": user_id,
                        "tags": [],
                        **KINDS[kind],
                        "extra": {},
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                    for i in range(size)
                ],
            )
        ids = list(db.scalars(select(Requirement.id).order_by(Requirement.id)))
        later = datetime.now(UTC) + timedelta(days=30)  # noqa: TID251
        _insert_timers(db, ids[count:], kind, lambda _n: later)
        # Writing the stream's timers and committing take about as long as their requirements
        # took: wait that much more, so none is due before the clock and worker are running.
        lead += 2 * (time.monotonic() - started) * count / max(count + pending, 1)
        first_due = datetime.now(UTC) + timedelta(seconds=lead)  # noqa: TID251
        _insert_timers(db, ids[:count], kind, lambda n: first_due + spacing * n)
    engine.dispose()
    return first_due


def _insert_timers(
    db: Connection, ids: list[int], kind: str, due_at: Callable[[int], datetime]
) -> None:
    for start in range(0, len(ids), CHUNK):
        db.execute(
            insert(Timer),
            [
                {
                    "requirement_id": rid,
                    "kind": kind,
                    "trigger": None,
                    "expected_state": KINDS[kind]["state"],
                    "state_seq": KINDS[kind]["state_seq"],
                    "due_at": due_at(start + i),
                    "status": TimerStatus.PENDING,
                    "attempts": 0,
                }
                for i, rid in enumerate(ids[start : start + CHUNK])
            ],
        )


def measure(
    url: str, count: int, last_due: datetime, deadline: float, sample: Callable[[], None]
) -> list[float]:
    """Wait until the `count` timers due by `last_due` fired; return each one's lateness in
    seconds. Progress is counted on the partial indexes (pending and due, or enqueued), never
    by scanning the table; `sample` runs about once a second."""
    count_rows = select(func.count()).select_from(Timer)
    # Two statements, not one with OR: each is answered from its partial index.
    due_and_pending = count_rows.where(
        Timer.status == TimerStatus.PENDING, Timer.due_at <= last_due
    )
    enqueued = count_rows.where(Timer.status == TimerStatus.ENQUEUED)
    engine = create_engine(url)
    with engine.connect() as db:
        while time.monotonic() < deadline:
            sample()
            waiting = db.scalar(due_and_pending) + db.scalar(enqueued)
            db.rollback()
            if sys.stdout.isatty():
                print(f"\r  fired {count - waiting:>8} / {count}", end="", flush=True)
            if waiting == 0:
                break
            time.sleep(1)
        print()
        rows = db.execute(select(Timer.due_at, Timer.fired_at).where(Timer.fired_at.is_not(None)))
        lateness = [(fired - due).total_seconds() for due, fired in rows]
        emails = db.scalar(select(func.count()).select_from(OutboxMessage))
        print(f"outbox rows: {emails} (one per fired timer, by its idempotency key)")
    engine.dispose()
    return lateness


def rss_mib(pid: int) -> float:
    """Resident memory of `pid` from /proc (Linux), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU time `pid` has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def database_size_mib(url: str) -> float:
    if url.startswith("sqlite"):
        path = Path(url.split("///", 1)[1])
        files = [path, Path(f"{path}-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 2**20
    engine = create_engine(url)
    with engine.connect() as db:
        size = db.scalar(text("SELECT pg_database_size(current_database())"))
    engine.dispose()
    return size / 2**20


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--mode", choices=["burst", "sustained", "pending"], default="burst")
    parser.add_argument("--timers", type=int, default=100_000, help="burst: how many")
    parser.add_argument("--rate", type=float, default=500, help="sustained, pending: per second")
    parser.add_argument("--seconds", type=float, default=60, help="sustained, pending: how long")
    parser.add_argument("--pending", type=int, default=1_000_000, help="pending: how many wait")
    parser.add_argument("--kind", choices=list(KINDS), default="follow_up", help="timer kind")
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
    pending = args.pending if args.mode == "pending" else 0
    if args.mode == "burst":
        count, spacing = args.timers, timedelta(0)
    else:
        count, spacing = int(args.rate * args.seconds), timedelta(seconds=1 / args.rate)
    started = time.monotonic()
    first_due = seed(url, count, 15.0, spacing, pending, args.kind)
    print(
        f"seeded {count} timers (+{pending} pending) in {time.monotonic() - started:.1f} s "
        f"on {url.split(':')[0]}; database {database_size_mib(url):.0f} MiB"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    worker = start_worker(env, folder / "worker.log", queues="timers")
    clock = start_clock(env, folder / "clock.log")
    memory: dict[str, list[float]] = {"clock": [], "worker": []}

    cpu: dict[str, float] = {}

    def sample() -> None:
        for name, process in (("clock", clock), ("worker", worker)):
            memory[name].append(rss_mib(process.popen.pid))
            cpu[name] = cpu_seconds(process.popen.pid)

    try:
        wait = (first_due - datetime.now(UTC)).total_seconds()  # noqa: TID251
        if wait < 0:
            print("seeding took longer than the lead time; lateness includes that", wait)
        window = count / 500 + args.seconds + 120
        last_due = first_due + spacing * max(count - 1, 0)
        deadline = time.monotonic() + max(wait, 0) + window
        lateness = measure(url, count, last_due, deadline, sample)
        sample()
    finally:
        clock.stop()
        worker.stop()
        redis_server.stop()
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report(args.mode, count, lateness)
    for name, values in memory.items():
        if values:
            quarters = [values[min(len(values) - 1, len(values) * q // 4)] for q in range(5)]
            print(
                f"{name} RSS MiB at 0, ¼, ½, ¾ and all of the run: "
                f"{', '.join(f'{v:.0f}' for v in quarters)}; max {max(values):.0f} "
                f"({len(values)} samples, ~1 s apart); CPU {cpu[name]:.1f} s"
            )
    print(f"database {database_size_mib(url):.0f} MiB; logs and database in {folder}")


def report(mode: str, count: int, lateness: list[float]) -> None:
    if not lateness:
        print("no timer fired")
        return
    span = max(lateness)
    print(f"fired {len(lateness)} / {count}")
    if mode == "burst":
        print(f"all fired {span:.2f} s after the due instant: {len(lateness) / span:.0f} timers/s")
    print(
        f"lateness p50 {percentile(lateness, 50) * 1000:.0f} ms, "
        f"p99 {percentile(lateness, 99) * 1000:.0f} ms, max {span * 1000:.0f} ms, "
        f"mean {statistics.fmean(lateness) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
