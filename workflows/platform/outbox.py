"""The outbox: every outgoing message is a row written in the causing transaction and sent
once by a worker (DESIGN.md §6)."""

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.charset import QP, Charset
from email.message import EmailMessage, Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, getaddresses
from typing import Any

from sqlalchemy import Result, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from models import OutboxMessage, OutboxStatus, sync_delivery
from workflows.platform.clock import Clock
from workflows.platform.publishing import publish_after_commit

SEND_TASK = "outbox.send"
SEND_BATCH_TASK = "outbox.send_batch"
SEND_CHUNK = 200  # ids per `outbox.send_batch` task
DEFAULT_MAX_ATTEMPTS = 5


MAIL_DOMAIN_KEY = "rapport.mail_domain"  # session.info: the web app sets it from MAIL_FROM


def _domain(session: Session, domain: str | None) -> str:
    if domain:
        return domain
    session.connection()  # begin the transaction now: beginning it names the domain
    return session.info.get(MAIL_DOMAIN_KEY) or "rapport.local"


def message_id_for(idempotency_key: str, domain: str) -> str:
    """A fixed Message-ID derived from the key, so a resend after a crash is recognisable."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def message_id_of(session: Session, idempotency_key: str, domain: str | None = None) -> str:
    """The Message-ID the outbox gives (or gave) the email with this key."""
    return message_id_for(idempotency_key, _domain(session, domain))


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at one hour."""
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))


def one_line(text: str) -> str:
    """A header value: a newline in, say, a requirement title would end the header (and
    `email` refuses it outright), so every run of whitespace becomes one space."""
    return " ".join(text.split())


def enqueue_email(
    session: Session,
    *,
    idempotency_key: str,
    cause: str,
    to_address: str,
    subject: str,
    body_text: str,
    clock: Clock,
    body_html: str | None = None,
    domain: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
    headers: dict[str, str] | None = None,
    attachments: Sequence[dict[str, str]] | None = None,
) -> OutboxMessage:
    """Write an email to the outbox (once per key) and publish its send after commit.

    `headers` are more header fields (Reply-To, In-Reply-To, References, Cc, …); see
    `build_email` for the ones it refuses to override. `attachments` name files already in
    the blob store: `{"sha256", "filename", "content_type"}` each."""
    existing = session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == idempotency_key)
    )
    if existing is not None:
        return existing
    now = clock.now()
    message = OutboxMessage(
        idempotency_key=idempotency_key,
        cause=cause,
        to_address=to_address,
        subject=one_line(subject),
        body_text=body_text,
        body_html=body_html,
        headers=_checked(headers),
        attachments=[dict(a) for a in attachments] if attachments else None,
        message_id=message_id_for(idempotency_key, _domain(session, domain)),
        status=OutboxStatus.PENDING,
        attempts=0,
        max_attempts=max_attempts,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    session.flush()
    publish_after_commit(session, SEND_TASK, message.id)
    return message


@dataclass(frozen=True)
class Email:
    """An email to write to the outbox; its idempotency key decides whether it is new."""

    idempotency_key: str
    cause: str
    to_address: str
    subject: str
    body_text: str
    body_html: str | None = None
    headers: dict[str, str] | None = None


def insert_emails(
    session: Session,
    emails: Sequence[Email],
    *,
    clock: Clock,
    domain: str | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> list[int]:
    """Write each email once per idempotency key with one INSERT … ON CONFLICT DO NOTHING (a
    key already in the outbox keeps its row). Returns the ids of the rows written now; publishes
    nothing: pass them to `publish_sends`. Core, not the ORM: no flush, no objects."""
    if not emails:
        return []
    now = clock.now()
    mail_domain = _domain(session, domain)
    rows = [
        {
            "idempotency_key": email.idempotency_key,
            "cause": email.cause,
            "channel": "email",
            "to_address": email.to_address,
            "subject": email.subject,
            "body_text": email.body_text,
            "body_html": email.body_html,
            "headers": _checked(email.headers),
            "message_id": message_id_for(email.idempotency_key, mail_domain),
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "max_attempts": max_attempts,
            "next_attempt_at": now,
            "created_at": now,
        }
        for email in emails
    ]
    return list(_insert_new(session, rows).scalars())


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> Result[Any]:
    table = OutboxMessage.__table__
    if session.get_bind().dialect.name != "postgresql":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["idempotency_key"])
        return session.execute(statement.returning(table.c.id), rows)
    # One array per column, not 13 placeholders per row: psycopg parses every placeholder of a
    # statement on each run (it caches none with over 50), which cost more than the INSERT
    # itself (38 ms against 12 ms for 200 rows).
    columns = list(rows[0])
    arrays = [
        func.unnest(bindparam(f"{name}_values", [r[name] for r in rows], ARRAY(table.c[name].type)))
        for name in columns
    ]
    statement = postgresql.insert(table).from_select(columns, select(*arrays))
    statement = statement.on_conflict_do_nothing(index_elements=["idempotency_key"])
    return session.execute(statement.returning(table.c.id))


def publish_sends(session: Session, message_ids: Sequence[int]) -> None:
    """Publish the sends of `message_ids` after commit, `SEND_CHUNK` ids per task."""
    for start in range(0, len(message_ids), SEND_CHUNK):
        publish_after_commit(
            session, SEND_BATCH_TASK, list(message_ids[start : start + SEND_CHUNK])
        )


def enqueue_emails(session: Session, emails: Sequence[Email], *, clock: Clock) -> list[int]:
    """Write emails to the outbox (once per key) and publish their sends after commit; returns
    the ids of the rows written now."""
    message_ids = insert_emails(session, emails, clock=clock)
    publish_sends(session, message_ids)
    return message_ids


# What every automatic message carries (staff and customer notices: SLA warnings and breaches,
# reminders, escalations), so that other systems do not answer it: RFC 3834's Auto-Submitted,
# Precedence for the vacation responders that predate it, and Exchange's suppression of
# out-of-office and auto-replies — not "All", which would also suppress the non-delivery reports
# that mark an address bounced. An agent's reply to a customer carries none of them.
AUTOMATIC_HEADERS = {
    "Auto-Submitted": "auto-generated",
    "Precedence": "bulk",
    "X-Auto-Response-Suppress": "OOF, AutoReply",
}


def automatic(headers: dict[str, str] | None = None) -> dict[str, str]:
    """`headers` (thread fields, …) plus AUTOMATIC_HEADERS."""
    return {**(headers or {}), **AUTOMATIC_HEADERS}


# Fields the outbox owns: a row's `headers` may not set them (the Message-ID is what makes a
# resend after a crash recognisable; From is the configured sender).
OWN_HEADERS = frozenset({"from", "to", "subject", "message-id", "date", "x-rapport-cause"})


def _checked(headers: dict[str, str] | None) -> dict[str, str] | None:
    if not headers:
        return None
    refused = sorted(name for name in headers if name.lower() in OWN_HEADERS)
    if refused:
        raise ValueError(f"the outbox sets {', '.join(refused)} itself")
    for name, value in headers.items():
        if "\r" in value or "\n" in value:  # a header injection, or a bug upstream
            raise ValueError(f"header {name} holds a line break")
    return dict(headers)


# Bodies with only ASCII go as 7bit; others as quoted-printable UTF-8 (readable in the raw).
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP
ADDRESS_FIELDS = frozenset({"from", "to", "cc", "bcc", "reply-to", "sender"})


def _encoded(name: str, value: str) -> str:
    """A header value as it goes on the wire: RFC 2047 words where it is not ASCII, for the
    non-ASCII words only (so "At risk: … “Invoice”" keeps "At risk:" readable)."""
    if value.isascii():
        return value
    if name.lower() in ADDRESS_FIELDS:  # encode the display names; an address must be ASCII
        return ", ".join(formataddr(pair, "utf-8") for pair in getaddresses([value]))
    # What EmailMessage does, for this header only: "Name: … =?utf-8?q?…?=\r\n", maybe folded.
    folded = policy.SMTP.header_factory(name, value).fold(policy=policy.SMTP)
    return folded.split(":", 1)[1].strip().replace("\r\n ", " ")


def _part(text: str, subtype: str) -> MIMEText:
    return MIMEText(text, subtype, "us-ascii" if text.isascii() else UTF8_QP)


ReadBlob = Callable[[str], bytes]  # the bytes of a blob-store file by its SHA-256


def build_email(row: OutboxMessage, sender: str, read_blob: ReadBlob | None = None) -> Message:
    """The message for `row`. Without attachments, built with the compat32 classes, whose
    headers are plain strings: the `email.policy.default` API parsed every header it was given
    and cost ~1.2 ms of CPU per message, the largest part of sending one (~0.2 ms now;
    bench/README.md, Outbox). With attachments (a few replies), the default policy's
    EmailMessage builds the multipart/mixed message; `read_blob` gives the files' bytes
    (FileNotFoundError, ValueError when one is gone)."""
    if row.attachments:
        if read_blob is None:
            raise ValueError("the message has attachments and no blob store was given")
        return _with_attachments(row, sender, read_blob)
    text = _part(row.body_text, "plain")
    if row.body_html:
        message: Message = MIMEMultipart("alternative")
        message.attach(text)
        message.attach(_part(row.body_html, "html"))
    else:
        message = text
    message["From"] = _encoded("From", sender)
    message["To"] = _encoded("To", row.to_address)
    # one_line: rows written before subjects were kept to one line
    message["Subject"] = _encoded("Subject", one_line(row.subject))
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["X-Rapport-Cause"] = _encoded("X-Rapport-Cause", row.cause)
    for name, value in (row.headers or {}).items():
        message[name] = _encoded(name, value)
    return message


def _with_attachments(row: OutboxMessage, sender: str, read_blob: ReadBlob) -> EmailMessage:
    message = EmailMessage(policy=policy.default)
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = one_line(row.subject)
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["X-Rapport-Cause"] = row.cause
    for name, value in (row.headers or {}).items():
        message[name] = value
    message.set_content(row.body_text)
    if row.body_html:
        message.add_alternative(row.body_html, subtype="html")
    for file in row.attachments or []:
        maintype, _, subtype = str(file["content_type"]).partition("/")
        # message/* and multipart/* parts may not be base64 (RFC 2046 §5), and 8-bit bytes
        # could not go otherwise: such a file goes as opaque bytes, its name kept.
        if not subtype or maintype in ("message", "multipart"):
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(
            read_blob(str(file["sha256"])),
            maintype=maintype,
            subtype=subtype,
            filename=str(file["filename"]),
        )
    return message


def retry(session: Session, row: OutboxMessage, *, clock: Clock) -> None:
    """An admin's retry of a dead (or waiting) message: due now, with a fresh attempt budget."""
    if row.status not in (OutboxStatus.DEAD, OutboxStatus.PENDING):
        return
    row.status = OutboxStatus.PENDING
    row.next_attempt_at = clock.now()
    row.max_attempts = row.attempts + DEFAULT_MAX_ATTEMPTS
    session.flush()
    sync_delivery(
        session, [row.id], now=clock.now()
    )  # a dead outreach step is no longer counted as failed
    publish_after_commit(session, SEND_TASK, row.id)


def sweep(
    session: Session, *, clock: Clock, limit: int = 500, republish_waiting: bool = True
) -> list[int]:
    """Release expired `sending` leases and publish again, after commit, the rows it released
    and (with `republish_waiting`) the other due pending rows, whose publish may have been lost.
    Returns the ids published.

    A sender renews its leases about every second (`outbox_delivery.renew`), so an expired one
    means its process died or lost the database. The caller passes `republish_waiting=False`
    while the workers are behind: the waiting rows' tasks are then most likely still queued,
    and publishing them again every sweep would only add work. Safe to run twice: publishing a
    row that is already being sent is a no-op at claim time.
    """
    now = clock.now()
    released = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_until < now)
        .values(status=OutboxStatus.PENDING, lease_until=None, claimed_by=None)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    ids = sorted(released)
    if republish_waiting:
        waiting = session.scalars(
            select(OutboxMessage.id)
            .where(
                OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now
            )
            .order_by(OutboxMessage.next_attempt_at)
            .limit(limit)
        )
        ids = sorted(set(ids).union(waiting))
    publish_sends(session, ids)
    session.flush()
    return ids


def suppress_pending_after(session: Session, after_id: int, *, reason: str) -> int:
    """Mark pending messages with an id above `after_id` suppressed (never sent), e.g. the
    notices that loading back-dated demo history wrote; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id > after_id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SUPPRESSED, last_error=reason)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
