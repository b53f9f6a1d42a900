"""In-app notifications, each user's choice of channel per event, and the outgoing mail
server's health as the outbox sender last found it."""

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class Notification(Base):
    """Something a user should hear of: `event` is a key of
    `workflows.tracking.notifications.EVENTS`; the page words it from the event and the
    requirement's title as it was then."""

    __tablename__ = "notifications"
    __table_args__ = (
        # The bell counts a user's unread rows on every poll; the page lists theirs newest first.
        Index("ix_notifications_user_unread", "user_id", "read_at"),
        Index("ix_notifications_user_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    requirement_id: Mapped[int | None] = mapped_column(
        ForeignKey("requirements.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(String(300))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """A user's choice for one event; no row means the event's default."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("user_id", "event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    event: Mapped[str] = mapped_column(String(40))
    in_app: Mapped[bool]
    email: Mapped[bool]


class MailServerStatus(Base):
    """One row (id 1) while the outbox sender cannot reach the SMTP server; cleared by the next
    message the server accepts. `reason` is a key the banner words (refused, timeout, …)."""

    __tablename__ = "mail_server_status"

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int]
    reason: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text)
    failing_since: Mapped[datetime]
    last_failure_at: Mapped[datetime]
