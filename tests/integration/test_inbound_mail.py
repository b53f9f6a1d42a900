"""Receiving email on the real database (SQLite and PostgreSQL): matching in order (signed reply
address, Message-IDs, subject number, sender), the effects in one transaction, duplicates,
automatic messages, bounces, the sender rate, and refusals that leave nothing behind."""

import dataclasses
import io
import json
import zipfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from models import (
    Attachment,
    Communication,
    Customer,
    EmailSuppression,
    Enrolment,
    EnrolmentEvent,
    EnrolmentStatus,
    InboundEmail,
    InboundKind,
    OutboxMessage,
    OutboxStatus,
    Requirement,
    Role,
    User,
)
from tests.outreach_helpers import make_strategy
from web.clocks import current_clock
from web.extensions import db
from web.inbound import inbound_settings
from workflows.channels import attachments
from workflows.channels.inbound import InboundRefused, InboundSettings, Receipt, deliver
from workflows.customers import profiles
from workflows.platform import outbox
from workflows.platform.clock import ManualClock
from workflows.platform.mail_threads import reply_address
from workflows.platform.publishing import take_pending
from workflows.privacy import erasure, exports
from workflows.tracking import conversations, requirements


@pytest.fixture
def mail(in_app: Flask, make_user: Any, tmp_path: Path) -> Any:
    return Mail(in_app, make_user(Role.AGENT).id, tmp_path)


class Mail:
    """A customer with a requirement, and a way to deliver raw messages as the SMTP process
    does (deliver, then commit)."""

    def __init__(self, app: Flask, agent_id: int, folder: Path) -> None:
        self.app = app
        # From the app's clock, not a fixed date: the session's clock process may be running,
        # and would fire timers planned in the past by a clock of our own.
        self.clock = ManualClock(current_clock().now())
        self.store = attachments.LocalBlobStore(folder / "blobs")
        self.settings: InboundSettings = inbound_settings(app.config)
        self.agent = db.session.get(User, agent_id)
        self.customer = profiles.create_customer(
            db.session,
            {"name": "Ana Lima", "emails": ["ana@example.com", "ana.lima@work.example"]},
            actor_id=None,
            clock=self.clock,
        )
        self.requirement = self.open("Invoice missing")
        db.session.commit()

    def open(self, title: str, customer: Customer | None = None) -> Requirement:
        req = requirements.open_requirement(
            db.session,
            customer_id=(customer or self.customer).id,
            title=title,
            clock=self.clock,
            actor=self.agent,
            assignee_id=self.agent.id,
        )
        requirements.fire(db.session, req, "assign", actor=self.agent, clock=self.clock)
        return req

    def wait_on_customer(self, req: Requirement | None = None) -> Requirement:
        req = req or self.requirement
        requirements.fire(db.session, req, "ask_customer", actor=self.agent, clock=self.clock)
        db.session.commit()
        return req

    def reply_to(self, req: Requirement) -> str:
        return reply_address(self.settings.inbound_address, f"r{req.id}", self.settings.secret)

    def deliver(self, raw: bytes, recipients: list[str] | None = None, **kw: Any) -> Receipt:
        receipt = deliver(
            db.session,
            raw,
            recipients or [],
            settings=kw.pop("settings", self.settings),
            store=self.store,
            clock=self.clock,
            **kw,
        )
        db.session.commit()
        return receipt

    def count(self, model: type) -> int:
        return db.session.scalar(select(func.count()).select_from(model))


def email(
    *,
    sender: str = "ana@example.com",
    to: str = "support@example.com",
    subject: str = "Re: Invoice missing",
    message_id: str = "<m1@mail.example.com>",
    body: str = "It arrived, thanks.\n\nOn Mon, Jan 5, 2026 Rapport wrote:\n> Did it arrive?",
    headers: str = "",
) -> bytes:
    text = (
        f"From: Ana Lima <{sender}>\nTo: {to}\nSubject: {subject}\nMessage-ID: {message_id}\n"
        f"{headers}Content-Type: text/plain; charset=utf-8\n\n{body}\n"
    )
    return text.replace("\n", "\r\n").encode()


def test_reply_to_the_signed_address_lands_on_its_requirement_and_moves_it(mail: Mail) -> None:
    req = mail.wait_on_customer()
    receipt = mail.deliver(email(to=mail.reply_to(req)), [mail.reply_to(req)])
    assert (receipt.kind, receipt.matched_by, receipt.requirement_id, receipt.duplicate) == (
        InboundKind.MESSAGE,
        "reply_address",
        req.id,
        False,
    )
    db.session.refresh(req)
    assert req.state == "open"
    assert req.events[-1].trigger == "customer_replied"
    communication = db.session.get(Communication, receipt.communication_id)
    assert (communication.direction.value, communication.channel.value) == ("inbound", "email")
    assert communication.customer_id == mail.customer.id
    assert communication.message_id == "<m1@mail.example.com>"
    assert communication.body_text == "It arrived, thanks."  # the quote is trimmed
    row = db.session.get(InboundEmail, receipt.inbound_email_id)
    assert "Did it arrive?" in row.full_text  # and kept
    assert mail.store.exists(row.raw_sha256)


def test_a_forged_reply_address_matches_nothing(mail: Mail) -> None:
    forged = mail.reply_to(mail.requirement)[:-20] + "aaaaaaaaaaaaaaaa@example.com"
    receipt = mail.deliver(email(sender="eve@evil.example", to=forged), [forged])
    assert receipt.matched_by == "new_customer"
    assert receipt.requirement_id != mail.requirement.id


def test_the_same_message_delivered_twice_is_stored_once(mail: Mail) -> None:
    req = mail.wait_on_customer()
    first = mail.deliver(email(), [mail.reply_to(req)])
    again = mail.deliver(email(), [mail.reply_to(req)])
    assert again.duplicate and again.inbound_email_id == first.inbound_email_id
    assert again.communication_id == first.communication_id
    assert (mail.count(InboundEmail), mail.count(Communication)) == (1, 1)


def test_in_reply_to_an_outbox_message_matches_its_requirement(mail: Mail) -> None:
    other = mail.open("Second question")
    sent = outbox.enqueue_email(
        db.session,
        idempotency_key="test-notice",
        cause=f"timer:customer_reminder_1:requirement:{other.id}",
        to_address="ana@example.com",
        subject="Reminder",
        body_text="Any news?",
        clock=mail.clock,
    )
    db.session.commit()
    receipt = mail.deliver(email(headers=f"In-Reply-To: {sent.message_id}\n"))
    assert (receipt.matched_by, receipt.requirement_id) == ("headers", other.id)


def test_references_to_a_stored_communication_match_its_requirement(mail: Mail) -> None:
    first = mail.deliver(email(subject=f"[#{mail.requirement.id}] hello"))
    assert first.requirement_id == mail.requirement.id
    later = mail.deliver(
        email(
            sender="colleague@work.example",
            message_id="<m2@mail.example.com>",
            subject="Re: hello",
            headers="References: <unknown@x> <m1@mail.example.com>\n",
        )
    )
    assert (later.matched_by, later.requirement_id) == ("headers", mail.requirement.id)


def test_a_thread_root_counts_only_from_the_customers_addresses(mail: Mail) -> None:
    root = f"<thread-r{mail.requirement.id}@example.com>"
    mine = mail.deliver(email(sender="ana.lima@work.example", headers=f"References: {root}\n"))
    assert (mine.matched_by, mine.requirement_id) == ("headers", mail.requirement.id)
    stranger = mail.deliver(
        email(
            sender="eve@evil.example",
            message_id="<m2@evil.example>",
            headers=f"References: {root}\n",
        )
    )
    assert stranger.matched_by == "new_customer"
    assert stranger.requirement_id != mail.requirement.id


def test_a_subject_number_counts_only_from_the_customers_addresses(mail: Mail) -> None:
    subject = f"Re: [#{mail.requirement.id}] Invoice missing"
    mine = mail.deliver(email(subject=subject))
    assert (mine.matched_by, mine.requirement_id) == ("subject", mail.requirement.id)
    stranger = mail.deliver(
        email(sender="eve@evil.example", subject=subject, message_id="<m2@evil.example>")
    )
    assert stranger.requirement_id != mail.requirement.id


def test_a_known_sender_without_a_thread_gets_a_new_requirement(mail: Mail) -> None:
    receipt = mail.deliver(email(subject="Fwd: New printer broken", sender="ANA@example.com"))
    assert receipt.matched_by == "sender" and receipt.customer_id == mail.customer.id
    req = db.session.get(Requirement, receipt.requirement_id)
    assert (req.title, req.origin_channel, req.state) == ("New printer broken", "email", "new")
    assert req.id != mail.requirement.id


def test_an_unknown_sender_becomes_a_customer_or_stays_unmatched(mail: Mail) -> None:
    receipt = mail.deliver(email(sender="new@example.net", subject="Pricing?"))
    customer = db.session.get(Customer, receipt.customer_id)
    assert (receipt.matched_by, customer.name, customer.primary_email) == (
        "new_customer",
        "Ana Lima",
        "new@example.net",
    )
    assert db.session.get(Requirement, receipt.requirement_id).customer_id == customer.id
    ignoring = dataclasses.replace(mail.settings, unknown_senders="ignore")
    unmatched = mail.deliver(
        email(sender="other@example.net", message_id="<m2@x>"), settings=ignoring
    )
    assert (unmatched.kind, unmatched.communication_id) == (InboundKind.UNMATCHED, None)
    assert mail.count(Customer) == 2


def test_a_reply_reopens_within_the_window_and_opens_a_follower_after_it(mail: Mail) -> None:
    req = mail.requirement
    requirements.fire(db.session, req, "resolve", actor=mail.agent, clock=mail.clock, note="ok")
    db.session.commit()
    mail.clock.advance(timedelta(days=1))
    reopened = mail.deliver(email(), [mail.reply_to(req)])
    assert reopened.requirement_id == req.id
    db.session.refresh(req)
    assert req.state == "open"
    requirements.fire(db.session, req, "resolve", actor=mail.agent, clock=mail.clock, note="ok")
    db.session.commit()
    mail.clock.advance(timedelta(days=30))
    late = mail.deliver(email(message_id="<m2@mail.example.com>"), [mail.reply_to(req)])
    follower = db.session.get(Requirement, late.requirement_id)
    assert follower.id != req.id
    assert follower.extra["follows_requirement_id"] == req.id
    assert (follower.title, follower.customer_id) == (req.title, req.customer_id)
    db.session.refresh(req)
    assert req.state == "resolved"


def test_an_auto_reply_is_recorded_and_moves_nothing(mail: Mail) -> None:
    req = mail.wait_on_customer()
    events, sent = len(req.events), mail.count(OutboxMessage)
    receipt = mail.deliver(
        email(subject="Automatic reply: Invoice missing", headers="Auto-Submitted: auto-replied\n"),
        [mail.reply_to(req)],
    )
    assert (receipt.kind, receipt.requirement_id) == (InboundKind.AUTOMATIC, req.id)
    db.session.refresh(req)
    assert (req.state, len(req.events)) == ("waiting_on_customer", events)
    assert mail.count(OutboxMessage) == sent
    assert db.session.get(Communication, receipt.communication_id).requirement_id == req.id


def test_an_auto_reply_never_reopens_or_opens_anything(mail: Mail) -> None:
    req = mail.requirement
    requirements.fire(db.session, req, "resolve", actor=mail.agent, clock=mail.clock, note="ok")
    db.session.commit()
    before = mail.count(Requirement)
    mail.deliver(email(headers="Precedence: auto_reply\n"), [mail.reply_to(req)])
    stranger = mail.deliver(
        email(sender="robot@example.net", message_id="<m2@x>", headers="X-Autoreply: yes\n")
    )
    db.session.refresh(req)
    assert req.state == "resolved"
    assert (mail.count(Requirement), mail.count(Customer)) == (before, 1)
    assert stranger.kind is InboundKind.AUTOMATIC and stranger.communication_id is None


def test_a_null_envelope_sender_is_automatic(mail: Mail) -> None:
    req = mail.wait_on_customer()
    receipt = mail.deliver(email(), [mail.reply_to(req)], envelope_sender="")
    assert receipt.kind is InboundKind.AUTOMATIC
    db.session.refresh(req)
    assert req.state == "waiting_on_customer"


def dsn(original_message_id: str, recipient: str = "gone@example.org") -> bytes:
    text = f"""From: MAILER-DAEMON@mx.example.org
To: rapport@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{original_message_id.strip("<>")}>
Content-Type: multipart/report; report-type=delivery-status; boundary="rep"

--rep
Content-Type: text/plain

Could not deliver.

--rep
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {recipient}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--rep
Content-Type: text/rfc822-headers

To: {recipient}
Message-ID: {original_message_id}

--rep--
"""
    return text.replace("\n", "\r\n").encode()


def test_a_bounce_suppresses_the_address_and_fails_the_outgoing_message(mail: Mail) -> None:
    sent = outbox.enqueue_email(
        db.session,
        idempotency_key="to-gone",
        cause=f"timer:customer_reminder_1:requirement:{mail.requirement.id}",
        to_address="Gone@example.org",
        subject="Reminder",
        body_text="Any news?",
        clock=mail.clock,
    )
    db.session.commit()
    receipt = mail.deliver(dsn(sent.message_id), ["rapport@example.com", "support@example.com"])
    assert receipt.kind is InboundKind.BOUNCE and receipt.communication_id is None
    suppression = db.session.scalar(select(EmailSuppression))
    assert (suppression.email, suppression.reason) == ("gone@example.org", "bounced")
    assert "5.1.1" in suppression.detail
    db.session.refresh(sent)
    assert sent.status is OutboxStatus.DEAD
    assert sent.last_error.startswith("Bounced: gone@example.org: 5.1.1")


def test_a_sender_over_the_rate_is_told_to_try_later(mail: Mail) -> None:
    limited = dataclasses.replace(mail.settings, sender_limit_per_minute=2)
    for n in range(2):
        mail.deliver(email(message_id=f"<r{n}@x>"), settings=limited)
    with pytest.raises(InboundRefused) as refused:
        mail.deliver(email(message_id="<r2@x>"), settings=limited)
    assert (refused.value.smtp_code, refused.value.http_status) == (451, 429)
    mail.clock.advance(timedelta(minutes=1, seconds=1))
    assert not mail.deliver(email(message_id="<r2@x>"), settings=limited).duplicate


@pytest.mark.parametrize(
    ("raw", "recipients", "smtp_code"),
    [
        (email(), ["someone@example.com"], 550),
        (email(to="sales@elsewhere.example"), [], 550),
        (b"\r\n\r\n", ["support@example.com"], 554),
        (email(body="x" * 2000), ["support@example.com"], 552),
    ],
)
def test_refusals_leave_nothing_behind(
    mail: Mail, raw: bytes, recipients: list[str], smtp_code: int
) -> None:
    small = dataclasses.replace(mail.settings, max_bytes=1500)
    with pytest.raises(InboundRefused) as refused:
        mail.deliver(raw, recipients, settings=small)
    assert refused.value.smtp_code == smtp_code
    assert (mail.count(InboundEmail), mail.count(Communication)) == (0, 0)


def test_attachments_are_kept_by_content_and_refused_ones_listed(mail: Mail) -> None:
    raw = (
        "From: ana@example.com\nTo: support@example.com\nSubject: files\nMessage-ID: <a@x>\n"
        'Content-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain\n\nSee.\n'
        '--m\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="a.pdf"\n'
        "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQ=\n"
        '--m\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="b.pdf"\n'
        "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQ=\n"
        "--m\nContent-Type: application/x-msdownload\n"
        'Content-Disposition: attachment; filename="run.exe"\n\nMZ\n--m--\n'
    ).replace("\n", "\r\n")
    receipt = mail.deliver(raw.encode())
    rows = db.session.scalars(
        select(Attachment)
        .where(Attachment.communication_id == receipt.communication_id)
        .order_by(Attachment.id)
    ).all()
    assert [(r.filename, r.size, r.refusal) for r in rows] == [
        ("a.pdf", 8, None),
        ("b.pdf", 8, None),
        ("run.exe", 2, "type application/x-msdownload not allowed"),
    ]
    assert rows[0].sha256 == rows[1].sha256 and rows[2].sha256 is None
    assert mail.store.open(rows[0].sha256) == b"%PDF-1.4"


def test_a_message_already_on_a_timeline_is_recorded_and_adds_nothing(mail: Mail) -> None:
    """Rapport's own sent message coming back (Bcc to the support address, a list)."""
    sent = conversations.log_communication(
        db.session,
        mail.customer,
        {"channel": "email", "direction": "outbound", "body": "Here is the invoice."},
        actor_id=mail.agent.id,
        clock=mail.clock,
    )
    sent.message_id = "<sent-1@example.com>"
    db.session.commit()
    receipt = mail.deliver(email(sender="support@example.com", message_id="<sent-1@example.com>"))
    assert (receipt.communication_id, receipt.matched_by) == (sent.id, "own_message")
    assert mail.count(Communication) == 1
    # Anything else from our own address is a loop, not a new customer.
    loop = mail.deliver(email(sender="support@example.com", message_id="<loop@example.com>"))
    assert (loop.kind, loop.communication_id) == (InboundKind.AUTOMATIC, None)
    assert mail.count(Customer) == 1


def _with_files(sender: str, message_id: str, files: dict[str, str]) -> bytes:
    """A message from `sender` carrying base64 `files` (name -> base64 content)."""
    parts = "".join(
        f'--m\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="{name}"\n'
        f"Content-Transfer-Encoding: base64\n\n{content}\n"
        for name, content in files.items()
    )
    raw = (
        f"From: {sender}\nTo: support@example.com\nSubject: files\nMessage-ID: {message_id}\n"
        'Content-Type: multipart/mixed; boundary="m"\n\n--m\nContent-Type: text/plain\n\n'
        f"From {sender}, see the files.\n{parts}--m--\n"
    )
    return raw.replace("\n", "\r\n").encode()


def test_the_export_carries_files_and_outreach_and_erasure_deletes_the_customers_blobs(
    mail: Mail,
) -> None:
    bea = profiles.create_customer(
        db.session, {"name": "Bea", "emails": "bea@example.com"}, actor_id=None, clock=mail.clock
    )
    db.session.commit()
    shared, own = "JVBERi0xLjQ=", "JVBERi0xLjUgYW5h"  # "%PDF-1.4", "%PDF-1.5 ana"
    ana_receipt = mail.deliver(
        _with_files("ana@example.com", "<f1@x>", {"a.pdf": shared, "ana.pdf": own})
    )
    mail.deliver(_with_files("bea@example.com", "<f2@x>", {"b.pdf": shared}))
    ana_rows = db.session.scalars(
        select(Attachment).where(Attachment.communication_id == ana_receipt.communication_id)
    ).all()
    ana_raw = db.session.scalar(
        select(InboundEmail.raw_sha256).where(InboundEmail.message_id == "<f1@x>")
    )
    digests = {r.filename: r.sha256 for r in ana_rows}
    assert mail.store.exists(ana_raw) and all(mail.store.exists(d) for d in digests.values())
    # An outreach enrolment with one message sent.
    strategy = make_strategy(db.session, mail.clock)
    enrolment = Enrolment(
        strategy_id=strategy.id,
        version_id=strategy.current_version_id,
        customer_id=mail.customer.id,
        status=EnrolmentStatus.ACTIVE,
        enrolled_at=mail.clock.now(),
        steps_done=1,
    )
    db.session.add(enrolment)
    db.session.flush()
    sent = outbox.enqueue_email(
        db.session,
        idempotency_key=f"outreach:{strategy.id}:{mail.customer.id}:0",
        cause=f"outreach:{strategy.id}",
        to_address="ana@example.com",
        subject="Step 1 for Ana",
        body_text="Hello Ana",
        clock=mail.clock,
    )
    db.session.add(
        EnrolmentEvent(
            enrolment_id=enrolment.id,
            strategy_id=strategy.id,
            customer_id=mail.customer.id,
            at=mail.clock.now(),
            kind="sent",
            step_index=0,
            channel="email",
            outbox_id=sent.id,
        )
    )
    take_pending(db.session)
    db.session.commit()

    archive = zipfile.ZipFile(
        io.BytesIO(
            exports.export_archive(db.session, mail.customer.id, clock=mail.clock, blobs=mail.store)
        )
    )
    listed = json.loads(archive.read("attachments.json"))
    assert sorted(a["filename"] for a in listed) == ["a.pdf", "ana.pdf"]
    files = {
        n.split("/", 1)[1]: archive.read(n)
        for n in archive.namelist()
        if n.startswith("attachments/")
    }
    assert sorted(files.values()) == [b"%PDF-1.4", b"%PDF-1.5 ana"]
    outreach = json.loads(archive.read("outreach.json"))
    assert outreach[0]["strategy"] == strategy.name
    assert outreach[0]["delivered_at"] is None  # not sent yet: its delivery is kept, too
    assert outreach[0]["events"][0]["message"]["subject"] == "Step 1 for Ana"
    assert json.loads(archive.read("manifest.json"))["sections"]["attachments"]["files"] == 2

    job = erasure.request_erasure(db.session, mail.customer, actor_id=None, clock=mail.clock)
    take_pending(db.session)
    db.session.commit()
    while erasure.step(db.session, job.id, clock=mail.clock, blobs=mail.store):
        db.session.commit()
    db.session.commit()

    assert not mail.store.exists(ana_raw)  # the raw message
    assert not mail.store.exists(digests["ana.pdf"])  # her own file
    assert mail.store.exists(digests["a.pdf"])  # the same bytes Bea sent stay for Bea
    rows = db.session.scalars(
        select(Attachment).where(Attachment.communication_id == ana_receipt.communication_id)
    ).all()
    assert {(r.filename, r.sha256) for r in rows} == {("[erased]", None)}
    message = db.session.scalar(select(InboundEmail).where(InboundEmail.message_id == "<f1@x>"))
    assert (message.raw_sha256, message.full_html) == (None, None)
    assert "ana@example.com" not in f"{message.full_text} {message.from_address}"
    certificate = db.session.get(type(job), job.id).certificate
    assert certificate["steps"]["attachments"]["blobs_deleted"] == 2
    assert certificate["steps"]["attachments"]["blobs_shared_with_others"] == 1
    bea_rows = db.session.scalars(
        select(Attachment).join(Communication).where(Communication.customer_id == bea.id)
    ).all()
    assert [r.filename for r in bea_rows] == ["b.pdf"]
