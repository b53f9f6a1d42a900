"""Report endpoints under load: seed 100,000 requirements (with their transition events and SLA
clocks, as the workflows would have written them; sales opportunities with amounts, currencies
and expected close dates) and 300,000 transactions, then time every report and chart endpoint.

    export DATABASE_URL=sqlite:////tmp/bench-reports/rapport.sqlite3   # or postgresql://…
    flask --app web db upgrade
    python -m bench.reports --seed            # bulk inserts, then measures
    python -m bench.reports                   # measures an already seeded database

Seeding is this module's own (`seed_reports`), separate from `bench/seed.py`. It refuses a
database that already has requirements, is deterministic (seeded random) and spreads the
rows over the last 180 days before now. Each endpoint is called in-process through the Flask
test client with an API token (routing, authentication, the SQL, JSON encoding; no network, no
gunicorn), `--requests` times after two warm-up calls; p50 and p95 are printed in ms.
"""

import argparse
import json
import os
import random
import statistics
import time
from datetime import datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from models import (
    Customer,
    Metric,
    Organisation,
    Requirement,
    RequirementEvent,
    Role,
    SlaClock,
    SlaStatus,
    Team,
    Transaction,
    User,
)
from web import create_app
from web.extensions import db
from workflows.customers import sales_rollups
from workflows.platform import accounts
from workflows.platform.clock import ManualClock, SystemClock
from workflows.tracking import breach_causes, calendars, sla_policies
from workflows.tracking.requirements import DONE_STATES

DAYS = 180
CHUNK = 5_000
CATEGORIES = [("billing", 35), ("delivery", 25), ("login", 15), ("returns", 10), ("other", 15)]
PRIORITIES = [("low", 10), ("normal", 65), ("high", 20), ("urgent", 5)]
CAUSES = [(c, w) for c, w in zip(breach_causes.CAUSES, (3, 4, 30, 25, 18, 20), strict=True)]
ENDPOINTS = [
    ("support, last 28 days", "/api/v1/reports/support"),
    ("support, 90 days", "/api/v1/reports/support?start={d90}"),
    ("support, 180 days, one team", "/api/v1/reports/support?start={d180}&team_id={team}"),
    ("support, 28 days, priority high", "/api/v1/reports/support?priority=high"),
    ("sales, last 28 days", "/api/v1/reports/sales"),
    ("sales, 180 days", "/api/v1/reports/sales?start={d180}"),
    *[
        (f"pareto {d}, 90 days", f"/api/v1/reports/pareto?dimension={d}&start={{d90}}")
        for d in (
            "requirements_by_category",
            "requirements_by_customer",
            "requirements_by_organisation",
            "breaches_by_cause",
            "revenue_by_customer",
            "revenue_by_organisation",
        )
    ],
    ("support page (HTML)", "/reports/support"),
]


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]


def _flush(table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        if db.session.get_bind().dialect.name == "postgresql":
            _copy(table.__table__, rows)
        else:
            db.session.execute(insert(table), rows)
        rows.clear()


class _Row:
    """What a column's Python default is handed (`context.get_current_parameters()`)."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.current_parameters = row

    def get_current_parameters(self) -> dict[str, Any]:
        return self.current_parameters


def _copy(table: Any, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL: the rows by `COPY … FROM STDIN` (psycopg's copy support) — an `executemany`
    of 100,000 requirements with their events and clocks took over 30 minutes under load.
    Columns the rows leave out get their Python default here, as an insert would give them."""
    names = list(dict.fromkeys(name for row in rows for name in row))  # rows may differ
    defaulted = [
        column
        for column in table.columns
        if column.name not in names and column.default is not None and not column.primary_key
    ]
    columns = [*names, *(column.name for column in defaulted)]
    cursor = db.session.connection().connection.driver_connection.cursor()
    quoted = ", ".join(f'"{name}"' for name in columns)
    with cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
        for row in rows:
            values = [row.get(name) for name in names]
            for column in defaulted:
                default = column.default.arg
                values.append(default(_Row(row)) if callable(default) else default)
            copy.write_row([_plain(value) for value in values])


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _advance_sequences() -> None:
    """COPY with explicit ids leaves the id sequences behind: move them past the rows."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for table in ("customers", "requirements", "requirement_events", "sla_clocks", "transactions"):
        db.session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 (our names)
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        )


def seed_reports(requirements: int, transactions: int, *, now: datetime) -> None:
    """Bulk-insert the data set (Core executemany in chunks, COPY on PostgreSQL); prints how
    long each part took."""
    if db.session.scalar(select(func.count()).select_from(Requirement)):
        raise SystemExit("This database has requirements already; seed an empty one.")
    rng = random.Random(14)
    started = time.perf_counter()
    clock = ManualClock(now - timedelta(days=DAYS + 1))
    team_ids = [
        accounts.create_team(db.session, f"Bench team {n}", clock=clock).id for n in range(3)
    ]
    agents = [
        accounts.create_user(
            db.session,
            email=f"bench-agent-{n}@example.com",
            name=f"Bench agent {n}",
            password="bench password 1",  # noqa: S106 (a throwaway benchmark account)
            role=Role.AGENT,
            clock=clock,
        ).id
        for n in range(12)
    ]
    calendar = calendars.create(
        db.session,
        {
            "name": "Bench 24/7",
            "time_zone": "UTC",
            "periods": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
        },
        clock=clock,
    )
    policy = sla_policies.create(
        db.session,
        {
            "name": "Bench policy",
            "calendar_id": calendar.id,
            "targets": {"default": {"first_response": 3600, "resolution": 8 * 3600}},
        },
        actor=None,
        clock=clock,
    )
    version_id = policy.current_version_id
    db.session.flush()
    orgs = []
    for n in range(500):
        orgs.append(
            {
                "name": f"Org {n}",
                "name_key": f"org {n}",  # as organisations.name_key folds it
                "custom": {},
                "created_at": clock.now(),
                "updated_at": clock.now(),
                "version": 1,
            }
        )
    db.session.execute(insert(Organisation), orgs)
    org_ids = list(db.session.scalars(select(Organisation.id)))
    customers = []
    for n in range(20_000):
        customers.append(
            {
                "name": f"Bench customer {n}",
                "organisation_id": rng.choice(org_ids) if rng.random() < 0.6 else None,
                "custom": {},
                "created_at": clock.now(),
                "updated_at": clock.now(),
                "version": 1,
            }
        )
        if len(customers) >= CHUNK:
            _flush(Customer, customers)
    _flush(Customer, customers)
    customer_ids = list(db.session.scalars(select(Customer.id)))
    # A few customers bring most of the requirements and the revenue (Pareto-like).
    weights = [1 / (rank + 1) ** 0.8 for rank in range(len(customer_ids))]
    print(f"set-up: {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    next_id = 1
    reqs: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    clocks: list[dict[str, Any]] = []
    customer_draws = rng.choices(customer_ids, weights=weights, k=requirements)
    # Opportunities' value and expected close (the pipeline query), from a generator of their
    # own so every other figure of the data set stays as it was.
    deals = random.Random(41)
    for n in range(requirements):
        created = now - timedelta(seconds=rng.uniform(0, DAYS * 86400))
        sales = rng.random() < 0.1
        row, steps = (_sales if sales else _support)(rng, created, now)
        rid = next_id
        next_id += 1
        reqs.append(
            {
                "id": rid,
                "customer_id": customer_draws[n],
                "title": f"Bench requirement {n}",
                "category": _pick(rng, CATEGORIES),
                "priority": _pick(rng, PRIORITIES),
                "assignee_id": rng.choice(agents) if row["state"] != "new" else None,
                "team_id": rng.choice(team_ids),
                "tags": [],
                "workflow": "sales" if sales else "support",
                "state_seq": len(steps),
                "extra": {},
                "created_at": created,
                "updated_at": created,
                "sla_policy_version_id": None if sales else version_id,
                # As `requirements._record` sets them with each event.
                "was_resolved": any(
                    state in DONE_STATES and state != before
                    for (_, state, _), before in zip(
                        steps, [None, *(s[1] for s in steps)], strict=False
                    )
                ),
                "was_reopened": any(trigger == "reopen" for trigger, _, _ in steps),
                "timer_seq": 0,
                "follow_up_seq": 0,
                "version": 1,
                **(_deal(deals, created) if sales else NO_DEAL),
                **row,
            }
        )
        before = None
        for trigger, state, at in steps:
            events.append(
                {
                    "requirement_id": rid,
                    "at": at,
                    "trigger": trigger,
                    "from_state": before,
                    "to_state": state,
                }
            )
            before = state
        if not sales:
            clocks += _clocks(rng, rid, version_id, created, row, now)
        if len(reqs) >= CHUNK:
            _flush(Requirement, reqs)
            _flush(RequirementEvent, events)
            _flush(SlaClock, clocks)
    _flush(Requirement, reqs)
    _flush(RequirementEvent, events)
    _flush(SlaClock, clocks)
    print(
        f"{requirements:,} requirements with events and clocks: "
        f"{time.perf_counter() - started:.1f} s"
    )

    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    buyers = rng.choices(customer_ids, weights=weights, k=transactions)
    kinds = [("payment", 60), ("order", 20), ("invoice", 15), ("refund", 5)]
    for n in range(transactions):
        rows.append(
            {
                "customer_id": buyers[n],
                "kind": _pick(rng, kinds),
                "status": "completed",
                "amount": Decimal(rng.randint(500, 500_000)) / 100,
                "currency": "EUR" if rng.random() < 0.7 else "USD",
                "occurred_on": (now - timedelta(days=rng.randint(0, 2 * 365))).date(),
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
        if len(rows) >= CHUNK:
            _flush(Transaction, rows)
    _flush(Transaction, rows)
    # The sales report's rollups, as the workflows keep them for each write.
    _advance_sequences()
    sales_rollups.rebuild(db.session)
    db.session.commit()
    print(f"{transactions:,} transactions: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    # Planner statistics: without them SQLite walks a status index over every clock instead of
    # starting from the requirements in the range (see bench/README.md).
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    print(f"ANALYZE: {time.perf_counter() - started:.1f} s")


NO_DEAL = {"amount": None, "currency": None, "expected_close_on": None}


def _deal(rng: random.Random, created: datetime) -> dict[str, Any]:
    """Mostly EUR, a quarter USD, a few JPY; 10 % without an amount, 5 % without a close date
    (14 to 180 days after opening, so older open ones are overdue)."""
    currency = _pick(rng, [("EUR", 70), ("USD", 25), ("JPY", 5)])
    units = rng.randint(10, 2000) * 50
    amount = Decimal(units * 100) if currency == "JPY" else Decimal(units)
    return {
        "amount": amount if rng.random() > 0.1 else None,
        "currency": currency,
        "expected_close_on": (created + timedelta(days=rng.randint(14, 180))).date()
        if rng.random() > 0.05
        else None,
    }


def _support(rng: random.Random, created: datetime, now: datetime) -> tuple[dict, list]:
    steps = [("open", "new", created)]
    at = created + timedelta(minutes=rng.expovariate(1 / 40))
    if at > now or rng.random() < 0.03:
        return {"state": "new"}, steps
    steps.append(("assign", "open", at))
    if rng.random() < 0.25:
        at += timedelta(hours=rng.expovariate(1 / 3))
        steps.append(("ask_customer", "waiting_on_customer", at))
        at += timedelta(hours=rng.expovariate(1 / 20))
        steps.append(("customer_replied", "open", at))
    at += timedelta(hours=rng.expovariate(1 / 12))
    if at > now or rng.random() < 0.05:
        return {"state": steps[-1][1]}, [s for s in steps if s[2] <= now]
    steps.append(("resolve", "resolved", at))
    resolved = at
    if rng.random() < 0.06 and at + timedelta(hours=30) < now:
        at += timedelta(hours=rng.uniform(2, 30))
        steps.append(("reopen", "open", at))
        at += timedelta(hours=rng.expovariate(1 / 6))
        steps.append(("resolve", "resolved", at))
        resolved = at
    if at + timedelta(days=3) < now:
        steps.append(("auto_close", "closed", at + timedelta(days=3)))
    steps = [s for s in steps if s[2] <= now]
    return {"state": steps[-1][1], "resolved_at": resolved if resolved <= now else None}, steps


def _sales(rng: random.Random, created: datetime, now: datetime) -> tuple[dict, list]:
    steps = [("open", "lead", created)]
    at = created
    for trigger, state, chance in (
        ("qualify", "qualified", 0.7),
        ("propose", "proposal", 0.6),
        ("negotiate", "negotiation", 0.6),
    ):
        at += timedelta(days=rng.uniform(0.5, 6))
        if rng.random() > chance:
            steps.append(("lose", "lost", at))
            break
        steps.append((trigger, state, at))
    else:
        at += timedelta(days=rng.uniform(0.5, 6))
        won = rng.random() < 0.5
        steps.append(("win" if won else "lose", "won" if won else "lost", at))
    steps = [s for s in steps if s[2] <= now]
    return {"state": steps[-1][1]}, steps


def _clocks(
    rng: random.Random, rid: int, version_id: int, created: datetime, row: dict, now: datetime
) -> list[dict[str, Any]]:
    found = []
    for metric, target in ((Metric.FIRST_RESPONSE, 3600), (Metric.RESOLUTION, 8 * 3600)):
        elapsed = int(rng.expovariate(1 / (target * 0.6)))
        done = row["state"] in ("resolved", "closed") or (
            metric == Metric.FIRST_RESPONSE and row["state"] != "new"
        )
        breached = elapsed > target
        found.append(
            {
                "requirement_id": rid,
                "policy_version_id": version_id,
                "metric": metric,
                "cycle": 1,
                "status": SlaStatus.MET
                if done
                else (SlaStatus.BREACHED if breached else SlaStatus.RUNNING),
                "target_seconds": target,
                "used_seconds": elapsed if done else 0,
                "started_at": created,
                "running_since": None if done else created,
                "due_at": None if done else created + timedelta(seconds=target),
                "met_at": created + timedelta(seconds=elapsed) if done else None,
                "breached_at": created + timedelta(seconds=target) if breached else None,
                "rung": rng.choice([1, 1, 2]) if breached else 0,
                "acknowledged_rung": 0,
                "plan_seq": 1,
                "history": [],
                "elapsed_seconds": elapsed if done else None,
                "breach_cause": _pick(rng, CAUSES) if breached else None,
            }
        )
    return found


def measure(requests: int) -> None:
    app = create_app()
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == "bench-reports@example.com"))
        if admin is None:
            admin = accounts.create_user(
                db.session,
                email="bench-reports@example.com",
                name="Bench reports",
                password="bench password 1",  # noqa: S106 (a throwaway benchmark account)
                role=Role.ADMIN,
                clock=SystemClock(),
            )
        token = accounts.issue_token(db.session, admin, "bench", clock=SystemClock()).secret
        team = db.session.scalar(select(Team.id).order_by(Team.id)) or 1
        counts = {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (
                ("requirements", Requirement),
                ("events", RequirementEvent),
                ("clocks", SlaClock),
                ("transactions", Transaction),
            )
        }
        db.session.commit()
        dialect = db.engine.dialect.name
    print(f"{dialect}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    today = SystemClock().now().date()  # UTC, as the API token user here is
    values = {
        "d90": (today - timedelta(days=89)).isoformat(),
        "d180": (today - timedelta(days=179)).isoformat(),
        "team": team,
    }
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    signed_in = app.test_client()
    _sign_in(signed_in, app)
    # CPU time of this process per call: on SQLite that is the whole work (the database runs
    # in-process) and does not grow when other processes compete for the cores.
    server = _server_processes(app)
    print(
        f"{'endpoint':<50} {'p50 ms':>8} {'p95 ms':>8} {'cpu p50':>8}"
        + (f" {'db cpu p50':>10}" if server else "")
    )
    for name, template in ENDPOINTS:
        path = template.format(**values)
        caller = signed_in if not path.startswith("/api/") else client
        timings, cpu, db_cpu = [], [], []
        for n in range(requests + 2):
            began, began_cpu = time.perf_counter(), time.process_time()
            began_db = _cpu_ms(server) if server else 0.0
            response = caller.get(path, headers=headers if caller is client else {})
            took = (time.perf_counter() - began) * 1000
            if n >= 2:
                cpu.append((time.process_time() - began_cpu) * 1000)
                if server:
                    db_cpu.append(_cpu_ms(server) - began_db)
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code} {response.get_data()[:300]!r}")
            if n >= 2:
                timings.append(took)
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        print(
            f"{name:<50} {statistics.median(timings):8.1f} {p95:8.1f} {statistics.median(cpu):8.1f}"
            + (f" {statistics.median(db_cpu):10.1f}" if server else "")
        )


def _server_processes(app: Any) -> int | None:
    """PostgreSQL on this machine: the postmaster's pid, whose children's CPU time (`db cpu`)
    is the server's work per call — wall time on crowded cores is mostly waiting. None when
    the server is elsewhere or unreadable."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            return None
        try:
            directory = db.session.scalar(text("SHOW data_directory"))
            db.session.commit()
            with open(os.path.join(directory, "postmaster.pid")) as pid_file:
                pid = int(pid_file.readline())
            _cpu_ms(pid)
        except (OSError, ValueError, SQLAlchemyError):
            db.session.rollback()
            return None
    return pid


def _cpu_ms(postmaster: int) -> float:
    """User + system CPU of the postmaster's children (the backends), in ms."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:  # ppid
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


def _sign_in(client: Any, app: Any) -> None:
    """The HTML page needs a signed-in session: log in through the form like a person."""
    import re

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html).group(1)
    client.post(
        "/login",
        data={
            "email": "bench-reports@example.com",
            "password": "bench password 1",
            "csrf_token": token,
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", action="store_true", help="seed an empty database first")
    parser.add_argument("--seed-only", action="store_true", help="seed, do not measure")
    parser.add_argument("--requirements", type=int, default=100_000)
    parser.add_argument("--transactions", type=int, default=300_000)
    parser.add_argument("--requests", type=int, default=30, help="timed calls per endpoint")
    args = parser.parse_args()
    if "DATABASE_URL" not in os.environ:
        raise SystemExit("Set DATABASE_URL to the benchmark database.")
    if args.seed or args.seed_only:
        app = create_app()
        with app.app_context():
            seed_reports(args.requirements, args.transactions, now=SystemClock().now())
    if not args.seed_only:
        measure(args.requests)


if __name__ == "__main__":
    main()
