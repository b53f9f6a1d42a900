# ruff: noqa: RUF001 - Chinese text has full-width punctuation
"""A task published through Redis is run by a real worker and sends real email (aiosmtpd)."""

from email import message_from_bytes, policy
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from models import OutboxMessage, OutboxStatus
from tests.services import wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import outbox


def _enqueue(
    app: Flask,
    key: str = "test:1",
    to: str = "ana@example.com",
    headers: dict[str, str] | None = None,
) -> OutboxMessage:
    with app.app_context():
        row = outbox.enqueue_email(
            db.session,
            idempotency_key=key,
            cause="test",
            to_address=to,
            subject="Your request is in",
            body_text="We got it.",
            clock=current_clock(),
            headers=headers,
        )
        db.session.commit()  # the send is published after this commit
        db.session.refresh(row)
        db.session.expunge(row)
        return row


def _status(app: Flask, message_id: int) -> OutboxStatus:
    with app.app_context():
        return db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message_id))


def test_worker_sends_an_outbox_email_once(app: Flask, worker: Any, mailbox: Any) -> None:
    row = _enqueue(app)
    wait_until(lambda: _status(app, row.id) == OutboxStatus.SENT, timeout=10)
    received = mailbox.received()
    assert len(received) == 1
    assert received[0]["Message-ID"] == row.message_id
    assert received[0]["To"] == "ana@example.com"
    assert received[0]["Subject"] == "Your request is in"


def test_a_rows_headers_reach_the_server(app: Flask, worker: Any, mailbox: Any) -> None:
    thread = "<thread-r42@example.com>"
    headers = {"Reply-To": "support+r42-abc@example.com", "References": thread}
    row = _enqueue(app, key="test:headers", headers=headers)
    wait_until(lambda: _status(app, row.id) == OutboxStatus.SENT, timeout=10)
    (received,) = mailbox.received()
    assert received["Reply-To"] == "support+r42-abc@example.com"
    assert received["References"] == thread
    assert received["Message-ID"] == row.message_id


@pytest.mark.parametrize(
    "headers",
    [{"Message-ID": "<mine@example.com>"}, {"from": "x@example.com"}, {"Cc": "a@b.c\nBcc: d@e.f"}],
)
def test_headers_cannot_replace_the_outboxs_own_or_inject_lines(
    app: Flask, headers: dict[str, str]
) -> None:
    with pytest.raises(ValueError):
        _enqueue(app, key="test:bad", headers=headers)


def test_the_same_send_delivered_twice_sends_once(app: Flask, worker: Any, mailbox: Any) -> None:
    row = _enqueue(app)
    celery_app = app.extensions["celery"]
    celery_app.send_task("outbox.send", args=[row.id])
    celery_app.send_task("outbox.send", args=[row.id])
    wait_until(lambda: _status(app, row.id) == OutboxStatus.SENT, timeout=10)
    # Let the two duplicates drain: the sweep task is a marker published after them.
    marker = celery_app.send_task("outbox.sweep")
    assert marker.id
    wait_until(lambda: _queue_empty(app), timeout=10)
    ids = [m["Message-ID"] for m in mailbox.received()]
    assert ids == [row.message_id]


def _queue_empty(app: Flask) -> bool:
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    return client.llen("outbox") == 0 and not client.hlen("unacked")


def test_enqueue_is_idempotent_per_key(app: Flask, worker: Any, mailbox: Any) -> None:
    first = _enqueue(app, key="timer:42")
    second = _enqueue(app, key="timer:42")
    assert first.id == second.id
    wait_until(lambda: _status(app, first.id) == OutboxStatus.SENT, timeout=10)
    wait_until(lambda: _queue_empty(app), timeout=10)
    assert len(mailbox.received()) == 1


def test_rolled_back_enqueue_publishes_nothing(app: Flask, worker: Any) -> None:
    with app.app_context():
        outbox.enqueue_email(
            db.session,
            idempotency_key="never",
            cause="test",
            to_address="x@example.com",
            subject="s",
            body_text="b",
            clock=current_clock(),
        )
        db.session.rollback()
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    assert client.llen("outbox") == 0


def test_a_chinese_name_subject_and_body_reach_the_server_intact(
    app: Flask, worker: Any, mailbox: Any
) -> None:
    subject = "关于您的订单（编号 42）：已发货"
    with app.app_context():
        row = outbox.enqueue_email(
            db.session,
            idempotency_key="test:zh",
            cause="test",
            to_address="王芳 <wangfang@example.cn>",
            subject=subject,
            body_text="王芳您好：\n您的订单已经发货，请注意查收。\n",
            body_html="<p>王芳您好：</p><p>您的订单已经发货。</p>",
            clock=current_clock(),
            headers={"Reply-To": "客服中心 <support@example.com>"},
        )
        db.session.commit()
        row_id = row.id
    wait_until(lambda: _status(app, row_id) == OutboxStatus.SENT, timeout=10)
    (received,) = mailbox.received()
    assert received.as_bytes().isascii()  # RFC 2047 headers, quoted-printable UTF-8 bodies
    parsed = message_from_bytes(received.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == subject
    assert parsed["To"].addresses[0].display_name == "王芳"
    assert parsed["To"].addresses[0].addr_spec == "wangfang@example.cn"
    assert parsed["Reply-To"].addresses[0].display_name == "客服中心"
    assert (
        parsed.get_body(("plain",)).get_content() == "王芳您好：\n您的订单已经发货，请注意查收。\n"
    )
    assert "王芳您好" in parsed.get_body(("html",)).get_content()
    assert parsed.get_body(("plain",)).get_content_charset() == "utf-8"
