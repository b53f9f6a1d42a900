"""The test rig: real Redis, database (SQLite or PostgreSQL), SMTP server, Celery worker, clock
process and web server, started once per session on free ports and stopped afterwards.

`RAPPORT_TEST_DATABASE=postgresql` runs the suite against a private PostgreSQL cluster.
"""

import os
import re
import smtplib
import threading
import time
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from aiosmtpd.controller import Controller
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.serving import make_server

from models import Base, Role, User
from tests.services import (
    PostgresServer,
    Process,
    RedisServer,
    free_port,
    start_clock,
    start_worker,
    wait_until,
)
from web import create_app
from web.extensions import db
from workflows.customers import stages
from workflows.platform import accounts
from workflows.platform.clock import SystemClock

DATABASE_KIND = os.environ.get("RAPPORT_TEST_DATABASE", "sqlite")
PASSWORD = "correct horse battery"  # test users' password


def pytest_configure(config: pytest.Config) -> None:
    # The .mo files are build output: compile them, so a test run right after editing a .po
    # (without bin/install) renders the translations that are checked in.
    from web.catalogue import compile_all

    compile_all()


# ---------------------------------------------------------------- services


@pytest.fixture(scope="session")
def services_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("services")


@pytest.fixture(scope="session")
def redis_server(services_dir: Path) -> Iterator[RedisServer]:
    server = RedisServer(services_dir / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def database_url(services_dir: Path) -> Iterator[str]:
    if DATABASE_KIND == "postgresql":
        server = PostgresServer().start()
        yield server.url
        server.stop()
    elif DATABASE_KIND == "sqlite":
        yield f"sqlite:///{services_dir / 'rapport-test.sqlite3'}"
    else:
        raise pytest.UsageError(f"RAPPORT_TEST_DATABASE={DATABASE_KIND}: use sqlite or postgresql")


# Recipients the test SMTP server refuses, as a real server would: no such mailbox (5xx) or a
# mailbox over its rate (4xx).
REFUSED_LOCAL_PART = "refused"
DEFERRED_LOCAL_PART = "busy"


class RecordingHandler:
    """Keeps every message the SMTP server accepts; tests read them from any thread."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.arrived_at: list[float] = []  # wall-clock time.time() of each message
        self.peers: list[Any] = []  # the client's (host, port) of each: one per connection
        self.envelopes: list[list[str]] = []  # the accepted recipients of each
        self.lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        local_part = address.split("@", 1)[0]
        if local_part.startswith(REFUSED_LOCAL_PART):
            return "550 5.1.1 No such mailbox"
        if local_part.startswith(DEFERRED_LOCAL_PART):
            return "451 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
            self.arrived_at.append(time.time())
            self.peers.append(session.peer)
            self.envelopes.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.arrived_at.clear()
            self.peers.clear()
            self.envelopes.clear()

    def arrivals(self) -> list[tuple[float, Message]]:
        with self.lock:
            return list(zip(self.arrived_at, self.messages, strict=True))

    def received(self) -> list[Message]:
        with self.lock:
            return list(self.messages)


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[RecordingHandler, int]]:
    handler = RecordingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    ALLOWED_SMTP_PORTS.add(port)
    yield handler, port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server: tuple[RecordingHandler, int]) -> RecordingHandler:
    handler, _ = smtp_server
    handler.clear()
    return handler


ALLOWED_SMTP_PORTS: set[int] = set()


@pytest.fixture(autouse=True)
def _no_stray_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test process may talk SMTP only to our recording server (Indico's `disallow.py`)."""
    original = smtplib.SMTP.connect

    def guarded(self: smtplib.SMTP, host: str = "localhost", port: int = 0, *args: Any) -> Any:
        if int(port) not in ALLOWED_SMTP_PORTS:
            raise AssertionError(f"unexpected SMTP connection to {host}:{port}")
        return original(self, host, port, *args)

    monkeypatch.setattr(smtplib.SMTP, "connect", guarded)


# ---------------------------------------------------------------- the app


@pytest.fixture(scope="session")
def app_config(
    services_dir: Path,
    redis_server: RedisServer,
    database_url: str,
    smtp_server: tuple[RecordingHandler, int],
) -> dict[str, Any]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
        "SMTP_PORT": smtp_server[1],
        "INSTANCE_PATH": str(services_dir / "instance"),
        "VISIBILITY_TIMEOUT": 5,
        "CLOCK_INTERVAL": 0.2,
        "CLOCK_STALE_AFTER": 5.0,
        "CLOCK": "offset",
        "ESCALATION_NAV_CACHE_SECONDS": 0,  # tests read the counts right after changing them
    }


def service_env(config: dict[str, Any]) -> dict[str, str]:
    """Environment that makes a worker or clock process use the same services as `config`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["DATABASE_URL"] = config["DATABASE_URL"]
    env["REDIS_URL"] = config["REDIS_URL"]
    for key in (
        "SMTP_PORT",
        "INSTANCE_PATH",
        "VISIBILITY_TIMEOUT",
        "CLOCK_INTERVAL",
        "CLOCK_STALE_AFTER",
        "CLOCK",
    ):
        env[f"RAPPORT_{key}"] = str(config[key])
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture(scope="session")
def session_app(app_config: dict[str, Any]) -> Iterator[Flask]:
    app = create_app({**app_config, "TESTING": True})
    with app.app_context():
        upgrade()  # the schema comes from the migrations, as in production
    yield app
    _dispose(app)


def _dispose(app: Flask) -> None:
    """Close pooled connections before their server stops (else GC warns about them)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


@pytest.fixture
def make_app(app: Flask, app_config: dict[str, Any]) -> Iterator[Any]:
    """Another app on the test services, with `overrides`; its connections closed afterwards."""
    made: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        other = create_app({**app_config, "TESTING": True, **overrides})
        made.append(other)
        return other

    yield make
    for other in made:
        _dispose(other)


TABLES_TO_KEEP = {"alembic_version"}


def _truncate_all(app: Flask, attempts: int = 5) -> None:
    """Empty every table. PostgreSQL may pick the TRUNCATE as the victim of a deadlock with a
    transaction a test's process (a beat, a clock, a live server) is just finishing: try again,
    or the next test starts on the last one's rows."""
    for attempt in range(attempts):
        try:
            _truncate_once(app)
            return
        except OperationalError as exc:
            if "deadlock" not in str(exc).lower() or attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))


def _truncate_once(app: Flask) -> None:
    with app.app_context():
        try:
            tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
            if db.engine.dialect.name == "postgresql":
                db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
            else:
                for table in tables:
                    db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 (our table names)
            stages.seed_defaults(db.session)  # reference data the migrations insert
            db.session.commit()
        finally:
            db.session.rollback()
            db.session.remove()


@pytest.fixture
def app(session_app: Flask, redis_server: RedisServer) -> Iterator[Flask]:
    """The app on committed data; every table and the test Redis are emptied afterwards.

    No application context stays pushed: requests must get their own (Flask-Login keeps the
    user on `g`, which a shared context would leak from one test client to another). Use
    `with app.app_context():` or the `in_app` fixture to touch the database.
    """
    client = redis_lib.Redis.from_url(redis_server.url)
    client.flushdb()
    yield session_app
    if RUNNING_WORKERS:
        _wait_for_tasks(client)
    _truncate_all(session_app)


QUEUES = ("timers", "outbox", "outreach", "default")
RUNNING_WORKERS: list[Process] = []  # the session's worker, once a test asked for it


def _wait_for_tasks(client: redis_lib.Redis, timeout: float = 30) -> None:
    """Let the worker finish what the test published before the tables are emptied under it
    (an import still running would otherwise deadlock PostgreSQL's TRUNCATE)."""

    def idle() -> bool:
        try:
            queued = sum(client.llen(queue) for queue in QUEUES)
            return queued == 0 and client.hlen("unacked") == 0
        except redis_lib.RedisError:
            return True  # the test stopped Redis: nothing more will run

    wait_until(idle, timeout=timeout, interval=0.05)


@pytest.fixture
def in_app(app: Flask) -> Iterator[Flask]:
    """The app with an application context pushed, for tests that use `db.session` directly."""
    with app.app_context():
        yield app
        db.session.remove()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def worker(session_app: Flask, app_config: dict[str, Any], services_dir: Path) -> Iterator[Process]:
    process = start_worker(service_env(app_config), services_dir / "worker.log")
    RUNNING_WORKERS.append(process)
    yield process
    RUNNING_WORKERS.remove(process)
    process.stop()


@pytest.fixture(scope="module")
def clock_process(
    session_app: Flask, app_config: dict[str, Any], services_dir: Path
) -> Iterator[Process]:
    """The clock process for one module's tests. Not for the session: left running, it would fire
    the timers that later modules plan at fixed dates now past, in the middle of their tests."""
    process = start_clock(service_env(app_config), services_dir / "clock.log")
    yield process
    process.stop()


@pytest.fixture(scope="session")
def live_server(session_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, session_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


# ---------------------------------------------------------------- data and helpers


@pytest.fixture
def make_user(app: Flask) -> Any:
    counter = iter(range(1, 10_000))

    def make(role: Role | str = Role.AGENT, **overrides: Any) -> User:
        n = next(counter)
        values = {
            "email": f"{role}{n}@example.com",
            "name": f"{str(role).capitalize()} {n}",
            "password": PASSWORD,
            "role": role,
            "time_zone": "UTC",
        }
        values.update(overrides)
        with app.app_context():
            user = accounts.create_user(db.session, clock=SystemClock(), **values)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
        return user  # detached, with its columns loaded

    return make


CSRF_RE = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'name="csrf_token" value="([^"]+)"'
)


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})
