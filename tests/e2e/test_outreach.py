"""End to end: a three-step email strategy on a segment of customers in three time zones, with
the real worker, clock process, Redis and SMTP server. Step 1 reaches each contacted customer
once inside their own window; a customer who answers by email (to the inbound SMTP process)
never gets step 2; one who unsubscribes through the link gets nothing more; the holdout gets
nothing. Time moves with the shared offset clock, so nothing waits for a real morning."""

import re
import smtplib
import zoneinfo
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import func, select

from models import (
    Communication,
    Customer,
    Enrolment,
    EnrolmentStatus,
    OutboxMessage,
    OutboxStatus,
    Role,
    User,
)
from tests.e2e.test_inbound_smtp import inbound  # noqa: F401
from tests.outreach_helpers import email_steps, make_customers
from tests.services import wait_until
from web.clocks import OFFSET_KEY
from web.extensions import db
from workflows.customers import segments
from workflows.customers.queries import CustomerFilter
from workflows.platform import accounts
from workflows.platform.clock import SystemClock

NEW_YORK, BERLIN, TOKYO = "America/New_York", "Europe/Berlin", "Asia/Tokyo"
T0 = datetime(
    2027, 1, 5, 13, 30, tzinfo=UTC
)  # a Tuesday: 08:30 New York, 14:30 Berlin, 22:30 Tokyo


def _move_time_to(app: Flask, instant: datetime) -> None:
    offset = (instant - SystemClock().now()).total_seconds()
    redis.Redis.from_url(app.config["REDIS_URL"]).set(OFFSET_KEY, offset)


@pytest.fixture
def supervisor_headers(app: Flask, make_user: Any) -> dict[str, str]:
    user = make_user(Role.SUPERVISOR)
    with app.app_context():
        issued = accounts.issue_token(
            db.session, db.session.get(User, user.id), "e2e", clock=SystemClock()
        )
        db.session.commit()
        return {"Authorization": f"Bearer {issued.secret}"}


def _sent(app: Flask) -> list[tuple[str, str, datetime]]:
    """(address, subject, sent_at on the shared clock) of every sent outreach email."""
    with app.app_context():
        return [
            (m.to_address, m.subject, m.sent_at)
            for m in db.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.status == OutboxStatus.SENT,
                    OutboxMessage.idempotency_key.startswith("outreach:"),
                )
            )
        ]


def test_a_three_step_strategy_in_three_zones(
    app: Flask,
    worker: Any,
    clock_process: Any,
    mailbox: Any,
    supervisor_headers: dict[str, str],
    inbound: int,  # noqa: F811
) -> None:
    client = app.test_client()
    _move_time_to(app, T0)
    with app.app_context():
        customers = make_customers(db.session, SystemClock(), 12, tag="e2e")
        segment = segments.create_segment(
            db.session, "e2e", CustomerFilter(tag="e2e"), owner_id=None, clock=SystemClock()
        )
        db.session.commit()
        zones = {c.primary_email: c.time_zone for c in customers}
        ids = {c.primary_email: c.id for c in customers}
        segment_id = segment.id
    body = {
        "name": "Welcome",
        "definition": {
            "audience": {"kind": "segment", "segment_id": segment_id},
            "steps": email_steps(3, delay_days=1),
            "window": {"weekdays": list(range(7)), "start": "09:00", "end": "17:00"},
            "holdout_percent": 40,
        },
    }
    created = client.post("/api/v1/strategies", json=body, headers=supervisor_headers)
    assert created.status_code == 201, created.get_json()
    strategy_id = created.get_json()["id"]
    dry = client.post(f"/api/v1/strategies/{strategy_id}/dry-run", headers=supervisor_headers)
    assert dry.get_json()["would_enrol"] == 12
    activated = client.post(
        f"/api/v1/strategies/{strategy_id}/transitions",
        json={"trigger": "activate"},
        headers=supervisor_headers,
    )
    assert activated.status_code == 200, activated.get_json()

    def enrolled() -> dict[str, EnrolmentStatus]:
        with app.app_context():
            rows = db.session.execute(
                select(Customer.primary_email, Enrolment.status).join(
                    Customer, Customer.id == Enrolment.customer_id
                )
            ).all()
            return {email: status for email, status in rows}

    wait_until(lambda: len(enrolled()) == 12, timeout=20)
    statuses = enrolled()
    holdout = {e for e, s in statuses.items() if s == EnrolmentStatus.HOLDOUT}
    contacted = sorted(set(statuses) - holdout)
    assert holdout and len(contacted) >= 3

    # Berlin is open at T0; New York opens at 14:00 UTC, Tokyo at 00:00 UTC.
    for instant, opened in (
        (T0, {BERLIN}),
        (datetime(2027, 1, 5, 14, 30, tzinfo=UTC), {BERLIN, NEW_YORK}),
        (datetime(2027, 1, 6, 0, 30, tzinfo=UTC), {BERLIN, NEW_YORK, TOKYO}),
    ):
        _move_time_to(app, instant)
        expected = len([e for e in contacted if zones[e] in opened])
        wait_until(lambda expected=expected: len(_sent(app)) >= expected, timeout=20)
        assert len(_sent(app)) == expected  # nobody outside their window
    wait_until(lambda: len(mailbox.received()) >= len(contacted), timeout=20)
    first = _sent(app)
    assert sorted(a for a, _s, _t in first) == contacted  # each contacted customer once
    for address, _subject, sent_at in first:
        local = sent_at.astimezone(zoneinfo.ZoneInfo(zones[address]))
        assert 9 <= local.hour < 17, (address, local)

    # One answers the email by SMTP to the inbound process (its Reply-To), one unsubscribes
    # through the one-click link.
    replier, leaver = contacted[0], contacted[1]
    answered = next(m for m in mailbox.received() if m["To"] == replier)
    assert answered["Reply-To"] == app.config["INBOUND_ADDRESS"]
    answer = (
        f"From: {replier}\r\nTo: {answered['Reply-To']}\r\nSubject: Re: {answered['Subject']}\r\n"
        f"Message-ID: <answer-1@example.net>\r\nIn-Reply-To: {answered['Message-ID']}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nThanks, no more please\r\n"
    )
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as smtp:
        smtp.sendmail(replier, [answered["Reply-To"]], answer)
    with app.app_context():
        stored = select(Communication.customer_id).where(
            Communication.message_id == "<answer-1@example.net>"
        )
        assert db.session.scalar(stored) == ids[replier]  # on the replier's timeline
    message = next(m for m in mailbox.received() if m["To"] == leaver)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<([^>]+)>", message["List-Unsubscribe"]).group(1)
    path = url[url.index("/u/") :]
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200

    # A day later step 2 is due: Berlin and New York are open at 14:45 UTC, Tokyo at 01:00.
    others = [e for e in contacted if e not in (replier, leaver)]
    for instant, opened in (
        (datetime(2027, 1, 6, 14, 45, tzinfo=UTC), {BERLIN, NEW_YORK}),
        (datetime(2027, 1, 7, 1, 0, tzinfo=UTC), {BERLIN, NEW_YORK, TOKYO}),
    ):
        _move_time_to(app, instant)
        expected = len(contacted) + len([e for e in others if zones[e] in opened])
        wait_until(lambda expected=expected: len(_sent(app)) >= expected, timeout=30)
    counts = Counter(a for a, _s, _t in _sent(app))
    assert counts[replier] == 1 and counts[leaver] == 1
    assert all(counts[e] == 2 for e in others)
    assert not any(counts[e] for e in holdout)
    received = mailbox.received()
    assert len({m["Message-ID"] for m in received}) == len(received)
    with app.app_context():
        reasons = dict(
            db.session.execute(select(Enrolment.customer_id, Enrolment.stop_reason)).all()
        )
        assert reasons[ids[replier]] == "replied"
        assert reasons[ids[leaver]] == "unsubscribed"
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == len(received)
