"""A strategy's results and the reply Pareto charts at size: seed outreach strategies on a
database that already has customers and communications (`python -m bench.seed`), then time
`/api/v1/strategies/{id}/results` and `/api/v1/reports/pareto?dimension=replies_by_…`.

    export DATABASE_URL=sqlite:////tmp/bench/rapport.sqlite3   # seeded by bench.seed
    python -m bench.strategy_results --seed     # 3 strategies of 100,000 enrolments, then measure
    python -m bench.strategy_results            # measure an already seeded database

Each strategy enrols `--enrolments` customers (20 % held out), sends three email steps to the
others (the first as variant A or B), and stops 15 % of them as replied; about 1,000,000
outreach events in all at the defaults. Calls go in-process through the Flask test client with
an API token; p50/p95 are wall time, `cpu p50` this process's CPU time per call.
"""

import argparse
import os
import random
import statistics
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select

from models import (
    Customer,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    Role,
    Strategy,
    StrategyStatus,
    StrategyVersion,
    User,
)
from web import create_app
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import SystemClock

CHUNK = 10_000
DEFINITION = {
    "goal": {"kpi": "reply_rate", "days": 30},
    "holdout_percent": 20,
    "steps": [
        {
            "channel": "email",
            "subject": "A",
            "body": "A",
            "variants": [
                {"key": "A", "weight": 50, "subject": "A", "body": "A"},
                {"key": "B", "weight": 50, "subject": "B", "body": "B"},
            ],
        },
        {"channel": "email", "subject": "2", "body": "2"},
        {"channel": "sms", "body": "3"},
    ],
}


def seed(strategies: int, enrolments: int) -> None:
    rng = random.Random(13)
    now = SystemClock().now()
    customer_ids = list(db.session.scalars(select(Customer.id).order_by(Customer.id)))
    if len(customer_ids) < enrolments:
        raise SystemExit(f"Only {len(customer_ids):,} customers: seed with bench.seed first.")
    for number in range(strategies):
        strategy = Strategy(
            name=f"Bench strategy {number + 1}",
            status=StrategyStatus.ACTIVE,
            created_at=now,
            updated_at=now,
        )
        db.session.add(strategy)
        db.session.flush()
        version = StrategyVersion(
            strategy_id=strategy.id, number=1, definition=DEFINITION, created_at=now
        )
        db.session.add(version)
        db.session.flush()
        strategy.current_version_id = version.id
        db.session.commit()
        chosen = rng.sample(customer_ids, enrolments)
        for start in range(0, enrolments, CHUNK):
            _chunk(rng, strategy.id, version.id, chosen[start : start + CHUNK], now)
            db.session.commit()
        print(f"strategy {strategy.id}: {enrolments:,} enrolments", flush=True)


def _chunk(rng: random.Random, strategy_id: int, version_id: int, ids: list[int], now: Any) -> None:
    rows = []
    for customer_id in ids:
        held = rng.random() < 0.2
        replied = not held and rng.random() < 0.15
        enrolled_at = now - timedelta(days=rng.uniform(1, 60))
        rows.append(
            {
                "strategy_id": strategy_id,
                "version_id": version_id,
                "customer_id": customer_id,
                "status": EnrolmentStatus.HOLDOUT
                if held
                else (EnrolmentStatus.STOPPED if replied else EnrolmentStatus.COMPLETED),
                "enrolled_at": enrolled_at,
                "steps_done": 0 if held else 3,
                "stopped_at": enrolled_at + timedelta(days=2) if replied else None,
                "stop_reason": "replied" if replied else None,
            }
        )
    made = db.session.execute(insert(Enrolment).returning(Enrolment.id), rows).scalars().all()
    events = []
    for enrolment_id, row in zip(made, rows, strict=True):
        base = {
            "enrolment_id": enrolment_id,
            "strategy_id": strategy_id,
            "customer_id": row["customer_id"],
            "at": row["enrolled_at"],
            "step_index": None,
            "variant": None,
            "channel": None,
        }
        if row["status"] == EnrolmentStatus.HOLDOUT:
            events.append({**base, "kind": "holdout"})
            continue
        events.append({**base, "kind": "enrolled"})
        for step, channel in enumerate(("email", "email", "sms")):
            events.append(
                {
                    **base,
                    "kind": "sent",
                    "at": row["enrolled_at"] + timedelta(hours=step * 12),
                    "step_index": step,
                    "variant": rng.choice("AB") if step == 0 else None,
                    "channel": channel,
                }
            )
        if row["stop_reason"]:
            events.append({**base, "kind": "stopped", "at": row["stopped_at"]})
    db.session.execute(insert(EnrolmentEvent), events)


def measure(requests: int) -> None:
    app = create_app()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.role == Role.ADMIN).limit(1))
        if admin is None:
            admin = accounts.create_user(
                db.session,
                email="bench-results@example.com",
                name="Bench results",
                password="bench password 1",  # noqa: S106 (a throwaway benchmark account)
                role=Role.ADMIN,
                clock=SystemClock(),
            )
        token = accounts.issue_token(db.session, admin, "bench", clock=SystemClock()).secret
        strategy_id = db.session.scalar(select(func.min(Strategy.id)))
        enrolled = db.session.scalar(
            select(func.count()).where(Enrolment.strategy_id == strategy_id)
        )
        events = db.session.scalar(select(func.count()).select_from(EnrolmentEvent))
        db.session.commit()
        print(
            f"{db.engine.dialect.name}: strategy {strategy_id} with {enrolled:,} enrolments; "
            f"{events:,} outreach events in all"
        )
    start = (SystemClock().now().date() - timedelta(days=89)).isoformat()
    endpoints = [
        ("strategy results", f"/api/v1/strategies/{strategy_id}/results"),
        (
            "pareto replies by channel, 90 days",
            f"/api/v1/reports/pareto?dimension=replies_by_channel&start={start}",
        ),
        (
            "pareto replies by step, 90 days",
            f"/api/v1/reports/pareto?dimension=replies_by_step&start={start}",
        ),
    ]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    print(f"{'endpoint':<40} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8}")
    for name, path in endpoints:
        timings, cpu = [], []
        for n in range(requests + 2):
            began, began_cpu = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code} {response.get_data()[:300]!r}")
            if n >= 2:  # two warm-up calls
                timings.append((time.perf_counter() - began) * 1000)
                cpu.append((time.process_time() - began_cpu) * 1000)
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        print(
            f"{name:<40} {statistics.median(timings):8.1f} {p95:8.1f} {statistics.median(cpu):8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", action="store_true", help="seed the strategies first")
    parser.add_argument("--strategies", type=int, default=3)
    parser.add_argument("--enrolments", type=int, default=100_000, help="per strategy")
    parser.add_argument("--requests", type=int, default=10, help="timed calls per endpoint")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Set DATABASE_URL to the benchmark database.")
    if args.seed:
        app = create_app()
        with app.app_context():
            seed(args.strategies, args.enrolments)
    measure(args.requests)


if __name__ == "__main__":
    main()
