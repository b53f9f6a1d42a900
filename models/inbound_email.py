"""Every message Rapport received, whatever became of it (a reply on a requirement, an
automatic answer, a bounce, an unmatched message), and the addresses that must not be mailed."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, value_enum


class InboundKind(enum.StrEnum):
    MESSAGE = "message"  # from a person: on a timeline, with its effect
    AUTOMATIC = "automatic"  # auto-reply, out of office, bulk: recorded, never acted on
    BOUNCE = "bounce"  # a delivery status notification
    UNMATCHED = "unmatched"  # nothing to attach it to, and no new customer wanted


class InboundEmail(Base):
    __tablename__ = "inbound_emails"
    __table_args__ = (Index("ix_inbound_emails_sender_received", "from_address", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The message's own Message-ID, or one made from its SHA-256 when it has none: the key that
    # stores a message delivered twice once.
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    kind: Mapped[InboundKind] = mapped_column(value_enum(InboundKind))
    from_address: Mapped[str] = mapped_column(String(254))
    from_name: Mapped[str | None] = mapped_column(String(200))
    recipients: Mapped[list[Any]] = mapped_column(JSON, default=list)
    subject: Mapped[str | None] = mapped_column(String(300))
    # How it was matched: reply_address, headers, subject, sender, new_customer (or None).
    matched_by: Mapped[str | None] = mapped_column(String(20))
    communication_id: Mapped[int | None] = mapped_column(
        ForeignKey("communications.id", ondelete="SET NULL"), index=True
    )
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirements.id", ondelete="SET NULL"), index=True
    )
    # What the timeline shows is the new text only; the whole message stays here.
    full_text: Mapped[str | None] = mapped_column(Text)
    full_html: Mapped[str | None] = mapped_column(Text)  # sanitised with nh3
    raw_sha256: Mapped[str | None] = mapped_column(String(64))  # the raw message in the blob store
    size: Mapped[int] = mapped_column(default=0)
    note: Mapped[str | None] = mapped_column(String(300))  # why it was automatic, what bounced
    received_at: Mapped[datetime]
