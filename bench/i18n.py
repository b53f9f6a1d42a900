"""What translation costs when a page is rendered: the customer list and a requirement page, in
English and in Simplified Chinese, requested in-process through the Flask test client.

    python -m bench.i18n [--customers 500] [--runs 200]

It builds its own SQLite database in a temporary folder (the schema from the migrations,
`--customers` customers, one requirement with a few transitions and notes) and a private
redis-server, signs in one agent and requests each page `--runs` times per language (after a
warm-up), alternating the languages so that the machine's load falls on both alike. It prints
the median and p95 CPU milliseconds per request (`time.process_time`: steadier than wall time
on a shared machine), the wall-clock median, and the difference Chinese minus English.
"""

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from models import Role, User
from web import create_app
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import accounts
from workflows.platform.clock import SystemClock
from workflows.tracking import requirements

PASSWORD = "bench password 123"  # noqa: S105 (a throwaway bench account)
LANGUAGES = ("en", "zh_Hans")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _redis(folder: Path) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
         "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        time.sleep(0.3)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait()


def _seed(app: Flask, customers: int) -> tuple[str, int]:
    clock = SystemClock()
    with app.app_context():
        upgrade()
        agent = accounts.create_user(
            db.session,
            email="bench-i18n@example.com",
            name="Bench Agent",
            password=PASSWORD,
            role=Role.AGENT,
            clock=clock,
        )
        first = None
        for n in range(customers):
            customer = profiles.create_customer(
                db.session,
                {"name": f"客户 {n} Customer", "emails": f"c{n}@example.com"},
                actor_id=agent.id,
                clock=clock,
            )
            first = first or customer
        requirement = requirements.open_requirement(
            db.session,
            customer_id=first.id,
            title="Invoice missing 发票丢失",
            clock=clock,
            actor=agent,
            assignee_id=agent.id,
            assign_now=True,
        )
        requirements.fire(db.session, requirement, "start", actor=agent, clock=clock)
        requirements.fire(db.session, requirement, "ask_customer", actor=agent, clock=clock)
        requirements.fire(db.session, requirement, "customer_replied", actor=agent, clock=clock)
        db.session.commit()
        return agent.email, requirement.id


def _sign_in(client: FlaskClient, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code != 302:
        raise SystemExit(f"signing in failed: {response.status_code}")


def _set_language(app: Flask, email: str, language: str) -> None:
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == email))
        accounts.set_language(db.session, user, language)
        db.session.commit()


def _measure(client: FlaskClient, path: str) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"{path}: {response.status_code}")
    response.get_data()
    return (time.process_time() - cpu) * 1e3, (time.perf_counter() - wall) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=500)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="rapport-bench-i18n-"))
    with _redis(folder) as redis_url:
        os.environ.pop("DATABASE_URL", None)
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite3'}",
                "REDIS_URL": redis_url,
                "INSTANCE_PATH": str(folder),
            }
        )
        started = time.perf_counter()
        email, requirement_id = _seed(app, args.customers)
        print(f"seeded {args.customers:,} customers in {time.perf_counter() - started:.1f} s")
        pages = {
            "customer list": "/customers",
            "requirement page": f"/requirements/{requirement_id}",
        }
        clients = {}
        for language in LANGUAGES:
            _set_language(app, email, language)
            clients[language] = client = app.test_client()
            _sign_in(client, email)
        _set_language(app, email, None)  # each client now carries its language in a header
        headers = {"en": "en", "zh_Hans": "zh-CN"}
        figures: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for name, path in pages.items():
            for language in LANGUAGES:  # warm-up: templates compiled, catalogues loaded
                for _ in range(5):
                    clients[language].environ_base["HTTP_ACCEPT_LANGUAGE"] = headers[language]
                    _measure(clients[language], path)
            for _ in range(args.runs):
                for language in LANGUAGES:
                    figures.setdefault((name, language), []).append(
                        _measure(clients[language], path)
                    )
        print(f"{'page':18} {'language':8} {'CPU p50':>8} {'CPU p95':>8} {'wall p50':>9}  (ms)")
        for name in pages:
            medians = {}
            for language in LANGUAGES:
                runs = figures[(name, language)]
                cpu = sorted(c for c, _ in runs)
                medians[language] = statistics.median(cpu)
                wall = statistics.median(w for _, w in runs)
                p95 = cpu[int(len(cpu) * 0.95) - 1]
                print(f"{name:18} {language:8} {medians[language]:8.2f} {p95:8.2f} {wall:9.2f}")
            difference = medians["zh_Hans"] - medians["en"]
            share = difference / medians["en"] * 100
            print(f"{name:18} {'zh - en':8} {difference:+8.2f} ms CPU ({share:+.1f} %)")
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
