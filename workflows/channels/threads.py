"""A requirement's thread as agents read it, oldest first: every communication linked to it (the
customer's emails, replies, notes, calls) and the notices tracking sent the customer about it
(reminders, auto-resolve, auto-close), each email Rapport sent with its delivery status."""

import html
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Attachment,
    Communication,
    OutboxMessage,
    Requirement,
    Timer,
    TimerStatus,
    User,
)
from workflows.platform.outbox_delivery import BOUNCED_PREFIX
from workflows.tracking import notices

# Outbox status → what the thread shows; an unknown status is shown as it is. A message a
# delivery status notification reported is `dead` with a BOUNCED_PREFIX error: "bounced".
DELIVERY = {
    "pending": "queued",
    "sending": "queued",
    "sent": "sent",
    "dead": "failed",
    "suppressed": "failed",
}
CUSTOMER_NOTICES = sorted(kind for kind, to in notices.NOTICES.items() if to == "customer")


@dataclass(frozen=True)
class ThreadFile:
    """A file that came with or went with a message; `refusal` says why one was not kept."""

    id: int
    filename: str
    content_type: str
    size: int
    refusal: str | None


@dataclass(frozen=True)
class ThreadMessage:
    """One message of the thread: a communication (`id` is its id) or a customer notice (`id`
    None, `notice` the timer kind)."""

    id: int | None
    requirement_id: int
    customer_id: int
    at: datetime
    channel: str
    direction: str
    subject: str | None
    body_html: str | None
    body_text: str | None
    author_id: int | None
    author: str | None
    participants: list[str]
    message_id: str | None
    delivery: str | None  # queued, sent, failed, bounced; None for what Rapport did not send
    delivery_error: str | None
    sent_at: datetime | None
    notice: str | None = None
    attachments: tuple[ThreadFile, ...] = ()


def _delivery(row: OutboxMessage | None) -> tuple[str | None, str | None]:
    if row is None:
        return None, None
    if row.last_error and row.last_error.startswith(BOUNCED_PREFIX):
        return "bounced", row.last_error.removeprefix(BOUNCED_PREFIX)
    delivery = DELIVERY.get(str(row.status), str(row.status))
    return delivery, row.last_error if delivery in ("failed", "queued") else None


def messages(session: Session, requirement_id: int) -> list[ThreadMessage]:
    """The thread in order (when, then communications before notices, then id); four queries."""
    rows = session.execute(
        select(Communication, User.name, OutboxMessage)
        .outerjoin(User, User.id == Communication.author_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == Communication.outbox_id)
        .where(Communication.requirement_id == requirement_id, Communication.deleted_at.is_(None))
        .order_by(Communication.occurred_at, Communication.id)
    ).all()
    files = _files(session, [c.id for c, _, _ in rows])
    thread = [_from_communication(c, author, row, files.get(c.id, ())) for c, author, row in rows]
    thread += _notices(session, requirement_id)
    return sorted(thread, key=lambda m: (m.at, m.id is None, m.id or 0))


def _files(session: Session, communication_ids: list[int]) -> dict[int, tuple[ThreadFile, ...]]:
    if not communication_ids:
        return {}
    found: dict[int, list[ThreadFile]] = {}
    for a in session.scalars(
        select(Attachment)
        .where(Attachment.communication_id.in_(communication_ids))
        .order_by(Attachment.id)
    ):
        file = ThreadFile(a.id, a.filename, a.content_type, a.size, a.refusal)
        found.setdefault(a.communication_id, []).append(file)
    return {k: tuple(v) for k, v in found.items()}


def _from_communication(
    communication: Communication,
    author: str | None,
    row: OutboxMessage | None,
    files: tuple[ThreadFile, ...],
) -> ThreadMessage:
    delivery, error = _delivery(row)
    return ThreadMessage(
        id=communication.id,
        requirement_id=communication.requirement_id or 0,
        customer_id=communication.customer_id,
        at=communication.occurred_at,
        channel=communication.channel.value,
        direction=communication.direction.value,
        subject=communication.subject,
        body_html=communication.body_html,
        body_text=communication.body_text,
        author_id=communication.author_id,
        author=author,
        participants=list(communication.participants or []),
        message_id=communication.message_id,
        delivery=delivery,
        delivery_error=error,
        sent_at=row.sent_at if row is not None else None,
        attachments=files,
    )


def _notices(session: Session, requirement_id: int) -> list[ThreadMessage]:
    """The customer notices its timers wrote, found by their outbox keys (`timer:<id>`, unique)
    rather than by a scan of the outbox."""
    timers = dict(
        session.execute(
            select(Timer.id, Timer.kind).where(
                Timer.requirement_id == requirement_id,
                Timer.kind.in_(CUSTOMER_NOTICES),
                Timer.status == TimerStatus.FIRED,
            )
        ).all()
    )
    if not timers:
        return []
    customer_id = session.scalar(
        select(Requirement.customer_id).where(Requirement.id == requirement_id)
    )
    keys = {f"timer:{timer_id}": kind for timer_id, kind in timers.items()}
    rows = session.scalars(select(OutboxMessage).where(OutboxMessage.idempotency_key.in_(keys)))
    found = []
    for row in rows:
        delivery, error = _delivery(row)
        found.append(
            ThreadMessage(
                id=None,
                requirement_id=requirement_id,
                customer_id=customer_id or 0,
                at=row.created_at,
                channel="email",
                direction="outbound",
                subject=row.subject,
                body_html=html.escape(row.body_text).replace("\n", "<br>\n"),
                body_text=row.body_text,
                author_id=None,
                author=None,
                participants=[row.to_address],
                message_id=row.message_id,
                delivery=delivery,
                delivery_error=error,
                sent_at=row.sent_at,
                notice=keys[row.idempotency_key],
            )
        )
    return found
