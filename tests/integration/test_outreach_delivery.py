"""Each outreach step's delivery is kept where a strategy's results read it — on the step's
`sent` event and on its enrolment (`delivered_at`, `bounced_at`) — by the writers that change
its outbox row, in their own transaction: the real worker's sender over the real SMTP server,
the bounce handler, an admin's retry. And the migration that added them fills older rows."""

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import select

from models import Enrolment, EnrolmentEvent, OutboxMessage, OutboxStatus, sync_delivery
from tests.integration.test_inbound_mail import Mail, dsn
from tests.integration.test_inbound_mail import mail as mail
from tests.outreach_helpers import email_steps, make_strategy
from tests.services import wait_until
from web import create_app
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.outreach import activation, due_steps, execution, links, planning, strategies
from workflows.platform import outbox
from workflows.platform.clock import ManualClock
from workflows.platform.publishing import take_pending

ALWAYS = {"weekdays": list(range(7)), "start": "00:00", "end": "24:00"}
SETTINGS = execution.Settings(links=links.LinkSettings("test-secret", "https://crm.example.com"))


def _send_first_step(clock: ManualClock, addresses: list[str]) -> None:
    """Enrol a customer per address (no holdout) and write step 1's outbox rows; their sends are
    published when this commits."""
    for n, address in enumerate(addresses):
        customer = profiles.create_customer(
            db.session,
            {"name": f"Customer {n}", "emails": address, "tags": ["delivery"]},
            actor_id=None,
            clock=clock,
        )
        profiles.set_consent(
            db.session, customer, "email", granted=True, method="form", actor_id=None, clock=clock
        )
    strategy = make_strategy(db.session, clock, tag="delivery", window=ALWAYS, steps=email_steps(2))
    strategies.transition(db.session, strategy, "activate", clock=clock)
    take_pending(db.session)  # no background enrolment: enrol here, on this clock
    ids = activation.audience_ids(db.session, strategy, clock=clock)
    planning.enrol(db.session, strategy, ids, clock=clock, rng=random.Random(1))  # noqa: S311
    db.session.commit()
    claimed = due_steps.claim_due(db.session, clock=clock)
    db.session.commit()
    assert due_steps.fire_batch(db.session, claimed, clock=clock, settings=SETTINGS)["sent"] == len(
        addresses
    )
    db.session.commit()


def _outcomes() -> dict[str, tuple[str | None, bool, bool]]:
    """Per address: step 1's event delivery, and whether the enrolment has delivered_at and
    bounced_at."""
    rows = db.session.execute(
        select(
            OutboxMessage.to_address,
            EnrolmentEvent.delivery,
            Enrolment.delivered_at,
            Enrolment.bounced_at,
        )
        .join(EnrolmentEvent, EnrolmentEvent.outbox_id == OutboxMessage.id)
        .join(Enrolment, Enrolment.id == EnrolmentEvent.enrolment_id)
        .execution_options(populate_existing=True)
    ).all()
    db.session.rollback()  # a fresh snapshot next time
    return {a: (d, delivered is not None, bounced is not None) for a, d, delivered, bounced in rows}


def test_the_sender_keeps_each_steps_delivery_on_its_event_and_enrolment(
    app: Flask, worker: Any, mailbox: Any
) -> None:
    with app.app_context():
        clock = ManualClock(current_clock().now())  # due now for the real worker
        _send_first_step(clock, ["ok@example.com", "refused-nobody@example.com"])
        expected = {
            "ok@example.com": ("sent", True, False),
            "refused-nobody@example.com": ("dead", False, True),  # 550 from the server
        }
        wait_until(lambda: _outcomes() == expected, timeout=20)
    assert [m["To"] for m in mailbox.received()] == ["ok@example.com"]


def test_a_bounce_then_a_retry_move_the_steps_delivery(mail: Mail) -> None:
    _send_first_step(mail.clock, ["gone@example.org"])
    row = db.session.scalar(select(OutboxMessage))
    # The sender's record of the server's 250 (the worker is not running in this test).
    row.status, row.sent_at = OutboxStatus.SENT, mail.clock.now()
    db.session.flush()
    sync_delivery(db.session, [row.id], now=mail.clock.now())
    db.session.commit()
    assert _outcomes() == {"gone@example.org": ("sent", True, False)}

    mail.deliver(dsn(row.message_id), ["rapport@example.com"])  # delivered, then bounced
    assert _outcomes() == {"gone@example.org": ("dead", False, True)}

    outbox.retry(db.session, db.session.get(OutboxMessage, row.id), clock=mail.clock)
    take_pending(db.session)  # not sent in this test
    db.session.commit()
    assert _outcomes() == {"gone@example.org": (None, False, False)}


def test_the_migration_fills_the_delivery_of_steps_sent_before_it(
    app_config: dict[str, Any], tmp_path: Path
) -> None:
    """A database at the revision before: a delivered step and a second one by SMS, a dead
    step, a held-out enrolment; after the upgrade each has its outcome."""
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    old = create_app({**app_config, "DATABASE_URL": url, "TESTING": True})
    with old.app_context():
        upgrade(revision="b5d2e3f40601")
        _old_rows(ManualClock(datetime(2099, 1, 5, 12, tzinfo=UTC)))
        upgrade(revision="d5e1e7a20001")
        events = dict(
            db.session.execute(
                sa.text("SELECT enrolment_id * 10 + step_index, delivery FROM outreach_events")
            ).all()
        )
        enrolments = db.session.execute(
            sa.text(
                "SELECT delivered_at IS NOT NULL, bounced_at IS NOT NULL "
                "FROM outreach_enrolments ORDER BY id"
            )
        ).all()
        db.session.remove()
        db.engine.dispose()
    assert events == {10: "sent", 11: None, 20: "dead", 30: None}
    assert [tuple(row) for row in enrolments] == [(1, 0), (0, 1), (0, 0)]


def _old_rows(clock: ManualClock) -> None:
    """Customers, a strategy and outbox rows through today's code (their tables are as they
    were); enrolments and events in SQL, as the revision before had them."""
    strategy = make_strategy(db.session, clock, tag="old")
    customers = [
        profiles.create_customer(db.session, {"name": f"Old {n}"}, actor_id=None, clock=clock).id
        for n in range(3)
    ]
    emails = [
        outbox.Email(f"old:{n}", "outreach:old", "old@example.com", "Old", "Old") for n in (1, 2)
    ]
    sent, dead = outbox.insert_emails(db.session, emails, clock=clock)
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.id == sent)
        .values(status=OutboxStatus.SENT, sent_at=clock.now())
    )
    db.session.execute(
        sa.update(OutboxMessage).where(OutboxMessage.id == dead).values(status=OutboxStatus.DEAD)
    )
    stamp = {"at": clock.now().replace(tzinfo=None).isoformat(sep=" ")}
    for n, (customer, status) in enumerate(
        zip(customers, ("completed", "completed", "holdout"), strict=True)
    ):
        db.session.execute(
            sa.text(
                "INSERT INTO outreach_enrolments (id, strategy_id, version_id, customer_id, "
                "status, enrolled_at, steps_done) VALUES (:id, :strategy, :version, :customer, "
                ":status, :at, 0)"
            ),
            {
                **stamp,
                "id": n + 1,
                "strategy": strategy.id,
                "version": strategy.current_version_id,
                "customer": customer,
                "status": status,
            },
        )
    events = (
        (1, 0, "sent", sent),
        (1, 1, "sent", None),
        (2, 0, "sent", dead),
        (3, 0, "holdout", None),
    )
    for enrolment, step, kind, outbox_id in events:
        db.session.execute(
            sa.text(
                "INSERT INTO outreach_events (enrolment_id, strategy_id, customer_id, at, kind, "
                "step_index, channel, outbox_id) VALUES (:enrolment, :strategy, :customer, :at, "
                ":kind, :step, :channel, :outbox)"
            ),
            {
                **stamp,
                "enrolment": enrolment,
                "strategy": strategy.id,
                "customer": customers[enrolment - 1],
                "kind": kind,
                "step": step,
                "channel": "email" if outbox_id else "sms",
                "outbox": outbox_id,
            },
        )
    db.session.commit()
