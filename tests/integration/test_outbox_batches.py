"""`outbox.enqueue_emails` and the `outbox.send_batch` task with a real worker and SMTP server:
one task sends many rows, each exactly once, with its fixed Message-ID."""

from typing import Any

import redis
from flask import Flask
from sqlalchemy import select

from models import OutboxMessage, OutboxStatus
from tests.services import wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import outbox


def _statuses(app: Flask) -> dict[str, OutboxStatus]:
    with app.app_context():
        rows = db.session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.status))
        return dict(rows.all())


def _queues_empty(app: Flask) -> bool:
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    return client.llen("outbox") == 0 and not client.hlen("unacked")


def test_a_batch_of_emails_is_sent_once_each(app: Flask, worker: Any, mailbox: Any) -> None:
    emails = [
        outbox.Email(f"batch:{n}", "test", f"user{n}@example.com", f"Hello {n}", "Body")
        for n in range(3)
    ]
    with app.app_context():
        ids = outbox.enqueue_emails(db.session, emails, clock=current_clock())
        db.session.commit()  # one outbox.send_batch is published after this commit
        again = outbox.enqueue_emails(db.session, emails, clock=current_clock())
        db.session.commit()
        rows = db.session.execute(select(OutboxMessage.idempotency_key, OutboxMessage.message_id))
        message_ids = dict(rows.all())
    assert len(ids) == 3
    assert again == []
    app.extensions["celery"].send_task(outbox.SEND_BATCH_TASK, args=[ids])  # a duplicate

    wait_until(lambda: set(_statuses(app).values()) == {OutboxStatus.SENT}, timeout=10)
    wait_until(lambda: _queues_empty(app), timeout=10)
    received = mailbox.received()
    assert sorted(m["Message-ID"] for m in received) == sorted(message_ids.values())
    assert sorted(m["To"] for m in received) == [f"user{n}@example.com" for n in range(3)]
