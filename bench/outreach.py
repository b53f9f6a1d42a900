"""Outreach enrolment benchmark: enrol a segment of N customers in a strategy and plan each
one's first step, as the `outreach.enrol` task does (chunks of 2,000, one commit each); then
claim the first 500 due steps as the clock would. Prints the time of each part.

    python -m bench.outreach --customers 100000                 # a fresh SQLite file
    python -m bench.outreach --customers 100000 --postgresql    # a private PostgreSQL cluster
    DATABASE_URL=postgresql+psycopg://… python -m bench.outreach …

The customers are spread over three time zones, each with an email address, an email consent
and the tag the strategy's segment filters on; 1 % are on the suppression list and 1 % never
gave consent, so the eligibility checks have something to exclude. The holdout is 10 %.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, insert, select

from models import (
    Channel,
    Consent,
    Customer,
    DueStep,
    EmailSuppression,
    Enrolment,
    Strategy,
    StrategyStatus,
    Tag,
    customer_tags,
)
from tests.services import PostgresServer, RedisServer
from web import create_app
from web.extensions import db
from workflows.customers import segments
from workflows.customers.queries import CustomerFilter
from workflows.outreach import activation, due_steps, strategies
from workflows.platform.clock import SystemClock

ZONES = ("America/New_York", "Europe/Berlin", "Asia/Tokyo")
CHUNK = 5_000


def seed(count: int) -> None:
    now = datetime.now(UTC)  # noqa: TID251 (benchmarks measure real time)
    tag_id = db.session.execute(insert(Tag).returning(Tag.id), [{"name": "bench"}]).scalar_one()
    for start in range(0, count, CHUNK):
        numbers = range(start, min(start + CHUNK, count))
        ids = (
            db.session.execute(
                insert(Customer).returning(Customer.id, sort_by_parameter_order=True),
                [
                    {
                        "name": f"Customer {n}",
                        "primary_email": f"c{n}@example.com",
                        "time_zone": ZONES[n % 3],
                        "custom": {},
                        "created_at": now,
                        "updated_at": now,
                        "version": 1,
                    }
                    for n in numbers
                ],
            )
            .scalars()
            .all()
        )
        db.session.execute(
            insert(customer_tags), [{"customer_id": i, "tag_id": tag_id} for i in ids]
        )
        db.session.execute(
            insert(Consent),
            [
                {
                    "customer_id": i,
                    "channel": Channel.EMAIL,
                    "is_granted": True,
                    "at": now,
                    "method": "bench",
                }
                for n, i in zip(numbers, ids, strict=True)
                if n % 100 != 1
            ],
        )
        suppressed = [
            {"email": f"c{n}@example.com", "reason": "bounced", "created_at": now}
            for n in numbers
            if n % 100 == 2
        ]
        if suppressed:
            db.session.execute(insert(EmailSuppression), suppressed)
        db.session.commit()


def strategy(clock: SystemClock) -> Strategy:
    segment = segments.create_segment(
        db.session, "bench", CustomerFilter(tag="bench"), owner_id=None, clock=clock
    )
    steps = [
        {
            "channel": "email",
            "subject": f"Step {i}",
            "body": "Hello {{ customer.first_name }}",
            "delay": {"amount": 0 if i == 0 else 2, "unit": "calendar_days"},
        }
        for i in range(3)
    ]
    made = strategies.create(
        db.session,
        {
            "name": "bench",
            "definition": {
                "audience": {"kind": "segment", "segment_id": segment.id},
                "steps": steps,
                "window": {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"},
                "holdout_percent": 10,
            },
        },
        actor_id=None,
        clock=clock,
    )
    # Active without the transition: the benchmark runs the enrolment itself, in-process.
    made.status = StrategyStatus.ACTIVE
    db.session.commit()
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--postgresql", action="store_true", help="start a private cluster")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="rapport-bench-outreach-"))
    postgres = PostgresServer().start() if args.postgresql else None
    url = (
        postgres.url
        if postgres
        else os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    )
    redis_server = RedisServer(folder / "redis").start()
    try:
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": redis_server.url,
            "RAPPORT_INSTANCE_PATH": str(folder),
        }
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "web", "db", "upgrade"],
            env=env,
            check=True,
            capture_output=True,
        )
        app = create_app(
            {
                "DATABASE_URL": url,
                "REDIS_URL": redis_server.url,
                "INSTANCE_PATH": str(folder),
                "SQLITE_IMMEDIATE": True,
            }
        )
        clock = SystemClock()
        with app.app_context():
            started = time.monotonic()
            seed(args.customers)
            print(
                f"seeded {args.customers} customers in {time.monotonic() - started:.1f} s "
                f"on {url.split(':')[0]}"
            )
            made = strategy(clock)
            print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            started = time.monotonic()
            ids = activation.audience_ids(db.session, made, clock=clock)
            activation.begin(db.session, made, len(ids))
            db.session.commit()
            audience_s = time.monotonic() - started
            for start in range(0, len(ids), activation.CHUNK):
                activation.enrol_chunk(
                    db.session, made, ids[start : start + activation.CHUNK], clock=clock
                )
                db.session.commit()
            activation.finish(db.session, made)
            db.session.commit()
            total = time.monotonic() - started
            enrolled = db.session.scalar(select(func.count()).select_from(Enrolment))
            planned = db.session.scalar(select(func.count()).select_from(DueStep))
            print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
            print(f"audience of {len(ids)} evaluated in {audience_s:.2f} s")
            print(
                f"enrolled {enrolled} and planned {planned} first steps in {total:.1f} s "
                f"({enrolled / total:,.0f} enrolments/s)"
            )
            started = time.monotonic()
            again = 0
            for start in range(0, len(ids), activation.CHUNK):
                again += activation.enrol_chunk(
                    db.session, made, ids[start : start + activation.CHUNK], clock=clock
                )["already"]
                db.session.commit()
            print(
                f"planning again: {again} already enrolled, nothing new, in "
                f"{time.monotonic() - started:.1f} s"
            )
            started = time.monotonic()
            claimed = due_steps.claim_due(db.session, clock=clock)
            db.session.commit()
            print(
                f"clock claim of {len(claimed)} due steps in "
                f"{(time.monotonic() - started) * 1000:.0f} ms"
            )
            for engine in db.engines.values():
                engine.dispose()
    finally:
        redis_server.stop()
        if postgres:
            postgres.stop()


if __name__ == "__main__":
    main()
