"""Chunked sending through the real worker and SMTP server (one connection for a chunk, a
refused recipient failing only its own message), and the claim and lease rules of
`outbox_delivery` on the real database."""

from datetime import timedelta
from typing import Any

import redis
from flask import Flask
from sqlalchemy import select

from models import OutboxMessage, OutboxStatus
from tests.services import wait_until
from web.clocks import current_clock
from web.extensions import db
from workflows.platform import outbox, outbox_delivery
from workflows.platform.clock import ManualClock
from workflows.platform.smtp import Outcome


def _rows(app: Flask) -> dict[str, OutboxMessage]:
    with app.app_context():
        rows = db.session.scalars(select(OutboxMessage)).all()
        db.session.expunge_all()
        return {row.to_address: row for row in rows}


def _settled(app: Flask) -> bool:
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    if client.llen("outbox") or client.hlen("unacked"):
        return False
    statuses = {row.status for row in _rows(app).values()}
    return OutboxStatus.SENDING not in statuses and bool(statuses)


def test_a_chunk_goes_over_one_connection_and_a_refused_recipient_fails_only_its_message(
    app: Flask, worker: Any, mailbox: Any
) -> None:
    addresses = [f"user{n}@example.com" for n in range(12)]
    addresses[3] = "refused-nobody@example.com"  # 550: no such mailbox
    addresses[7] = "busy-ana@example.com"  # 451: try again later
    addresses[9] = "zoë@example.com"  # cannot go without SMTPUTF8, which the sender lacks
    emails = [
        outbox.Email(f"chunk:{n}", "test", address, f"Hello {n}", "Body")
        for n, address in enumerate(addresses)
    ]
    # A message with one good and one refused recipient is delivered to the good one.
    emails.append(
        outbox.Email(
            "chunk:cc",
            "test",
            "cc-to@example.com",
            "With Cc",
            "Body",
            headers={"Cc": "refused-cc@example.com"},
        )
    )
    with app.app_context():
        ids = outbox.enqueue_emails(db.session, emails, clock=current_clock())
        db.session.commit()  # one outbox.send_batch task, published after this commit
    assert len(ids) == len(emails) <= outbox.SEND_CHUNK

    wait_until(lambda: _settled(app), timeout=15)
    rows = _rows(app)
    sent = sorted(a for a, row in rows.items() if row.status == OutboxStatus.SENT)
    good = [a for a in addresses if a.startswith("user")]
    assert sent == sorted([*good, "cc-to@example.com"])

    refused = rows["refused-nobody@example.com"]
    assert refused.status == OutboxStatus.DEAD  # a permanent refusal is not retried
    assert refused.last_error and "550" in refused.last_error
    unsendable = rows["zoë@example.com"]
    assert unsendable.status == OutboxStatus.DEAD
    assert unsendable.last_error and "encode" in unsendable.last_error
    deferred = rows["busy-ana@example.com"]
    assert deferred.status == OutboxStatus.PENDING  # backed off, alone
    assert deferred.attempts == 1
    assert deferred.last_error and "451" in deferred.last_error
    assert deferred.next_attempt_at > current_clock_now(app) + timedelta(seconds=20)
    with_cc = rows["cc-to@example.com"]
    assert with_cc.last_error and "refused-cc@example.com" in with_cc.last_error

    received = mailbox.received()
    assert sorted(m["Message-ID"] for m in received) == sorted(rows[a].message_id for a in sent)
    assert ["cc-to@example.com"] in mailbox.envelopes  # the refused Cc was left out
    assert len(set(mailbox.peers)) == 1  # every message of the chunk over one connection


def current_clock_now(app: Flask) -> Any:
    with app.app_context():
        return current_clock().now()


def _make_rows(count: int, clock: ManualClock) -> list[int]:
    emails = [
        outbox.Email(f"lease:{n}", "test", f"lease{n}@example.com", "s", "b") for n in range(count)
    ]
    ids = outbox.insert_emails(db.session, emails, clock=clock)
    db.session.commit()
    return ids


def _status(message_id: int) -> tuple[OutboxStatus, str | None]:
    row = db.session.get(OutboxMessage, message_id, populate_existing=True)
    assert row is not None
    return row.status, row.claimed_by


def test_a_live_claim_is_never_taken_and_a_lapsed_one_is(in_app: Flask) -> None:
    clock = ManualClock()
    first, second, third = _make_rows(3, clock)
    assert outbox_delivery.claim_batch(
        db.session, [first, second, third], claimer="a", clock=clock
    ) == [first, second, third]
    db.session.commit()
    assert outbox_delivery.claim_batch(db.session, [first, second], claimer="b", clock=clock) == []

    # "a" keeps renewing `first` while it sends it; `second` and `third` it no longer renews.
    clock.advance(outbox_delivery.LEASE - timedelta(seconds=1))
    assert outbox_delivery.renew(db.session, [first], claimer="a", clock=clock) == 1
    clock.advance(timedelta(seconds=2))
    taken = outbox_delivery.claim_batch(db.session, [first, second], claimer="b", clock=clock)
    assert taken == [second]
    db.session.commit()
    assert _status(first) == (OutboxStatus.SENDING, "a")
    assert _status(second) == (OutboxStatus.SENDING, "b")

    # "a" learns its send of `second` failed: that is not recorded over b's claim.
    row = db.session.get(OutboxMessage, second)
    assert row is not None
    outbox_delivery.record(
        db.session, row, Outcome(False, transient=True, error="421"), claimer="a", clock=clock
    )
    assert _status(second) == (OutboxStatus.SENDING, "b")
    # A 250 is the truth whoever holds the claim now.
    outbox_delivery.record(db.session, row, Outcome(True), claimer="a", clock=clock)
    assert _status(second) == (OutboxStatus.SENT, None)

    # The sweep frees `third`, whose lease lapsed, and publishes it again.
    assert outbox.sweep(db.session, clock=clock) == [third]
    assert _status(third) == (OutboxStatus.PENDING, None)
    assert _status(first) == (OutboxStatus.SENDING, "a")
    db.session.rollback()


def test_a_bounce_that_comes_back_before_the_250_is_recorded_stays(in_app: Flask) -> None:
    clock = ManualClock()
    (message_id,) = _make_rows(1, clock)
    assert outbox_delivery.claim_batch(db.session, [message_id], claimer="a", clock=clock) == [
        message_id
    ]
    db.session.commit()
    # The inbound process stores the delivery status notification first ...
    row = db.session.get(OutboxMessage, message_id)
    assert row is not None
    row.status, row.last_error = OutboxStatus.DEAD, outbox_delivery.BOUNCED_PREFIX + "5.1.1"
    db.session.commit()
    # ... then the sender records the server's 250: the bounce is the row's last word.
    outbox_delivery.record(db.session, row, Outcome(True), claimer="a", clock=clock)
    assert _status(message_id)[0] == OutboxStatus.DEAD
    db.session.rollback()


def test_released_claims_are_due_again_at_once(in_app: Flask) -> None:
    clock = ManualClock()
    ids = _make_rows(2, clock)
    outbox_delivery.claim_batch(db.session, ids, claimer="a", clock=clock)
    assert outbox_delivery.release(db.session, ids, claimer="b") == 0  # not b's
    assert outbox_delivery.release(db.session, ids, claimer="a") == 2
    assert outbox_delivery.claim_batch(db.session, ids, claimer="b", clock=clock) == ids
    db.session.rollback()


def test_a_sweep_while_the_workers_are_behind_republishes_only_what_it_released(
    in_app: Flask,
) -> None:
    clock = ManualClock()
    lapsed, waiting = _make_rows(2, clock)
    outbox_delivery.claim_batch(db.session, [lapsed], claimer="dead", clock=clock)
    db.session.commit()
    clock.advance(outbox_delivery.LEASE + timedelta(seconds=1))
    assert outbox.sweep(db.session, clock=clock, republish_waiting=False) == [lapsed]
    assert outbox.sweep(db.session, clock=clock) == [lapsed, waiting]
    db.session.rollback()
