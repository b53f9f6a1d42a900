"""A requirement's thread as agents read it: every communication linked to it (the customer's
emails, replies, notes, calls), oldest first, each reply with its delivery status."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Communication, OutboxMessage, User

# Outbox status → what the thread shows. "bounced" is written when a delivery status
# notification comes back for a sent message; an unknown status is shown as it is.
DELIVERY = {
    "pending": "queued",
    "sending": "queued",
    "sent": "sent",
    "dead": "failed",
    "suppressed": "failed",
    "bounced": "bounced",
}


@dataclass(frozen=True)
class ThreadMessage:
    communication: Communication
    author: str | None
    delivery: str | None  # queued, sent, failed, bounced; None for what was not sent by us
    delivery_error: str | None
    sent_at: object | None


def messages(session: Session, requirement_id: int) -> list[ThreadMessage]:
    """The thread in order (occurred, then id) in one query."""
    rows = session.execute(
        select(
            Communication,
            User.name,
            OutboxMessage.status,
            OutboxMessage.last_error,
            OutboxMessage.sent_at,
        )
        .outerjoin(User, User.id == Communication.author_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == Communication.outbox_id)
        .where(Communication.requirement_id == requirement_id, Communication.deleted_at.is_(None))
        .order_by(Communication.occurred_at, Communication.id)
    )
    thread = []
    for communication, author, status, last_error, sent_at in rows:
        delivery = None if status is None else DELIVERY.get(str(status), str(status))
        thread.append(
            ThreadMessage(
                communication=communication,
                author=author,
                delivery=delivery,
                delivery_error=last_error if delivery in ("failed", "bounced", "queued") else None,
                sent_at=sent_at,
            )
        )
    return thread
