"""In-process profile of every page and API list an agent or a supervisor opens daily, against
the seeded database (`python -m bench.seed --requirements 100000`).

    DATABASE_URL=sqlite:////tmp/bench.sqlite3 python -m bench.profile [--runs 7] [--only TEXT]

Each page is requested through the Flask test client (no HTTP server, no network) signed in as
the seeded agent `bench-agent-0` (team 1) and as the seeded supervisor `bench-supervisor-0` (who
leads team 1); API lists with an API token of each. Every SQL statement is timed at the
cursor. Per page it prints: statements, SQL ms and total ms (medians over `--runs` after one
warm-up), and the plan of the slowest statement of the median run. The app's clock is fixed at
the seed's instant (`bench.seed.NOW`), so the SLA clocks are where the seed left them."""

import argparse
import os
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select, text

from bench.seed import NOW
from bench.seed_requirements import SEARCH_WORD as REQUIREMENT_WORD
from bench.seed_requirements import SUPERVISOR_ID
from models import Organisation, Requirement, Role, User
from web import create_app
from web.extensions import db
from workflows.platform import accounts
from workflows.platform.clock import ManualClock

AGENT_ID = 1000  # bench-agent-0, in team 1
CUSTOMER_WORD = "zephyrine"


@dataclass
class Statement:
    sql: str
    params: Any
    ms: float


@dataclass
class Run:
    total_ms: float
    cpu_ms: float
    statements: list[Statement] = field(default_factory=list)

    @property
    def sql_ms(self) -> float:
        return sum(s.ms for s in self.statements)


class Recorder:
    """Times every statement the engine sends while `recording`."""

    def __init__(self, app: Flask) -> None:
        self.current: list[Statement] | None = None
        with app.app_context():
            engine = db.engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(
            conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool
        ) -> None:
            conn.info.setdefault("_started", []).append(time.perf_counter())

        @event.listens_for(engine, "after_cursor_execute")
        def _after(conn: Any, cursor: Any, sql: str, params: Any, context: Any, many: bool) -> None:
            started = conn.info["_started"].pop()
            if self.current is not None:
                self.current.append(Statement(sql, params, (time.perf_counter() - started) * 1e3))

    @contextmanager
    def recording(self) -> Iterator[list[Statement]]:
        self.current = []
        try:
            yield self.current
        finally:
            self.current = None


def _plan(app: Flask, statement: Statement) -> str:
    with app.app_context():
        conn = db.engine.raw_connection()
        try:
            cursor = conn.cursor()
            if db.engine.dialect.name == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + statement.sql, statement.params)
                return "\n".join(f"    {row[3]}" for row in cursor.fetchall())
            cursor.execute("EXPLAIN " + statement.sql, statement.params)
            return "\n".join(f"    {row[0]}" for row in cursor.fetchall())
        except Exception as exc:
            return f"    (no plan: {exc})"
        finally:
            conn.close()


def _signed_in(app: Flask, user_id: int) -> tuple[FlaskClient, dict[str, str]]:
    """A test client with a session cookie for the pages and a bearer token for the API."""
    client = app.test_client()
    with app.app_context():
        user = db.session.get(User, user_id)
        if user is None:
            sys.exit(f"No user {user_id}: seed with `python -m bench.seed --requirements N`.")
        issued = accounts.issue_token(db.session, user, "bench.profile", clock=ManualClock(NOW))
        db.session.commit()
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
    return client, {"Authorization": f"Bearer {issued.secret}"}


def _targets(app: Flask) -> dict[str, int]:
    with app.app_context():
        requirement = db.session.scalars(
            select(Requirement)
            # The agent's own, so both see the same page (the action forms are for those who
            # may act on it: its assignee and the team's supervisor).
            .where(
                Requirement.team_id == 1,
                Requirement.state == "in_progress",
                Requirement.assignee_id == AGENT_ID,
            )
            .order_by(Requirement.id)
            .limit(1)
        ).one()
        organisation = db.session.scalar(select(Organisation.id).order_by(Organisation.id))
        return {
            "requirement": requirement.id,
            "customer": requirement.customer_id,
            "organisation": organisation or 1,
        }


def _created_since(days: int) -> str:
    first = (NOW - timedelta(days=days)).date().isoformat()
    return f"/requirements?queue=all&state=any&created_from={first}&created_to={NOW.date()}"


def pages(ids: dict[str, int], role: Role) -> list[tuple[str, str, bool]]:
    """(name, path, is_api) for every page and API list of a working day."""
    r, c, o = ids["requirement"], ids["customer"], ids["organisation"]
    found = [
        ("home", "/", False),
        ("notifications", "/notifications", False),
        ("bell", "/notifications/unread", False),
        ("queue: mine", "/requirements?queue=mine", False),
        ("queue: team", "/requirements?queue=team", False),
        ("queue: search", f"/requirements?queue=team&q={REQUIREMENT_WORD}", False),
        ("requirement page", f"/requirements/{r}", False),
        ("customer list", "/customers", False),
        ("customer search", f"/customers?q={CUSTOMER_WORD}", False),
        ("customer page", f"/customers/{c}", False),
        ("organisations", "/organisations/", False),
        ("organisation page", f"/organisations/{o}", False),
        ("global search: customers", f"/search?q={CUSTOMER_WORD}", False),
        ("global search: requirements", f"/search?q={REQUIREMENT_WORD}", False),
        ("search suggest", f"/search/suggest?q={CUSTOMER_WORD}", False),
        ("API requirements", "/api/v1/requirements", True),
        ("API requirements ?q", f"/api/v1/requirements?q={REQUIREMENT_WORD}", True),
        ("API requirements team", "/api/v1/requirements?team_id=1&state=open", True),
        ("API requirement events", f"/api/v1/requirements/{r}/events", True),
        ("API customers", "/api/v1/customers", True),
        ("API customers ?q", f"/api/v1/customers?q={CUSTOMER_WORD}", True),
        ("API customer timeline", f"/api/v1/customers/{c}/timeline", True),
        ("API organisations", "/api/v1/organisations", True),
    ]
    if role is Role.SUPERVISOR:
        found[2:2] = [
            ("queue: all open", "/requirements?queue=all", False),
            ("queue: all, search", f"/requirements?queue=all&q={REQUIREMENT_WORD}", False),
            # The support report's drill-down: every state, created in a range (a total counted).
            ("queue: all, created 30 days", _created_since(30), False),
            ("queue: all, created 180 days (count capped)", _created_since(180), False),
            ("queue: all, created 30 days, one team", _created_since(30) + "&team=1", False),
        ]
        found += [
            ("escalations", "/escalations", False),
            ("escalations live", "/escalations/live", False),
            ("escalation counts", "/escalations/counts", False),
            ("API escalations", "/api/v1/escalations", True),
        ]
    return found


def profile(
    app: Flask,
    recorder: Recorder,
    client: FlaskClient,
    path: str,
    headers: dict[str, str],
    runs: int,
) -> list[Run]:
    result = []
    for n in range(runs + 1):  # the first run warms caches and is dropped
        with recorder.recording() as statements:
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(path, headers=headers)
            total = (time.perf_counter() - started) * 1e3
            cpu = (time.process_time() - cpu_started) * 1e3
        if response.status_code != 200:
            sys.exit(
                f"{path}: HTTP {response.status_code}\n{response.get_data(as_text=True)[:2000]}"
            )
        if n:
            result.append(Run(total, cpu, list(statements)))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--only", default="", help="only pages whose name contains this")
    parser.add_argument("--no-plans", action="store_true")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("Set DATABASE_URL to the seeded database.")
    app = create_app({"WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    app.extensions["clock"] = ManualClock(NOW)
    recorder = Recorder(app)
    ids = _targets(app)
    with app.app_context():
        counts = {
            t: db.session.scalar(text(f"SELECT count(*) FROM {t}"))  # noqa: S608
            for t in (
                "customers",
                "communications",
                "requirements",
                "requirement_events",
                "sla_clocks",
            )
        }
    print(f"database: {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}")
    print("dataset: " + ", ".join(f"{n:,} {t}" for t, n in counts.items()))
    print(f"load average: {os.getloadavg()[0]:.1f} (1 min), runs per page: {args.runs}")
    for role, user_id in ((Role.AGENT, AGENT_ID), (Role.SUPERVISOR, SUPERVISOR_ID)):
        client, headers = _signed_in(app, user_id)
        print(f"\n== as {role.value}")
        print(f"{'page':<28} {'stmts':>5} {'SQL ms':>7} {'total ms':>8} {'CPU ms':>7}")
        for name, path, is_api in pages(ids, role):
            if args.only not in name:
                continue
            runs = profile(app, recorder, client, path, headers if is_api else {}, args.runs)
            runs.sort(key=lambda r: r.total_ms)
            median = runs[len(runs) // 2]
            print(
                f"{name:<28} {len(median.statements):>5} "
                f"{statistics.median(r.sql_ms for r in runs):>7.1f} "
                f"{statistics.median(r.total_ms for r in runs):>8.1f} "
                f"{statistics.median(r.cpu_ms for r in runs):>7.1f}"
            )
            if not args.no_plans and median.statements:
                slowest = max(median.statements, key=lambda s: s.ms)
                sql = " ".join(slowest.sql.split())
                print(
                    f"    slowest {slowest.ms:.1f} ms: {sql[:160]}{'…' if len(sql) > 160 else ''}"
                )
                print(_plan(app, slowest))


if __name__ == "__main__":
    main()
