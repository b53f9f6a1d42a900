"""Outbox benchmark: real Celery workers send to a local aiosmtpd sink; prints emails/s, the
lateness of a burst of notices at the sink, and the silence after a worker is SIGKILLed.

    python -m bench.outbox                        # all three parts, default sizes
    python -m bench.outbox --only throughput --emails 20000 --concurrency 2
    DATABASE_URL=postgresql+psycopg://… python -m bench.outbox   # default: fresh SQLite files

1. throughput: `--emails` outbox rows written at once, their `outbox.send_batch` tasks
   published, sent by one worker with `--concurrency` prefork processes (the Procfile's
   default is 2): emails/s from the first publish to the last arrival, duplicates by Message-ID.
2. burst: `--burst` follow-up timers fall due within `--spread` seconds (2,100 in 13 s: what
   300 requirements falling due together caused in the issue's measurement), each notice
   emailing the assignee; the clock, beat and the worker (all queues) run as in production:
   lateness of each notice at the sink (arrival - its timer's due time), p50/p95/p99.
3. kill: the same burst; the worker is SIGKILLed (its whole process group) after `--kill-after`
   arrivals and started again at once: the longest silence at the sink after the kill, the
   time to the last arrival, lost and repeated Message-IDs.

Each part runs on a fresh database (SQLite file unless DATABASE_URL) and its own redis-server.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, func, select

from bench.timers import cpu_seconds, percentile, seed
from models import OutboxMessage, OutboxStatus, Timer
from tests.services import Process, RedisServer, free_port, start_beat, start_clock
from web import create_app
from web.extensions import db
from workflows.platform import outbox
from workflows.platform.clock import SystemClock

QUEUES = "timers,outbox,outreach,default"


class Sink:
    """An aiosmtpd server recording each message's Message-ID and arrival time."""

    def __init__(self) -> None:
        self.arrivals: list[tuple[float, str]] = []
        self.lock = threading.Lock()
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message_id = message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            self.arrivals.append((time.time(), message_id))
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def snapshot(self) -> list[tuple[float, str]]:
        with self.lock:
            return list(self.arrivals)


@dataclass
class Stack:
    """A fresh database and Redis, and the processes started on them."""

    folder: Path
    url: str
    redis: RedisServer
    env: dict[str, str]
    processes: list[Process] = field(default_factory=list)

    def worker(self, name: str, concurrency: int) -> Process:
        process = Process(
            name,
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "workers.app",
                "worker",
                "--concurrency",
                str(concurrency),
                "--queues",
                QUEUES,
                "--without-mingle",
                "--without-gossip",
                "--loglevel=INFO",
                "--hostname",
                f"{name}@%h",
            ],
            self.env,
            self.folder / f"{name}.log",
        )
        process.wait_for_log(" ready.", timeout=60)
        self.processes.append(process)
        return process

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.redis.stop()


def make_stack(part: str, sink: Sink) -> Stack:
    folder = Path(tempfile.mkdtemp(prefix=f"rapport-bench-outbox-{part}-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    redis_server = RedisServer(folder / "redis").start()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")},
        "DATABASE_URL": url,
        "REDIS_URL": redis_server.url,
        "RAPPORT_INSTANCE_PATH": str(folder),
        "RAPPORT_SMTP_PORT": str(sink.port),
        "PYTHONUNBUFFERED": "1",
    }
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "web", "db", "upgrade"],
        env=env,
        check=True,
        capture_output=True,
    )
    return Stack(folder, url, redis_server, env)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def wait_for(predicate: Any, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def sent_count(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT)
        )
    engine.dispose()
    return count or 0


def expected_ids(url: str) -> set[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        ids = set(conn.scalars(select(OutboxMessage.message_id)))
    engine.dispose()
    return ids


def group_cpu(process: Process) -> float:
    """CPU seconds of a worker and its pool processes (children of its main process)."""
    pids = [process.popen.pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == process.popen.pid:
            pids.append(int(stat.parent.name))
    return sum(cpu_seconds(pid) for pid in pids)


def due_times(url: str) -> dict[str, float]:
    """Each notice's Message-ID and the due time of the timer that wrote it."""
    engine = create_engine(url)
    with engine.connect() as conn:
        timers = dict(conn.execute(select(Timer.id, Timer.due_at)).all())
        rows = conn.execute(select(OutboxMessage.message_id, OutboxMessage.idempotency_key))
        due = {m: timers[int(key.split(":")[1])].timestamp() for m, key in rows}
    engine.dispose()
    return due


def duplicates(arrivals: list[tuple[float, str]]) -> int:
    return sum(n - 1 for n in Counter(m for _, m in arrivals).values() if n > 1)


def throughput(args: argparse.Namespace, sink: Sink) -> None:
    stack = make_stack("throughput", sink)
    try:
        app = create_app(
            {
                "DATABASE_URL": stack.url,
                "REDIS_URL": stack.redis.url,
                "INSTANCE_PATH": str(stack.folder),
            }
        )
        emails = [
            outbox.Email(
                f"bench:{n}",
                "bench",
                f"user{n % 500}@example.com",
                f"Notice {n}",
                "A notice of the usual length.\n" * 8,
            )
            for n in range(args.emails)
        ]
        with app.app_context():
            ids = outbox.insert_emails(db.session, emails, clock=SystemClock())
            db.session.commit()
        worker = stack.worker("worker", args.concurrency)
        cpu_before = group_cpu(worker)
        print(
            f"\n== throughput: {args.emails} emails, 1 worker x {args.concurrency} processes "
            f"on {stack.url.split(':')[0]}; load before {load()}"
        )
        started = time.time()
        celery_app = app.extensions["celery"]
        for start in range(0, len(ids), outbox.SEND_CHUNK):
            celery_app.send_task(
                outbox.SEND_BATCH_TASK, args=[ids[start : start + outbox.SEND_CHUNK]]
            )
        wait_for(lambda: sink.count() >= args.emails, timeout=args.emails / 20 + 60)
        arrivals = sink.snapshot()
        cpu = group_cpu(worker) - cpu_before
        last = max(at for at, _ in arrivals)
        rate = len(arrivals) / (last - started)
        print(
            f"arrived {len(arrivals)} / {args.emails} in {last - started:.2f} s: "
            f"{rate:.0f} emails/s; duplicates by Message-ID: {duplicates(arrivals)}; "
            f"rows sent {sent_count(stack.url)}; load after {load()}"
        )
        print(
            f"worker CPU {cpu:.1f} s: {cpu / len(arrivals) * 1000:.2f} ms per email, so "
            f"{len(arrivals) / cpu:.0f} emails/s per busy core (the sink's CPU not included)"
        )
        celery_app.close()
    finally:
        stack.stop()


def burst(args: argparse.Namespace, sink: Sink, *, kill: bool) -> None:
    part = "kill" if kill else "burst"
    stack = make_stack(part, sink)
    try:
        # Everything runs before the timers are written: on a busy machine a worker takes
        # seconds to start, which is not what this measures.
        worker = stack.worker("worker", args.concurrency)
        stack.processes.append(start_clock(stack.env, stack.folder / "clock.log"))
        stack.processes.append(start_beat(stack.env, stack.folder / "beat.log"))
        spacing = timedelta(seconds=args.spread / max(args.burst - 1, 1))
        first_due = seed(stack.url, args.burst, args.lead, spacing)
        due = first_due.timestamp()
        print(
            f"\n== {part}: {args.burst} follow-up notices due within {args.spread:g} s; 1 worker x "
            f"{args.concurrency} processes, clock, beat on {stack.url.split(':')[0]}; "
            f"due in {due - time.time():.1f} s; load before {load()}"
        )
        killed_at = None
        if kill:
            wait_for(lambda: sink.count() >= args.kill_after, timeout=120)
            worker.kill()
            killed_at = time.time()
            at_kill = sink.count()
            stack.processes.remove(worker)
            stack.worker("worker-restarted", args.concurrency)
            print(
                f"killed the worker after {at_kill} arrivals, started again "
                f"({time.time() - killed_at:.1f} s to ready)"
            )
        wait_for(lambda: sent_count(stack.url) >= args.burst, timeout=args.burst / 20 + 120)
        time.sleep(0.5)  # the sink's handler may still be recording the last answer
        arrivals = sink.snapshot()
        due_at = due_times(stack.url)
        lateness = [at - due_at[message_id] for at, message_id in arrivals]
        lost = expected_ids(stack.url) - {m for _, m in arrivals}
        print(
            f"arrived {len(arrivals)} ({len(set(m for _, m in arrivals))} distinct) of "
            f"{args.burst}; lost {len(lost)}; repeated {duplicates(arrivals)}"
        )
        print(
            f"lateness at the sink (arrival - due): p50 {percentile(lateness, 50):.3f} s, "
            f"p95 {percentile(lateness, 95):.3f} s, p99 {percentile(lateness, 99):.3f} s, "
            f"max {max(lateness):.3f} s; load after {load()}"
        )
        if killed_at is not None:
            later = sorted(at for at, _ in arrivals if at >= killed_at)
            gaps = [b - a for a, b in zip([killed_at, *later], later, strict=False)]
            print(
                f"after the kill: longest silence {max(gaps):.2f} s; last arrival "
                f"{later[-1] - killed_at:.2f} s after the kill"
            )
    finally:
        stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--only", choices=["throughput", "burst", "kill"])
    parser.add_argument("--emails", type=int, default=10_000)
    parser.add_argument("--burst", type=int, default=2_100)
    parser.add_argument("--spread", type=float, default=13.0, help="seconds the burst falls due in")
    parser.add_argument("--kill-after", type=int, default=700)
    parser.add_argument("--concurrency", type=int, default=2, help="prefork processes")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds until the burst is due")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs")  # noqa: TID251
    for part in ("throughput", "burst", "kill"):
        if args.only not in (None, part):
            continue
        sink = Sink()
        sink.controller.start()
        try:
            if part == "throughput":
                throughput(args, sink)
            else:
                burst(args, sink, kill=part == "kill")
        finally:
            sink.controller.stop()


if __name__ == "__main__":
    main()
