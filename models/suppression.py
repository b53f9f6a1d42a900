"""The email suppression list: addresses no non-transactional message may reach (unsubscribed,
bounced, complained, or added by hand). Notices about a customer's own requirement still go."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, value_enum


class SuppressionReason(enum.StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    COMPLAINT = "complaint"
    MANUAL = "manual"


class EmailSuppression(Base):
    __tablename__ = "email_suppressions"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    reason: Mapped[SuppressionReason] = mapped_column(value_enum(SuppressionReason))
    detail: Mapped[str | None] = mapped_column(String(300))  # a bounce's status and diagnostic
    inbound_email_id: Mapped[int | None] = mapped_column(
        ForeignKey("inbound_emails.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime]
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
