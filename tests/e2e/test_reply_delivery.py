"""End to end: an agent replies from the requirement page; the real worker takes the outbox row
through Redis and the SMTP server receives the message once, in the requirement's thread (its
fixed Message-ID, References to the thread root, a signed Reply-To), and the thread on the page
then shows it as sent."""

import io
from email import message_from_bytes, policy
from typing import Any

from flask import Flask
from sqlalchemy import select

from models import Communication, OutboxMessage, OutboxStatus, Role, User
from tests.conftest import csrf_token
from tests.integration.test_customer_pages import signed_in, text_of
from tests.services import wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import mail_threads
from workflows.tracking import requirements


def _open(app: Flask, agent_id: int) -> int:
    with app.app_context():
        clock = current_clock()
        agent = db.session.get(User, agent_id)
        customer = profiles.create_customer(
            db.session,
            {"name": "Ana Lima", "emails": "ana@example.com"},
            actor_id=agent_id,
            clock=clock,
        )
        req = requirements.open_requirement(
            db.session,
            customer_id=customer.id,
            title="Invoice missing",
            clock=clock,
            actor=agent,
            assignee_id=agent_id,
        )
        requirements.fire(db.session, req, "assign", actor=agent, clock=clock)
        db.session.commit()
        return req.id


def test_a_reply_from_the_page_reaches_the_server_once_in_its_thread(
    app: Flask, make_user: Any, worker: Any, mailbox: Any
) -> None:
    agent = make_user(Role.AGENT)
    rid = _open(app, agent.id)
    client = signed_in(app, agent)
    page = f"/requirements/{rid}"
    response = client.post(
        f"{page}/replies",
        data={
            "csrf_token": csrf_token(client, page),
            "body": "Here is your **invoice** number.",
            "cc": "accounts@example.com",
            "then": "ask_customer",
        },
    )
    assert response.status_code == 303

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
        (email,) = db.session.scalars(select(Communication)).all()
        assert email.message_id == row.message_id

    (message,) = mailbox.received()
    assert message["Message-ID"] == row.message_id
    assert message["Subject"] == f"[#{rid}] Invoice missing"
    assert message["To"] == "ana@example.com" and message["Cc"] == "accounts@example.com"
    root = mail_threads.thread_message_id(f"r{rid}", "example.com")
    assert message["References"] == root and message["In-Reply-To"] == root
    assert mail_threads.thread_of(message["Reply-To"], app.config["SECRET_KEY"]) == f"r{rid}"
    plain = message.get_payload()[0].get_payload(decode=True).decode()
    html = message.get_payload()[1].get_payload(decode=True).decode()
    assert "**invoice**" in plain and "<strong>invoice</strong>" in html

    thread = text_of(client.get(page))
    assert 'data-delivery="sent"' in thread
    assert len(mailbox.received()) == 1  # once


def test_a_reply_with_a_file_reaches_the_server_as_multipart_with_the_file_intact(
    app: Flask, make_user: Any, worker: Any, mailbox: Any
) -> None:
    agent = make_user(Role.AGENT)
    rid = _open(app, agent.id)
    client = signed_in(app, agent)
    page = f"/requirements/{rid}"
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\r\n.\r\n"  # every byte, and an SMTP "."
    response = client.post(
        f"{page}/replies",
        data={
            "csrf_token": csrf_token(client, page),
            "body": "Your invoice is attached.",
            "attachments": [(io.BytesIO(pdf), "Rechnung März.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 303

    wait_until(lambda: len(mailbox.received()) >= 1, timeout=15)
    (received,) = mailbox.received()
    message = message_from_bytes(received.as_bytes(), policy=policy.default)
    assert message.get_content_type() == "multipart/mixed"
    assert "Your invoice is attached." in message.get_body(("plain",)).get_content()
    (file,) = message.iter_attachments()
    assert (file.get_filename(), file.get_content_type()) == (
        "Rechnung März.pdf",
        "application/pdf",
    )
    assert file.get_payload(decode=True) == pdf
    with app.app_context():
        row = db.session.scalar(select(OutboxMessage))
        assert message["Message-ID"] == row.message_id
    thread = text_of(client.get(page))
    assert "Rechnung März.pdf</a>" in thread
