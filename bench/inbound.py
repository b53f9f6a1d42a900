"""Inbound email benchmark: messages accepted and stored per second through the real SMTP process
(`python -m workers.inbound`) and through `POST /api/v1/inbound/email` on gunicorn, and the
parse cost per message.

    python -m bench.inbound                                   # 1,000 messages each way, SQLite
    python -m bench.inbound --messages 2000 --concurrency 8
    DATABASE_URL=postgresql+psycopg://… python -m bench.inbound  # default: a fresh SQLite file

It seeds 2 x `--messages` + 200 customers, each with a requirement waiting on them, then sends
each one reply to its signed reply address (quoted history to trim; every fifth with a 20 KiB
PDF attachment): 200 stored in-process (`deliver` and commit: the CPU cost per message), then
`--messages` by SMTP (`--concurrency` clients, one connection each), then as many by HTTP
(signed bodies, keep-alive connections, gunicorn `--workers`). Every reply is stored, matched,
moves its requirement (`customer_replied`) and lands on the timeline before its 250/201; the
counts are checked at the end of each run.
"""

import argparse
import base64
import hashlib
import hmac
import http.client
import os
import random
import shutil
import signal
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, select

from models import Communication, InboundEmail, Requirement, Role
from tests.services import RedisServer, free_port, start_inbound, wait_until
from web import create_app
from web.extensions import db
from web.inbound import receive
from workflows.channels.inbound_parse import parse
from workflows.customers import profiles
from workflows.platform import accounts
from workflows.platform.clock import SystemClock
from workflows.platform.mail_threads import reply_address
from workflows.tracking import requirements

DIRECT = 200  # messages stored in-process, for the CPU cost per message
SECRET = "bench-secret"  # noqa: S105 - a throwaway secret for a private server


def seed(app: Flask, count: int) -> list[str]:
    """`count` customers with a requirement waiting on them; their reply addresses."""
    clock = SystemClock()
    addresses = []
    with app.app_context():
        agent = accounts.create_user(
            db.session,
            email="bench-agent@example.com",
            name="Agent",
            password="bench password 1",  # noqa: S106 - a throwaway user
            role=Role.AGENT,
            clock=clock,
        )
        for n in range(count):
            customer = profiles.create_customer(
                db.session,
                {"name": f"Customer {n}", "emails": [f"c{n}@example.net"]},
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
            requirements.fire(db.session, req, "ask_customer", actor=agent, clock=clock)
            addresses.append(
                reply_address(app.config["INBOUND_ADDRESS"], f"r{req.id}", app.config["SECRET_KEY"])
            )
            if n % 200 == 199:
                db.session.commit()
        db.session.commit()
    return addresses


def message(n: int, address: str, run: str, rng: random.Random) -> bytes:
    sender = f"c{n}@example.net"
    head = (
        f"From: Customer {n} <{sender}>\r\nTo: {address}\r\nSubject: Re: Question {n}\r\n"
        f"Message-ID: <{run}-{n}@example.net>\r\nDate: Fri, 4 Dec 2026 10:00:00 +0000\r\n"
        "MIME-Version: 1.0\r\n"
    )
    text = (
        f"Thanks, that answers it ({n}).\r\n\r\nBest regards,\r\nCustomer {n}\r\n\r\n"
        "On Thu, Dec 3, 2026 at 9:00 AM Rapport <support@example.com> wrote:\r\n"
        + "> Could you send the invoice number?\r\n"
        * 20
    )
    if n % 5:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text).encode()
    pdf = base64.encodebytes(b"%PDF-1.4\n" + rng.randbytes(20 * 1024)).decode()
    pdf = pdf.replace("\n", "\r\n")
    return (
        head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
        '--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename="i.pdf"'
        "\r\nContent-Transfer-Encoding: base64\r\n\r\n" + pdf + "--b--\r\n"
    ).encode()


def in_threads(work: list[bytes], concurrency: int, send: Callable[[list[bytes]], None]) -> float:
    """Seconds to send `work` split over `concurrency` threads."""
    shares = [work[i::concurrency] for i in range(concurrency)]
    threads = [threading.Thread(target=send, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def smtp_sender(port: int, failures: list[str]) -> Callable[[list[bytes]], None]:
    def send(share: list[bytes]) -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
            for raw in share:
                to = parse_to(raw)
                try:
                    smtp.sendmail("customer@example.net", [to], raw)
                except smtplib.SMTPException as exc:
                    failures.append(str(exc))

    return send


def http_sender(port: int, failures: list[str]) -> Callable[[list[bytes]], None]:
    def send(share: list[bytes]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        for raw in share:
            digest = hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()
            conn.request(
                "POST",
                "/api/v1/inbound/email",
                body=raw,
                headers={
                    "Content-Type": "message/rfc822",
                    "X-Rapport-Signature": f"sha256={digest}",
                },
            )
            response = conn.getresponse()
            body = response.read()
            if response.status != 201:
                failures.append(f"{response.status} {body[:200]!r}")
        conn.close()

    return send


def parse_to(raw: bytes) -> str:
    start = raw.index(b"\r\nTo: ") + 6
    return raw[start : raw.index(b"\r\n", start)].decode()


def stored(app: Flask, run: str) -> tuple[int, int]:
    with app.app_context():
        received = db.session.scalar(
            select(func.count(InboundEmail.id)).where(InboundEmail.message_id.like(f"<{run}-%"))
        )
        timeline = db.session.scalar(
            select(func.count(Communication.id)).where(Communication.message_id.like(f"<{run}-%"))
        )
        db.session.remove()
        return received, timeline


def start_web(env: dict[str, str], port: int, workers: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--no-control-socket",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "web:create_app()",
        ],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def answers() -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/login")
            return conn.getresponse().status == 200
        except OSError:
            return False

    wait_until(answers, timeout=30, interval=0.2)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1000, help="per entry point")
    parser.add_argument("--concurrency", type=int, default=4, help="SMTP and HTTP clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="rapport-bench-inbound-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.sqlite3'}"
    redis = RedisServer(folder / "redis").start()
    smtp_port, web_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")},
        "DATABASE_URL": url,
        "REDIS_URL": redis.url,
        "RAPPORT_INSTANCE_PATH": str(folder),
        "RAPPORT_INBOUND_SMTP_PORT": str(smtp_port),
        "RAPPORT_INBOUND_SENDER_LIMIT_PER_MINUTE": "0",
        "RAPPORT_INBOUND_HTTP_SECRET": SECRET,
        "PYTHONUNBUFFERED": "1",
    }
    app = create_app({"DATABASE_URL": url, "REDIS_URL": redis.url, "INSTANCE_PATH": str(folder)})
    processes = []
    try:
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        addresses = seed(app, 2 * args.messages + DIRECT)
        print(
            f"seeded {len(addresses)} waiting requirements in {time.perf_counter() - started:.1f} s"
        )
        rng = random.Random(42)
        smtp_work = [message(n, addresses[n], "smtp", rng) for n in range(args.messages)]
        http_work = [
            message(n, addresses[n], "http", rng) for n in range(args.messages, 2 * args.messages)
        ]
        mean_size = sum(map(len, smtp_work)) / len(smtp_work)

        cpu = time.process_time()
        for raw in smtp_work:
            parse(raw)
        per_message = (time.process_time() - cpu) / len(smtp_work)
        print(
            f"parse: {per_message * 1e6:.0f} µs CPU per message (mean {mean_size / 1024:.1f} KiB)"
        )

        # The store's own cost, in this process: CPU per message through deliver + commit,
        # which is what bounds one SMTP process however loaded the machine is.
        first = 2 * args.messages
        direct = [message(n, addresses[n], "direct", rng) for n in range(first, first + DIRECT)]
        with app.app_context():
            app.config["INBOUND_SENDER_LIMIT_PER_MINUTE"] = 0
            cpu, wall = time.process_time(), time.perf_counter()
            for raw in direct:
                receive(raw, [])
            cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
            db.session.remove()
        print(
            f"store in-process: {cpu / len(direct) * 1000:.1f} ms CPU per message "
            f"(= {len(direct) / cpu:.0f}/s per core), wall {len(direct) / wall:.0f}/s"
        )

        inbound = start_inbound(env, folder / "inbound.log")
        processes.append(inbound)
        failures: list[str] = []
        seconds = in_threads(smtp_work, args.concurrency, smtp_sender(smtp_port, failures))
        received, timeline = stored(app, "smtp")
        print(
            f"SMTP: {len(smtp_work)} messages in {seconds:.2f} s = "
            f"{len(smtp_work) / seconds:.0f}/s "
            f"({args.concurrency} clients); stored {received}, on timelines {timeline}, "
            f"refused {len(failures)}"
        )
        inbound.stop()

        web = start_web(env, web_port, args.workers, folder / "web.log")
        failures = []
        try:
            seconds = in_threads(http_work, args.concurrency, http_sender(web_port, failures))
        finally:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
        received, timeline = stored(app, "http")
        print(
            f"HTTP: {len(http_work)} messages in {seconds:.2f} s = "
            f"{len(http_work) / seconds:.0f}/s "
            f"({args.concurrency} clients, {args.workers} gunicorn workers); stored {received}, "
            f"on timelines {timeline}, failed {len(failures)} {failures[:2]}"
        )
        with app.app_context():
            moved = db.session.scalar(
                select(func.count(Requirement.id)).where(Requirement.state == "open")
            )
            print(f"requirements moved out of waiting on the customer: {moved}")
    finally:
        for process in processes:
            process.stop()
        with app.app_context():
            db.engine.dispose()
        redis.stop()
        print(f"logs in {folder} (kept with KEEP=1)")
        if os.environ.get("KEEP") is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
