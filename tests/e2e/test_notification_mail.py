"""End to end: a notification's email copy reaches the real SMTP server once through a real
worker; and when the worker cannot reach the SMTP server, admins see the banner with the
reason until the server is back and the waiting message goes out."""

import re
from datetime import timedelta
from email.header import decode_header, make_header
from typing import Any

from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from models import MailServerStatus, OutboxMessage, OutboxStatus, Role, User
from tests.conftest import ALLOWED_SMTP_PORTS, RecordingHandler
from tests.integration.test_customer_pages import signed_in, text_of
from tests.services import free_port, wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.tracking import notification_preferences, requirements
from workflows.tracking.notification_preferences import Channels


def _assign(app: Flask, agent_id: int, lead_id: int) -> int:
    """The lead opens a requirement assigned to the agent, who asked for assignments by email."""
    with app.app_context():
        clock = current_clock()
        notification_preferences.set_preferences(
            db.session, agent_id, {"assigned": Channels(in_app=True, email=True)}
        )
        customer = profiles.create_customer(
            db.session, {"name": "Ana Lima"}, actor_id=None, clock=clock
        )
        req = requirements.open_requirement(
            db.session,
            customer_id=customer.id,
            title="Invoice missing",
            clock=clock,
            actor=db.session.get(User, lead_id),
            assignee_id=agent_id,
        )
        db.session.commit()
        return req.id


def test_an_email_preference_sends_one_message_through_the_worker(
    app: Flask, make_user: Any, worker: Any, mailbox: Any
) -> None:
    agent = make_user(Role.AGENT, name="Alma Agent")
    lead = make_user(Role.SUPERVISOR, name="Lena Lead")
    rid = _assign(app, agent.id, lead.id)
    wait_until(lambda: len(mailbox.received()) >= 1, timeout=15)
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage))
        wait_until(
            lambda: (
                db.session.get(OutboxMessage, row.id, populate_existing=True).status
                == OutboxStatus.SENT
            ),
            timeout=15,
        )
    (message,) = mailbox.received()
    assert message["To"] == agent.email
    assert (
        str(make_header(decode_header(message["Subject"])))
        == f"Assigned to you: #{rid} “Invoice missing”"
    )
    body = message.get_payload(decode=True).decode()
    assert f"Lena Lead assigned requirement #{rid} “Invoice missing” for Ana Lima to you" in body


def test_the_banner_shows_while_the_mail_server_is_down_and_goes_when_it_is_back(
    deployment: Any, make_user: Any
) -> None:
    port = free_port()  # nothing listens yet: the server "refuses the connection"
    deployed = deployment()
    deployed.env["RAPPORT_SMTP_PORT"] = str(port)
    deployed.start_worker("worker")
    app = deployed.app
    admin = make_user(Role.ADMIN, name="Ada Admin")
    agent = make_user(Role.AGENT, name="Alma Agent")
    _assign(app, agent.id, admin.id)

    def trouble() -> MailServerStatus | None:
        with app.app_context():
            return db.session.get(MailServerStatus, 1, populate_existing=True)

    wait_until(lambda: trouble() is not None, timeout=20)
    client = signed_in(app, admin)
    page = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", text_of(client.get("/customers"))))
    assert f"The mail server at 127.0.0.1:{port} refused the connection — 1 message waiting" in (
        page
    )
    agent_page = text_of(signed_in(app, agent).get("/customers"))
    assert 'id="mail-banner"' not in agent_page

    handler = RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    ALLOWED_SMTP_PORTS.add(port)
    try:
        deployed.advance(timedelta(minutes=2))  # past the message's back-off
        deployed.sweep()  # what beat does: publish what is due again
        wait_until(lambda: len(handler.received()) >= 1, timeout=20)
        wait_until(lambda: trouble() is None, timeout=10)
        assert 'id="mail-banner"' not in text_of(client.get("/customers"))
        assert len(handler.received()) == 1
    finally:
        controller.stop()
        ALLOWED_SMTP_PORTS.discard(port)
