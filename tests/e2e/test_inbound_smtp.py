"""End to end: mail sent by SMTP (smtplib) to the real inbound process (`python -m
workers.inbound`) lands on the right requirement and moves it out of waiting on the customer
within 2 s; the same message twice is stored once; an out-of-office answer changes nothing and
sends nothing; a bounce marks the address; strangers' recipients get 550."""

import smtplib
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import (
    Communication,
    EmailSuppression,
    OutboxMessage,
    OutboxStatus,
    Requirement,
    Role,
    User,
)
from tests.chinese_mail import GBK_ONLY, TRADITIONAL, chinese_message, eight_bit_message
from tests.conftest import ALLOWED_SMTP_PORTS, RecordingHandler, service_env
from tests.services import Process, free_port, start_inbound, wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import outbox
from workflows.platform.mail_threads import reply_address
from workflows.tracking import requirements


@pytest.fixture(scope="module")
def inbound(
    session_app: Flask, app_config: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[int]:
    port = free_port()
    env = {**service_env(app_config), "RAPPORT_INBOUND_SMTP_PORT": str(port)}
    process: Process = start_inbound(env, tmp_path_factory.mktemp("inbound") / "inbound.log")
    ALLOWED_SMTP_PORTS.add(port)
    yield port
    ALLOWED_SMTP_PORTS.discard(port)
    process.stop()


def _waiting_requirement(app: Flask, make_user: Any) -> tuple[int, str]:
    agent_id = make_user(Role.AGENT).id
    with app.app_context():
        clock = current_clock()
        agent = db.session.get(User, agent_id)
        customer = profiles.create_customer(
            db.session,
            {"name": "Ana Lima", "emails": "ana@example.com"},
            actor_id=None,
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
        requirements.fire(db.session, req, "ask_customer", actor=agent, clock=clock)
        db.session.commit()
        address = reply_address(
            app.config["INBOUND_ADDRESS"], f"r{req.id}", app.config["SECRET_KEY"]
        )
        return req.id, address


def _message(
    to: str, message_id: str, subject: str = "Re: Invoice missing", extra: str = ""
) -> str:
    return (
        f"From: Ana Lima <ana@example.com>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: {message_id}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n"
        "Found it, thanks!\r\n\r\nOn Mon, Rapport wrote:\r\n> Did it arrive?\r\n"
    )


def _state(app: Flask, requirement_id: int) -> str:
    with app.app_context():
        state = db.session.get(Requirement, requirement_id).state
        db.session.remove()
        return state


def _count(app: Flask, model: type, *where: Any) -> int:
    with app.app_context():
        n = db.session.scalar(select(func.count()).select_from(model).where(*where))
        db.session.remove()
        return n


def test_a_reply_by_smtp_lands_on_its_requirement_once(
    app: Flask, make_user: Any, inbound: int, mailbox: RecordingHandler, worker: Process
) -> None:
    requirement_id, address = _waiting_requirement(app, make_user)
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as smtp:
        smtp.sendmail("ana@example.com", [address], _message(address, "<e2e-1@example.com>"))
        wait_until(lambda: _state(app, requirement_id) == "open", timeout=2)
        smtp.sendmail("ana@example.com", [address], _message(address, "<e2e-1@example.com>"))
    stored = Communication.message_id == "<e2e-1@example.com>"
    assert _count(app, Communication, stored, Communication.requirement_id == requirement_id) == 1
    with app.app_context():
        body = db.session.scalar(select(Communication.body_text).where(stored))
    assert body == "Found it, thanks!"

    # An out-of-office answer to the next question changes nothing and sends nothing.
    with app.app_context():
        req = db.session.get(Requirement, requirement_id)
        agent = db.session.get(User, req.assignee_id)
        requirements.fire(db.session, req, "ask_customer", actor=agent, clock=current_clock())
        db.session.commit()
    queued = _count(app, OutboxMessage)
    out_of_office = _message(
        address,
        "<e2e-oof@example.com>",
        "Automatic reply: Invoice",
        "Auto-Submitted: auto-replied\r\n",
    )
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as smtp:
        smtp.sendmail("ana@example.com", [address], out_of_office)
    oof = Communication.message_id == "<e2e-oof@example.com>"
    assert _count(app, Communication, oof, Communication.requirement_id == requirement_id) == 1
    assert _state(app, requirement_id) == "waiting_on_customer"
    assert _count(app, OutboxMessage) == queued
    assert mailbox.received() == []  # the worker runs: anything queued would arrive


def test_a_bounce_by_smtp_marks_the_address_and_strangers_are_refused(
    app: Flask, inbound: int
) -> None:
    with app.app_context():
        sent = outbox.enqueue_email(
            db.session,
            idempotency_key="e2e-bounce",
            cause="test",
            to_address="gone@example.org",
            subject="Hello",
            body_text="Hi",
            clock=current_clock(),
        )
        db.session.commit()
        message_id = sent.message_id
    report = (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: support@example.com\r\nSubject: Undelivered\r\n"
        "Message-ID: <e2e-dsn@mx.example.org>\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n\r\n'
        "--r\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"
        "--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        f"--r\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {message_id}\r\n\r\n--r--\r\n"
    )
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as smtp:
        smtp.sendmail("", ["rapport@example.com"], report)  # MAIL_FROM: where bounces return
        with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
            smtp.sendmail("x@example.org", ["postmaster@elsewhere.example"], "Subject: x\r\n\r\nx")
    assert refused.value.recipients["postmaster@elsewhere.example"][0] == 550
    assert _count(app, EmailSuppression, EmailSuppression.email == "gone@example.org") == 1
    with app.app_context():
        assert (
            db.session.scalar(
                select(OutboxMessage.status).where(OutboxMessage.message_id == message_id)
            )
            == OutboxStatus.DEAD
        )


@pytest.mark.parametrize(
    ("label", "codec", "text", "builder"),
    [
        ("GB2312", "gbk", GBK_ONLY, chinese_message),  # GBK bytes under a GB2312 label
        ("Big5", "big5", TRADITIONAL, eight_bit_message),
    ],
)
def test_a_chinese_reply_by_smtp_is_read_in_its_charset(
    app: Flask,
    make_user: Any,
    inbound: int,
    worker: Process,
    label: str,
    codec: str,
    text: dict[str, str],
    builder: Any,
) -> None:
    requirement_id, address = _waiting_requirement(app, make_user)
    message_id = f"<e2e-{label}@example.cn>"
    raw = builder(label, codec, text, sender="ana@example.com", to=address, message_id=message_id)
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as smtp:
        smtp.sendmail("ana@example.com", [address], raw)
    wait_until(lambda: _state(app, requirement_id) == "open", timeout=5)
    with app.app_context():
        stored = db.session.scalars(
            select(Communication).where(Communication.message_id == message_id)
        ).one()
        assert stored.requirement_id == requirement_id
        assert stored.subject == text["subject"]
        assert [line for line in stored.body_text.splitlines() if line] == text["body"].splitlines()
