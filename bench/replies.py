"""Reply latency: the time from an agent pressing "Send" on the requirement page to the outside
SMTP server receiving the message, through the real path — the page's POST (validation, the
communication, the outbox row with its thread headers, the response clock, commit), the publish
to Redis, a real Celery worker claiming and sending the row over SMTP.

    python -m bench.replies                      # 200 replies, one at a time, fresh SQLite
    python -m bench.replies --replies 500 --requirements 50
    DATABASE_URL=postgresql+psycopg://… python -m bench.replies

The SMTP server is an aiosmtpd controller in this process on a free port of 127.0.0.1 that
notes when each Message-ID arrives; the worker is one `--pool=solo` process as in the tests.
Replies go one at a time (the next "Send" after the previous message arrived) round-robin over
`--requirements` requirements, so each thread's References grows as in real use. Prints p50,
p95, p99 and max of "Send → page answered" and "Send → SMTP server received".
"""

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select

from bench.timers import percentile
from models import Communication, Role
from tests.services import RedisServer, free_port, start_worker
from web import create_app
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import accounts
from workflows.tracking import requirements

PASSWORD = "bench password 42"  # noqa: S105 (a throwaway user of a throwaway database)


class Arrivals:
    """When each Message-ID reached the SMTP server (time.monotonic())."""

    def __init__(self) -> None:
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message_id = message_from_bytes(envelope.content)["Message-ID"]
        with self.lock:
            self.at.setdefault(message_id, time.monotonic())
        return "250 Message accepted for delivery"

    def get(self, message_id: str) -> float | None:
        with self.lock:
            return self.at.get(message_id)


def seed(app: Any, count: int) -> tuple[str, list[int]]:
    with app.app_context():
        clock = current_clock()
        agent = accounts.create_user(
            db.session,
            email="bench-agent@example.com",
            name="Bench Agent",
            password=PASSWORD,
            role=Role.AGENT,
            time_zone="UTC",
            clock=clock,
        )
        ids = []
        for n in range(count):
            customer = profiles.create_customer(
                db.session,
                {"name": f"Customer {n}", "emails": f"customer{n}@example.com"},
                actor_id=None,
                clock=clock,
            )
            req = requirements.open_requirement(
                db.session,
                customer_id=customer.id,
                title=f"Question {n}",
                clock=clock,
                actor=agent,
                assignee_id=agent.id,
            )
            requirements.fire(db.session, req, "assign", actor=agent, clock=clock)
            ids.append(req.id)
        db.session.commit()
        return agent.email, ids


def main() -> None:
    parser = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    parser.add_argument("--replies", type=int, default=200)
    parser.add_argument("--requirements", type=int, default=20)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="rapport-bench-replies-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    redis_server = RedisServer(folder / "redis").start()
    arrivals = Arrivals()
    smtp_port = free_port()
    controller = Controller(arrivals, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REDIS_URL": redis_server.url,
        "RAPPORT_INSTANCE_PATH": str(folder),
        "RAPPORT_SMTP_PORT": str(smtp_port),
        "PYTHONUNBUFFERED": "1",
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
            "SMTP_PORT": smtp_port,
            "WTF_CSRF_ENABLED": False,  # the page's form without scraping its token each time
        }
    )
    email, requirement_ids = seed(app, args.requirements)
    worker = start_worker(env, folder / "worker.log")
    answered: list[float] = []
    received: list[float] = []
    try:
        client = app.test_client()
        login = client.post("/login", data={"email": email, "password": PASSWORD})
        assert login.status_code == 302, login.status_code  # noqa: S101
        for n in range(args.replies):
            rid = requirement_ids[n % len(requirement_ids)]
            body = {"body": f"Answer {n}: see **step {n % 7}** of the guide.", "then": ""}
            start = time.monotonic()
            response = client.post(f"/requirements/{rid}/replies", data=body)
            answered.append(time.monotonic() - start)
            if response.status_code != 303:
                raise SystemExit(f"reply {n} refused: {response.status_code}")
            with app.app_context():
                message_id = db.session.scalar(
                    select(Communication.message_id).order_by(Communication.id.desc()).limit(1)
                )
            deadline = time.monotonic() + 30
            while (arrived := arrivals.get(message_id)) is None:
                if time.monotonic() > deadline:
                    raise SystemExit(f"reply {n} did not arrive within 30 s; see {folder}")
                time.sleep(0.0005)
            received.append(arrived - start)
    finally:
        worker.stop()
        controller.stop()
        redis_server.stop()
        with app.app_context():
            db.engine.dispose()

    print(
        f"{args.replies} replies over {args.requirements} requirements on {url.split(':')[0]}, "
        f"one at a time; one solo worker"
    )
    for name, values in (("Send → page answered", answered), ("Send → SMTP received", received)):
        print(
            f"{name}: p50 {percentile(values, 50) * 1000:.1f} ms, "
            f"p95 {percentile(values, 95) * 1000:.1f} ms, "
            f"p99 {percentile(values, 99) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms"
        )
    print(f"logs and database in {folder}")


if __name__ == "__main__":
    main()
