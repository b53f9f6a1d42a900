"""Load test of customer and requirement pages and API lists over HTTP against gunicorn on
127.0.0.1.

    DATABASE_URL=sqlite:////tmp/bench/rapport.sqlite3 python -m bench.load

Starts a private redis-server (login rate limits) and gunicorn (`--workers`, default 2) on free
ports against DATABASE_URL (seeded with bench/seed.py), signs a bench user in (session cookie)
and gives it an API token, then measures each scenario at concurrency 1 and 8: p50/p95/p99
latency, requests/s and the gunicorn workers' CPU time per request (read from /proc: what a
request costs whatever else the machine is doing). `--direct` also times
workflows.customers.queries.list_customers in this process, without HTTP. Leaves a
`bench-load@example.com` user behind (harmless, re-used), a supervisor of the seeded team 1
when `bench.seed --requirements` made one, so the requirement pages show that team's work.
"""

import argparse
import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from models import (
    Communication,
    Customer,
    Requirement,
    Role,
    Team,
    TeamMembership,
    Transaction,
)
from workflows.customers.queries import CustomerFilter, list_customers
from workflows.platform import accounts
from workflows.platform.clock import SystemClock

EMAIL = "bench-load@example.com"
PASSWORD = "bench load password 42"  # noqa: S105 (a throwaway bench account)
SEARCH_WORD = "zephyrine"  # in ~1 % of customers (bench/seed.py)
SEEDED_TEAM = 1  # bench.seed --requirements: the team bench.profile's agent and supervisor work in


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _engine_url(url: str) -> str:
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def _credentials(url: str) -> tuple[str, int, int, int]:
    """(API token, a customer id, an owner id, an organisation id), creating the bench user."""
    engine = create_engine(_engine_url(url))
    with Session(engine) as session:
        user = accounts.find_user_by_email(session, EMAIL)
        clock = SystemClock()
        if user is None:
            user = accounts.create_user(
                session,
                email=EMAIL,
                name="Bench Load",
                password=PASSWORD,
                role=Role.SUPERVISOR,
                time_zone="UTC",
                clock=clock,
            )
        token = accounts.issue_token(session, user, "bench", clock=clock).secret
        _lead_seeded_team(session, user.id)
        session.commit()
        row = session.execute(
            select(Customer.id, Customer.owner_id, Customer.organisation_id)
            .where(Customer.organisation_id.is_not(None))
            .order_by(Customer.id)
            .offset(500)
            .limit(1)
        ).one()
    engine.dispose()
    return token, row[0], row[1], row[2]


def _lead_seeded_team(session: Session, user_id: int) -> None:
    if session.get(Team, SEEDED_TEAM) is None:
        return
    found = session.scalar(
        select(TeamMembership).where(
            TeamMembership.team_id == SEEDED_TEAM, TeamMembership.user_id == user_id
        )
    )
    if found is None:
        session.add(TeamMembership(team_id=SEEDED_TEAM, user_id=user_id, is_supervisor=True))


def _requirement_id(url: str) -> int | None:
    """An active requirement of the seeded team (the one `bench.profile` opens)."""
    engine = create_engine(_engine_url(url))
    with Session(engine) as session:
        found = session.scalar(
            select(Requirement.id)
            .where(Requirement.team_id == SEEDED_TEAM, Requirement.state == "in_progress")
            .order_by(Requirement.id)
            .limit(1)
        )
    engine.dispose()
    return found


def _workers_cpu_seconds(master_pid: int) -> float:
    """User + system CPU of the gunicorn master's children (its workers), from /proc."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        if int(fields[1]) == master_pid:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime, stime (clock ticks)
    return total / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def _services(url: str, workers: int) -> Iterator[tuple[str, int]]:
    folder = Path(tempfile.mkdtemp(prefix="rapport-bench-"))
    redis_port, web_port = _free_port(), _free_port()
    redis = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "RAPPORT_INSTANCE_PATH": str(folder),
        "RAPPORT_LOGIN_LIMIT_PER_IP": '"1000 per minute"',
    }
    web = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--no-control-socket",
            "--bind",
            f"127.0.0.1:{web_port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "web:create_app()",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{web_port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(base, "/login", {})
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base, web.pid
    finally:
        for process in (web, redis):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)


def _request(
    base: str, method: str, path: str, headers: dict[str, str], body: str | None = None
) -> tuple[int, dict[str, str], bytes]:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def _get(base: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    status, _, body = _request(base, "GET", path, headers)
    return status, body


def _sign_in(base: str) -> str:
    """The session cookie of the bench user."""
    status, headers, body = _request(base, "GET", "/login", {})
    cookie = headers.get("Set-Cookie", "").split(";")[0]
    match = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', body)
    if not match:
        raise SystemExit("no CSRF token on /login")
    form = urllib.parse.urlencode(
        {"csrf_token": match.group(1).decode(), "email": EMAIL, "password": PASSWORD}
    )
    status, headers, _ = _request(
        base,
        "POST",
        "/login",
        {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"},
        form,
    )
    if status != 302:
        raise SystemExit(f"sign-in failed with {status}")
    return headers["Set-Cookie"].split(";")[0]


def measure(call: Callable[[], None], concurrency: int, requests: int) -> dict[str, float]:
    """Run `call` `requests` times on `concurrency` threads; latency percentiles in ms."""
    for _ in range(max(3, concurrency)):
        call()  # warm-up: connections, caches, imports
    latencies: list[float] = []
    lock = threading.Lock()
    remaining = iter(range(requests))

    def worker() -> None:
        mine = []
        while True:
            with lock:
                if next(remaining, None) is None:
                    break
            started = time.perf_counter()
            call()
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "rps": len(latencies) / elapsed}


def _http_call(base: str, path: str, headers: dict[str, str]) -> Callable[[], None]:
    def call() -> None:
        status, body = _get(base, path, headers)
        if status != 200:
            raise RuntimeError(f"GET {path} -> {status}: {body[:200]!r}")

    return call


def _report(name: str, concurrency: int, figures: dict[str, float]) -> None:
    print(
        f"{name:<44} c={concurrency:<2} p50 {figures['p50']:7.1f} ms  p95 {figures['p95']:7.1f} ms"
        f"  p99 {figures['p99']:7.1f} ms  {figures['rps']:7.1f} req/s"
        f"  CPU {figures['cpu_ms']:5.1f} ms/req",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--requests", type=int, default=200, help="per scenario and concurrency")
    parser.add_argument("--direct", action="store_true", help="also time list_customers in-process")
    parser.add_argument(
        "--only",
        help="run only scenarios whose name contains this (or one of several, comma-separated);"
        " `direct`: no HTTP at all",
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("Set DATABASE_URL to a database seeded with `python -m bench.seed`.")
    token, customer_id, owner_id, org_id = _credentials(url)
    print(_dataset(url), f"| load average before: {os.getloadavg()[0]:.2f}", flush=True)
    api = {"Authorization": f"Bearer {token}"}
    word = SEARCH_WORD
    filtered = f"stage=customer&owner_id={owner_id}"
    if args.only == "direct":
        _direct(url, args.requests, owner_id, org_id)
        return
    requirement_id = _requirement_id(url)
    with _services(url, args.workers) as (base, master_pid):
        ui = {"Cookie": _sign_in(base)}
        fetch = {**ui, "X-Requested-With": "fetch"}
        scenarios = [
            ("API list (name order)", "/api/v1/customers", api),
            (f"API search q={word} (~1%)", f"/api/v1/customers?q={word}", api),
            ("API search phone '151 234'", "/api/v1/customers?q=151%20234", api),
            (f"API filtered ({filtered})", f"/api/v1/customers?{filtered}", api),
            (
                "API filtered tag=vip0, -last_contacted",
                "/api/v1/customers?tag=vip0&sort=-last_contacted_at",
                api,
            ),
            ("UI list page /customers", "/customers", ui),
            (f"UI search fragment q={word}", f"/customers?q={word}", fetch),
            (
                "UI filtered fragment stage+owner",
                f"/customers?stage=customer&owner={owner_id}",
                fetch,
            ),
            (f"UI customer 360 /customers/{customer_id}", f"/customers/{customer_id}", ui),
        ]
        if requirement_id is not None:  # seeded with --requirements
            scenarios += [
                ("UI queue: team", "/requirements?queue=team", ui),
                ("UI queue: all open", "/requirements?queue=all", ui),
                ("UI queue: mine", "/requirements?queue=mine", ui),
                (
                    f"UI requirement page /requirements/{requirement_id}",
                    f"/requirements/{requirement_id}",
                    ui,
                ),
                ("UI escalations (200 rows)", "/escalations", ui),
                ("API requirements", "/api/v1/requirements", api),
                ("API escalations", "/api/v1/escalations", api),
            ]
        for name, path, headers in scenarios:
            if args.only and not any(part in name for part in args.only.split(",")):
                continue
            call = _http_call(base, path, headers)
            for concurrency in (1, 8):
                cpu_before = _workers_cpu_seconds(master_pid)
                figures = measure(call, concurrency, args.requests)
                calls = args.requests + max(3, concurrency)  # with the warm-up
                figures["cpu_ms"] = (_workers_cpu_seconds(master_pid) - cpu_before) * 1e3 / calls
                _report(name, concurrency, figures)
    if args.direct:
        _direct(url, args.requests, owner_id, org_id)
    print(f"load average after: {os.getloadavg()[0]:.2f} (1 min)")


def _dataset(url: str) -> str:
    engine = create_engine(_engine_url(url))
    with engine.connect() as conn:
        counts = {
            t.name: conn.scalar(select(func.count()).select_from(t))
            for t in (Customer.__table__, Communication.__table__, Transaction.__table__)
        }
    engine.dispose()
    return f"{engine.dialect.name}: " + ", ".join(f"{v:,} {k}" for k, v in counts.items())


def _direct(url: str, requests: int, owner_id: int, org_id: int) -> None:
    """list_customers in this process (no HTTP, no rendering), concurrency 1."""
    engine = create_engine(_engine_url(url))
    filters: list[tuple[str, CustomerFilter]] = [
        ("direct list", CustomerFilter()),
        (f"direct search {SEARCH_WORD}", CustomerFilter(q=SEARCH_WORD)),
        ("direct filtered stage+owner", CustomerFilter(stage="customer", owner_id=owner_id)),
        ("direct filtered organisation", CustomerFilter(organisation_id=org_id)),
    ]
    for name, flt in filters:

        def call(flt: CustomerFilter = flt) -> None:
            with Session(engine) as session:
                list_customers(session, flt)

        cpu_started = time.process_time()
        figures = measure(call, 1, requests)
        # CPU seconds of this process (SQLite runs in it) per call: what one query costs
        # whatever else the machine is doing (wall-clock figures include waiting for a core).
        cpu_ms = (time.process_time() - cpu_started) * 1000 / (requests + 3)
        _report(f"{name} [cpu {cpu_ms:.1f} ms/call]", 1, figures)
    engine.dispose()


if __name__ == "__main__":
    main()
