"""Issue #13's acceptance, in-process on a ManualClock: customers in three zones, a two-step
email strategy with a 09:00-17:00 window in each customer's zone and a 20 % holdout. The first
step reaches each contacted customer once inside their window; a reply by email, through the
inbound path the SMTP server and the HTTP endpoint use, stops that customer; the unsubscribe
link stops another; the holdout receives nothing; the strategy page shows who is where and why.
(tests/e2e/test_outreach.py walks the same with the real worker, clock and SMTP server.)"""

import random
import re
import zoneinfo
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from models import Enrolment, EnrolmentStatus, OutboxMessage, Role
from tests.conftest import login
from tests.outreach_helpers import ZONES, make_customers, make_strategy
from web.extensions import db
from web.inbound import inbound_settings
from web.outreach.settings import execution_settings
from workflows.channels import attachments
from workflows.channels.inbound import deliver
from workflows.outreach import activation, due_steps, planning, strategies
from workflows.platform.clock import ManualClock
from workflows.platform.publishing import take_pending

START = datetime(2099, 1, 5, 3, 0, tzinfo=UTC)  # a Monday; far ahead of the session's clock


def _tick(clock: ManualClock) -> None:
    ids = due_steps.claim_due(db.session, clock=clock)
    db.session.commit()
    due_steps.fire_batch(db.session, ids, clock=clock, settings=execution_settings())
    db.session.commit()


def _hours(clock: ManualClock, hours: int) -> None:
    for _ in range(hours * 4):  # every quarter of an hour, as the clock would find them
        clock.advance(timedelta(minutes=15))
        _tick(clock)


def _emails() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_acceptance_window_reply_by_email_unsubscribe_holdout_and_strategy_page(
    in_app: Flask, make_user: Any, tmp_path: Path
) -> None:
    clock = ManualClock(START)
    customers = make_customers(db.session, clock, 15)
    zone_of = {c.primary_email: c.time_zone for c in customers}
    strategy = make_strategy(db.session, clock, holdout_percent=20, steps=_two_steps())
    db.session.commit()
    strategies.transition(db.session, strategy, "activate", clock=clock)
    take_pending(db.session)  # enrolled here on our clock, not by the session's worker
    ids = activation.audience_ids(db.session, strategy, clock=clock)
    # A seeded draw (the default hashes strategy and customer ids, which differ between runs).
    counts = planning.enrol(db.session, strategy, ids, clock=clock, rng=random.Random(7))  # noqa: S311
    db.session.commit()
    assert counts["holdout"] >= 1 and counts["enrolled"] >= 3
    holdout = set(
        db.session.scalars(
            select(Enrolment.customer_id).where(Enrolment.status == EnrolmentStatus.HOLDOUT)
        )
    )

    _hours(clock, 24)  # a whole day: every zone's window opens once
    first = _emails()
    contacted = sorted(c.primary_email for c in customers if c.id not in holdout)
    assert sorted(m.to_address for m in first) == contacted  # once each, holdout none
    for message in first:
        local = message.created_at.astimezone(zoneinfo.ZoneInfo(zone_of[message.to_address]))
        assert 9 <= local.hour < 17, (message.to_address, local)
    assert set(zone_of[a] for a in contacted) == set(ZONES)

    # Who is where: each contacted customer's next step, on their own clock, inside the window.
    user = make_user(Role.SUPERVISOR)
    client = in_app.test_client()
    login(client, user.email)
    page = client.get(f"/strategies/{strategy.id}").get_data(as_text=True)
    their_times = re.findall(
        r'<td class="their-time">\w{3} (\d\d):\d\d <small class="muted">([\w/]+)</small>', page
    )
    assert len(their_times) == len(contacted)
    assert all(9 <= int(hour) < 17 for hour, _zone in their_times)
    assert Counter(zone for _hour, zone in their_times) == Counter(zone_of[a] for a in contacted)

    # One replies by email to the message they got (From: Rapport's address), through the path
    # the inbound SMTP server and HTTP endpoint take; another unsubscribes through the link.
    replier, leaver = first[0], first[1]
    settings = inbound_settings(in_app.config)
    rapport = parseaddr(in_app.config["MAIL_FROM"])[1]
    raw = (
        f"From: <{replier.to_address}>\r\nTo: {rapport}\r\nSubject: Re: {replier.subject}\r\n"
        f"Message-ID: <reply-1@customer.example>\r\nIn-Reply-To: {replier.message_id}\r\n"
        f"Content-Type: text/plain\r\n\r\nThanks, please stop.\r\n"
    ).encode()
    deliver(
        db.session,
        raw,
        [rapport],
        settings=settings,
        store=attachments.LocalBlobStore(tmp_path / "blobs"),
        clock=clock,
    )
    db.session.commit()
    url = re.search(r"<([^>]+)>", leaver.headers["List-Unsubscribe"]).group(1)
    answer = client.post(url[url.index("/u/") :], data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200

    _hours(clock, 26)  # step 2 (a day later) inside each window
    counts_by_address = Counter(m.to_address for m in _emails())
    assert counts_by_address[replier.to_address] == 1
    assert counts_by_address[leaver.to_address] == 1
    others = [a for a in contacted if a not in (replier.to_address, leaver.to_address)]
    assert all(counts_by_address[a] == 2 for a in others), counts_by_address
    assert not any(counts_by_address[c.primary_email] for c in customers if c.id in holdout)

    # The strategy page: who is where (status, steps done) and why (the stop reason).
    page = client.get(f"/strategies/{strategy.id}").get_data(as_text=True)
    rows = {
        name: (status, zone, reason)
        for name, status, zone, reason in re.findall(
            r'<tr id="enrolment-\d+"><td><a [^>]*>([^<]+)</a></td>\s*<td>\d+</td>'
            r'<td class="status">(\w+)</td><td>\d+</td>\s*<td>[^<]*</td>\s*'
            r'<td class="their-time"><small class="muted">([\w/]+)</small></td><td>(\w*)</td>',
            page,
        )
    }
    names = {c.primary_email: c.name for c in customers}
    assert rows[names[replier.to_address]] == ("stopped", zone_of[replier.to_address], "replied")
    assert rows[names[leaver.to_address]] == ("stopped", zone_of[leaver.to_address], "unsubscribed")
    assert all(rows[names[a]] == ("completed", zone_of[a], "") for a in others)
    held = [c for c in customers if c.id in holdout]
    assert all(rows[c.name] == ("holdout", c.time_zone, "") for c in held)


def _two_steps() -> list[dict[str, Any]]:
    return [
        {
            "channel": "email",
            "subject": f"Step {n} for {{{{ customer.first_name }}}}",
            "body": f"Hello {{{{ customer.name }}}}, step {n}. {{{{ unsubscribe_url }}}}",
            "delay": {"amount": 0 if n == 1 else 1, "unit": "calendar_days"},
        }
        for n in (1, 2)
    ]
