"""Communication records: one timeline per customer (visits, calls, meetings, email, SMS, notes)."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, value_enum
from models.customer import Customer


class CommunicationChannel(enum.StrEnum):
    VISIT = "visit"
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    SMS = "sms"
    NOTE = "note"


class Direction(enum.StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    INTERNAL = "internal"


class Communication(Base):
    __tablename__ = "communications"
    __table_args__ = (
        Index("ix_communications_customer_timeline", "customer_id", "occurred_at", "id"),
        # "Did the customer reply since …" (outreach stops and a strategy's results, once per
        # enrolment): one seek that the index answers alone, instead of reading every
        # communication of the customer to look at its direction and deletion.
        Index(
            "ix_communications_customer_direction",
            "customer_id",
            "direction",
            "deleted_at",
            "occurred_at",
        ),
        # An email's Message-ID (sent or received) is stored once: the thread's References
        # come from it, and the same message delivered twice finds it.
        Index(
            "uq_communications_message_id",
            "message_id",
            unique=True,
            postgresql_where=text("message_id IS NOT NULL"),
            sqlite_where=text("message_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    channel: Mapped[CommunicationChannel] = mapped_column(value_enum(CommunicationChannel))
    direction: Mapped[Direction] = mapped_column(value_enum(Direction))
    occurred_at: Mapped[datetime]
    duration_seconds: Mapped[int | None]
    subject: Mapped[str | None] = mapped_column(String(300))
    body_html: Mapped[str | None] = mapped_column(Text)  # sanitised with nh3
    body_text: Mapped[str | None] = mapped_column(Text)  # plain text, for search and exports
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    participants: Mapped[list[Any]] = mapped_column(JSON, default=list)
    requirement_id: Mapped[int | None] = mapped_column(index=True)  # FK once requirements exist
    # Email only: the RFC 5322 Message-ID (with its angle brackets), and for a message Rapport
    # sends, the outbox row that carries it (its delivery status).
    message_id: Mapped[str | None] = mapped_column(String(300))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox.id", ondelete="SET NULL"))
    # A message an outreach strategy sent: the strategy, the step (0-based, as in the API's
    # `steps`) and the A/B variant (None without variants). No foreign key: SQLite cannot add
    # one to an existing table without rebuilding it, and this is the largest table; a
    # strategy is archived, not deleted, so the id stays meaningful.
    strategy_id: Mapped[int | None]
    strategy_step_index: Mapped[int | None]
    strategy_variant: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    deleted_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    customer: Mapped[Customer] = relationship()

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012
