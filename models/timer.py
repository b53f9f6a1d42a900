"""Business timers are rows, not Celery ETAs (DESIGN.md §5): the clock claims due rows and a
worker fires them; the row's expected state and state_seq make a late firing a no-op."""

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, value_enum


class TimerStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for due_at
    ENQUEUED = "enqueued"  # claimed by the clock, published to a worker, lease running
    FIRED = "fired"
    STALE = "stale"  # the requirement had moved on when it came due
    CANCELLED = "cancelled"  # its state was left before it came due
    FAILED = "failed"


class Timer(Base):
    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("requirement_id", "kind", "state_seq", "generation"),
        Index(
            "ix_timers_pending_due_at",
            "due_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_timers_enqueued_lease_until",
            "lease_until",
            sqlite_where=text("status = 'enqueued'"),
            postgresql_where=text("status = 'enqueued'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(
        ForeignKey("requirements.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(60))  # e.g. "auto_resolve", "follow_up"
    trigger: Mapped[str | None] = mapped_column(String(40))  # transition to fire, or None
    expected_state: Mapped[str] = mapped_column(String(40))
    state_seq: Mapped[int]
    # State timers have generation 0 and go stale when the state moves on. SLA and follow-up
    # timers outlive state changes: they carry the re-plan generation they belong to instead.
    generation: Mapped[int] = mapped_column(default=0, server_default="0")
    sla_clock_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_clocks.id", ondelete="CASCADE"), index=True
    )
    due_at: Mapped[datetime]
    status: Mapped[TimerStatus] = mapped_column(
        value_enum(TimerStatus), default=TimerStatus.PENDING
    )
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    fired_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
