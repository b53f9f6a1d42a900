"""Outgoing messages: each written with its cause and sent once by a worker (DESIGN.md §6)."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, value_enum


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    SUPPRESSED = "suppressed"


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending_next_attempt_at",
            "next_attempt_at",
            postgresql_where=text("status = 'pending'"),
            sqlite_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    cause: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(20), default="email")
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # More header fields, as written (Reply-To, In-Reply-To, References, Cc, List-Unsubscribe…);
    # the sender never changes From, To, Subject, Message-ID or Date through them.
    headers: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Files the message carries, by reference: [{"sha256", "filename", "content_type"}], the
    # bytes in the attachment blob store (an agent's reply with files; None for most).
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    status: Mapped[OutboxStatus] = mapped_column(
        value_enum(OutboxStatus),
        default=OutboxStatus.PENDING,
        index=True,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    next_attempt_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    # The worker process sending it while `sending` (its lease renewer's token): that process
    # renews `lease_until` about every second, so an expired lease means a dead or stuck sender.
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
