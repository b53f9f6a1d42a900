"""IMAP polling against a real IMAP server (pymap): unseen messages are delivered like SMTP
ones and flagged seen; a second poll finds nothing; a refused message is flagged too."""

import imaplib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import InboundEmail, Requirement, Role, User
from tests.services import start_imap
from web.clocks import current_clock
from web.config import DEFAULTS, celery_settings
from web.extensions import db
from workers.inbound_imap import poll
from workflows.customers import profiles
from workflows.platform.mail_threads import reply_address
from workflows.tracking import requirements


@pytest.fixture(scope="module")
def imap_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    process, port = start_imap(tmp_path_factory.mktemp("imap") / "imap.log")
    yield port
    process.stop()


def _append(port: int, raw: str) -> None:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login("demouser", "demopass")
    client.append("INBOX", None, None, raw.replace("\n", "\r\n").encode())
    client.logout()


def _unseen(port: int) -> int:
    client = imaplib.IMAP4("127.0.0.1", port)
    client.login("demouser", "demopass")
    client.select("INBOX")
    _, data = client.search(None, "UNSEEN")
    client.logout()
    return len(data[0].split())


def test_unseen_messages_are_delivered_once_and_flagged(
    app: Flask, make_user: Any, imap_port: int
) -> None:
    agent_id = make_user(Role.AGENT).id
    config = {
        **app.config,
        "INBOUND_IMAP_HOST": "127.0.0.1",
        "INBOUND_IMAP_PORT": imap_port,
        "INBOUND_IMAP_SSL": False,
        "INBOUND_IMAP_USERNAME": "demouser",
        "INBOUND_IMAP_PASSWORD": "demopass",
    }
    with app.app_context():
        clock = current_clock()
        agent = db.session.get(User, agent_id)
        customer = profiles.create_customer(
            db.session, {"name": "Ana", "emails": "ana@example.com"}, actor_id=None, clock=clock
        )
        req = requirements.open_requirement(
            db.session,
            customer_id=customer.id,
            title="Q",
            clock=clock,
            actor=agent,
            assignee_id=agent_id,
        )
        requirements.fire(db.session, req, "assign", actor=agent, clock=clock)
        requirements.fire(db.session, req, "ask_customer", actor=agent, clock=clock)
        db.session.commit()
        address = reply_address(config["INBOUND_ADDRESS"], f"r{req.id}", config["SECRET_KEY"])
        requirement_id = req.id
    _append(
        imap_port,
        f"From: ana@example.com\nTo: {address}\nSubject: Re: Q\nMessage-ID: <imap-1@x>\n\nYes.\n",
    )
    _append(imap_port, "not a message at all")
    with app.app_context():
        assert poll(config) == 1
        assert db.session.get(Requirement, requirement_id).state == "open"
        assert poll(config) == 0
        count = db.session.scalar(select(func.count(InboundEmail.id)))
        db.session.remove()
    assert count == 1
    assert _unseen(imap_port) == 0


def test_beat_polls_only_when_a_host_is_set() -> None:
    # The defaults, so a new beat entry's interval is there too.
    base = {**DEFAULTS, "REDIS_URL": "redis://x", "CELERY": {}, "INBOUND_IMAP_HOST": None}
    assert "inbound-imap-poll" not in celery_settings(base)["beat_schedule"]
    polled = celery_settings({**base, "INBOUND_IMAP_HOST": "imap", "INBOUND_IMAP_INTERVAL": 30})
    assert polled["beat_schedule"]["inbound-imap-poll"] == {
        "task": "inbound.poll_imap",
        "schedule": 30.0,
    }
