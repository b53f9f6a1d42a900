"""Outreach crash benchmark: a worker SIGKILLed in the middle of its chunks of due steps. Prints
the silence at a real SMTP server after the kill and when the killed chunks' messages arrive.

    python -m bench.outreach_crash                     # 400 first steps due at once
    python -m bench.outreach_crash --messages 1000 --kill-delay 1
    DATABASE_URL=postgresql+psycopg://… python -m bench.outreach_crash   # default: a SQLite file

`--messages` customers are enrolled in a one-step email strategy (as `bench.outreach_send`),
every first step due `--lead` seconds after the worker (`--concurrency` prefork processes, all
queues), the clock and beat are ready, with production's settings (one-hour visibility timeout,
so Redis redelivers nothing: only the leases and beat's sweeps recover the work). `--kill-delay`
seconds after the clock claimed the steps, the worker is SIGKILLed (its whole process group)
while its processes run their chunks, and started again at once. Printed: the steps claimed and
held (running lease) at the kill, the time until the restarted worker is ready, until the killed
chunks' first and last messages arrive, the longest silence at the server after the kill, and
lost and repeated Message-IDs. Works on any version of the code: before due steps had a running
lease, the claim's two-minute lease had to run out first.
"""

import argparse
import os
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, select

from bench.outbox import Sink, duplicates, load, make_stack, wait_for
from bench.outreach import seed
from bench.outreach_send import enrol_all, make_strategy, sent_rows, spread_due_times
from models import DueStep, DueStepStatus, OutboxMessage
from tests.services import start_beat, start_clock
from web import create_app
from web.extensions import db
from workflows.outreach import due_steps
from workflows.platform.clock import SystemClock


def claimed(url: str) -> list[tuple[int, datetime]]:
    """(enrolment, lease end) of every claimed step."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(DueStep.enrolment_id, DueStep.lease_until).where(
                DueStep.status == DueStepStatus.ENQUEUED
            )
        ).all()
    engine.dispose()
    return [(row[0], row[1]) for row in rows]


def enrolment_of_message(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(OutboxMessage.message_id, OutboxMessage.idempotency_key))
        # outreach:<strategy>:<enrolment>:<step>:<variant>
        found = {m: int(key.split(":")[2]) for m, key in rows}
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=2, help="prefork processes")
    parser.add_argument("--lead", type=float, default=3.0, help="seconds until the steps are due")
    parser.add_argument(
        "--kill-delay", type=float, default=0.5, help="seconds from the claim to the kill"
    )
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs")  # noqa: TID251
    sink = Sink()
    sink.controller.start()
    stack = make_stack("outreach-crash", sink)
    stack.env["RAPPORT_VISIBILITY_TIMEOUT"] = "3600"  # production's: recovery is the sweeps'
    try:
        app = create_app(
            {
                "DATABASE_URL": stack.url,
                "REDIS_URL": stack.redis.url,
                "INSTANCE_PATH": str(stack.folder),
            }
        )
        clock = SystemClock()
        with app.app_context():
            seed(args.messages)
            strategy_id = make_strategy(clock)
            planned = enrol_all(strategy_id, clock.now() + timedelta(hours=1))
        worker = stack.worker("worker", args.concurrency)
        stack.processes.append(start_clock(stack.env, stack.folder / "clock.log"))
        stack.processes.append(start_beat(stack.env, stack.folder / "beat.log"))
        with app.app_context():
            spread_due_times(planned, SystemClock().now() + timedelta(seconds=args.lead), 0)
        print(
            f"\n== outreach crash: {planned} first steps due at once in {args.lead:g} s; 1 worker "
            f"x {args.concurrency} processes, clock, beat on {stack.url.split(':')[0]}; "
            f"SIGKILL {args.kill_delay:g} s after the claim; load before {load()}"
        )
        wait_for(lambda: bool(claimed(stack.url)), timeout=60 + args.lead)
        time.sleep(args.kill_delay)
        worker.kill()
        killed_at = time.time()
        at_kill = claimed(stack.url)
        sent_at_kill = sink.count()
        stack.processes.remove(worker)
        # Held: the short running lease a worker takes when it starts a chunk (the claim's lease
        # is two minutes): the chunks the killed processes were running.
        short = SystemClock().now() + (due_steps.LEASE - timedelta(seconds=5)) / 2  # any version
        held = sum(1 for _, lease in at_kill if lease is not None and lease < short)
        killed = {enrolment for enrolment, _ in at_kill}
        stack.worker("worker-restarted", args.concurrency)
        ready_after = time.time() - killed_at
        print(
            f"killed with {len(at_kill)} steps claimed ({held} held with the running lease), "
            f"{sent_at_kill} messages arrived; restarted worker ready after {ready_after:.1f} s"
        )
        wait_for(lambda: sent_rows(stack.url) >= planned, timeout=400)
        time.sleep(0.5)  # the sink may still be recording the last answer
        arrivals = sink.snapshot()
        enrolment_of = enrolment_of_message(stack.url)
        lost = set(enrolment_of) - {m for _, m in arrivals}
        later = sorted(at for at, _ in arrivals if at >= killed_at)
        gaps = [b - a for a, b in zip([killed_at, *later], later, strict=False)]
        chunk = sorted(at - killed_at for at, m in arrivals if enrolment_of.get(m) in killed)
        print(
            f"arrived {len(arrivals)} ({len({m for _, m in arrivals})} distinct) of {planned}; "
            f"lost {len(lost)}; repeated {duplicates(arrivals)}"
        )
        if chunk and later:
            print(
                f"after the kill: killed chunks' first message {chunk[0]:.2f} s, last "
                f"{chunk[-1]:.2f} s; **longest silence {max(gaps):.2f} s**; last arrival "
                f"{later[-1] - killed_at:.2f} s; load after {load()}"
            )
        app.extensions["celery"].close()
        with app.app_context():
            for engine in db.engines.values():
                engine.dispose()
    finally:
        stack.stop()
        sink.controller.stop()


if __name__ == "__main__":
    main()
