"""Outreach send benchmark: strategy messages from their due step to a real SMTP server. Prints
messages/s and the lateness of each message at the server (its arrival - its step's due time).

    python -m bench.outreach_send                                   # 5,000 due within 10 s
    python -m bench.outreach_send --messages 20000 --spread 0       # all due at once: throughput
    python -m bench.outreach_send --concurrency 4
    DATABASE_URL=postgresql+psycopg://… python -m bench.outreach_send   # default: a SQLite file

`--messages` customers (three time zones, email consent, a tagged segment) are enrolled in a
one-step email strategy whose window is always open, with no holdout and caps that do not bind,
so that each enrolment's first step falls due at `--lead` seconds after the processes are ready,
spread evenly over `--spread` seconds. Then the production path runs, with real processes: the
clock claims the due steps and publishes `outreach.fire_batch`, the worker (`--concurrency`
prefork processes, the Procfile's 2 by default, all queues) checks each step, writes its outbox
row and communication and publishes `outbox.send_batch`, which sends over one SMTP connection
per process to an aiosmtpd sink in this process. Messages/s is counted from the first due time
to the last arrival; duplicates by Message-ID at the sink.
"""

import argparse
import os
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, func, select, update

from bench.outbox import Sink, duplicates, group_cpu, load, make_stack, wait_for
from bench.outreach import seed
from bench.timers import percentile
from models import DueStep, Enrolment, OutboxMessage, OutboxStatus, Strategy, StrategyStatus
from tests.services import start_clock
from web import create_app
from web.extensions import db
from workflows.customers import segments
from workflows.customers.queries import CustomerFilter
from workflows.outreach import activation, planning, strategies
from workflows.platform.clock import ManualClock, SystemClock
from workflows.platform.publishing import wake_clock_after_commit


def make_strategy(clock: SystemClock) -> int:
    segment = segments.create_segment(
        db.session, "bench", CustomerFilter(tag="bench"), owner_id=None, clock=clock
    )
    made = strategies.create(
        db.session,
        {
            "name": "bench send",
            "definition": {
                "audience": {"kind": "segment", "segment_id": segment.id},
                "steps": [
                    {
                        "channel": "email",
                        "subject": "News for {{ customer.first_name }}",
                        "body": "Hello {{ customer.name }},\n\nA message of the usual length.\n" * 3
                        + "Unsubscribe: {{ unsubscribe_url }}",
                        "delay": {"amount": 0, "unit": "calendar_days"},
                    }
                ],
                "window": {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"},
                "caps": {"per_customer_per_week": 1000, "per_channel_per_minute": 1_000_000},
                "holdout_percent": 0,
                "consent": "not_withdrawn",
            },
        },
        actor_id=None,
        clock=clock,
    )
    made.status = StrategyStatus.ACTIVE  # enrolled below, in-process, without the task
    db.session.commit()
    return made.id


def enrol_all(strategy_id: int, at: datetime) -> int:
    """Enrol the whole audience as of `at`, so that every first step is due at `at`."""
    clock = ManualClock(at)
    strategy = db.session.get(Strategy, strategy_id)
    for chunk in activation.audience_chunks(db.session, strategy, now=at):
        planning.enrol(db.session, strategy, chunk, clock=clock)
        db.session.commit()
    return db.session.scalar(select(func.count()).select_from(DueStep)) or 0


def spread_due_times(count: int, first: datetime, spread: float) -> None:
    """Due times evenly over `spread` seconds from `first`, in id order."""
    if spread <= 0 or count < 2:
        db.session.execute(update(DueStep).values(due_at=first))
    else:
        ids = db.session.scalars(select(DueStep.id).order_by(DueStep.id)).all()
        step = spread / (count - 1)
        for start in range(0, len(ids), 5000):
            db.session.execute(
                update(DueStep),
                [
                    {"id": i, "due_at": first + timedelta(seconds=(start + n) * step)}
                    for n, i in enumerate(ids[start : start + 5000])
                ],
            )
    wake_clock_after_commit(db.session)  # the clock planned its sleep on the old due times
    db.session.commit()


def due_by_message(url: str) -> dict[str, float]:
    """Each sent message's Message-ID and the due time of the step that wrote it."""
    engine = create_engine(url)
    with engine.connect() as conn:
        due = dict(conn.execute(select(DueStep.enrolment_id, DueStep.due_at)).all())
        rows = conn.execute(select(OutboxMessage.message_id, OutboxMessage.idempotency_key))
        # outreach:<strategy>:<enrolment>:<step>:<variant>
        found = {m: due[int(key.split(":")[2])].timestamp() for m, key in rows}
    engine.dispose()
    return found


def sent_rows(url: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENT)
        )
    engine.dispose()
    return count or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--messages", type=int, default=5_000)
    parser.add_argument("--spread", type=float, default=10.0, help="seconds the steps fall due in")
    parser.add_argument("--concurrency", type=int, default=2, help="prefork processes")
    parser.add_argument("--lead", type=float, default=5.0, help="seconds until the first is due")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPUs")  # noqa: TID251
    sink = Sink()
    sink.controller.start()
    stack = make_stack("outreach-send", sink)
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
            # Enrolled an hour ahead, so that nothing is due before the due times are set below.
            planned = enrol_all(strategy_id, clock.now() + timedelta(hours=1))
            enrolled = db.session.scalar(select(func.count()).select_from(Enrolment))
        # The processes start before the steps fall due: a busy machine takes seconds to start
        # a worker, which is not what this measures.
        worker = stack.worker("worker", args.concurrency)
        stack.processes.append(start_clock(stack.env, stack.folder / "clock.log"))
        first_due = SystemClock().now() + timedelta(seconds=args.lead)
        with app.app_context():
            spread_due_times(planned, first_due, args.spread)
        cpu_before = group_cpu(worker)
        print(
            f"\n== outreach send: {enrolled} enrolled, {planned} first steps due within "
            f"{args.spread:g} s from {args.lead:g} s on; 1 worker x {args.concurrency} processes "
            f"+ clock on {stack.url.split(':')[0]}; load before {load()}"
        )
        wait_for(lambda: sink.count() >= planned, timeout=planned / 10 + 120)
        time.sleep(0.5)  # the sink may still be recording the last answer
        arrivals = sink.snapshot()
        cpu = group_cpu(worker) - cpu_before
        due = due_by_message(stack.url)
        lateness = [at - due[message_id] for at, message_id in arrivals if message_id in due]
        last = max(at for at, _ in arrivals)
        start = first_due.timestamp()
        print(
            f"arrived {len(arrivals)} / {planned} ({len(set(m for _, m in arrivals))} distinct), "
            f"rows sent {sent_rows(stack.url)}; duplicates by Message-ID {duplicates(arrivals)}"
        )
        print(
            f"first due to last arrival {last - start:.2f} s: "
            f"{len(arrivals) / (last - start):.0f} messages/s; lateness at the server "
            f"p50 {percentile(lateness, 50):.3f} s, p95 {percentile(lateness, 95):.3f} s, "
            f"max {max(lateness):.3f} s; load after {load()}"
        )
        print(
            f"worker CPU {cpu:.1f} s: {cpu / len(arrivals) * 1000:.2f} ms per message (due step "
            f"and send), {len(arrivals) / cpu:.0f} messages/s per busy core"
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
