"""Outreach strategies (versioned definitions), their enrolments, the steps due for each
enrolment (rows the clock claims, like timers) and each enrolment's own timeline."""

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    case,
    exists,
    func,
    select,
    text,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from models.base import Base, value_enum
from models.outbox import OutboxMessage, OutboxStatus


class StrategyStatus(enum.StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


class Strategy(Base):
    __tablename__ = "outreach_strategies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[StrategyStatus] = mapped_column(
        value_enum(StrategyStatus), default=StrategyStatus.DRAFT
    )
    # The version new enrolments take; no foreign key, as the versions point back here.
    current_version_id: Mapped[int | None]
    # Background enrolment of the audience: how many of how many (the progress bar).
    enrol_total: Mapped[int] = mapped_column(default=0)
    enrol_done: Mapped[int] = mapped_column(default=0)
    enrol_running: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class StrategyVersion(Base):
    """What a strategy says (goal, audience, steps, window, caps, holdout), frozen once active:
    an edit of an active strategy is a new version; enrolments keep the one they started on."""

    __tablename__ = "outreach_strategy_versions"
    __table_args__ = (UniqueConstraint("strategy_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_strategies.id", ondelete="CASCADE")
    )
    number: Mapped[int]
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class EnrolmentStatus(enum.StrEnum):
    ACTIVE = "active"  # steps still to come
    HOLDOUT = "holdout"  # enrolled for measurement, never contacted
    COMPLETED = "completed"  # every step done
    STOPPED = "stopped"  # see stop_reason


class Enrolment(Base):
    __tablename__ = "outreach_enrolments"
    __table_args__ = (
        UniqueConstraint("strategy_id", "customer_id"),
        Index("ix_outreach_enrolments_customer", "customer_id", "status"),
        Index("ix_outreach_enrolments_strategy_status", "strategy_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_strategies.id", ondelete="CASCADE")
    )
    version_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_strategy_versions.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    status: Mapped[EnrolmentStatus] = mapped_column(value_enum(EnrolmentStatus))
    enrolled_at: Mapped[datetime]
    steps_done: Mapped[int] = mapped_column(default=0)
    last_sent_at: Mapped[datetime | None]
    stopped_at: Mapped[datetime | None]
    stop_reason: Mapped[str | None] = mapped_column(String(40))
    # Outcomes of its email steps, kept by the outbox writers (`sync_delivery`): since when one
    # of its messages is `sent` (accepted by the server), and since when one is `dead` (bounced
    # or failed for good); NULL again if that stops being so (a bounce after the 250, a retry).
    delivered_at: Mapped[datetime | None]
    bounced_at: Mapped[datetime | None]

    strategy: Mapped[Strategy] = relationship()
    version_row: Mapped[StrategyVersion] = relationship()


class DueStepStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for due_at
    ENQUEUED = "enqueued"  # claimed by the clock, lease running
    DONE = "done"  # sent, skipped by its condition, or found the enrolment stopped
    PAUSED = "paused"  # its strategy is paused
    CANCELLED = "cancelled"  # the enrolment stopped or the strategy was archived
    FAILED = "failed"


class DueStep(Base):
    """One step of one enrolment, due at `due_at`: claimed in batches by the clock like timers;
    unique per (enrolment, step), so planning twice plans once."""

    __tablename__ = "outreach_due_steps"
    __table_args__ = (
        UniqueConstraint("enrolment_id", "step_index"),
        Index(
            "ix_outreach_due_steps_pending_due_at",
            "due_at",
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
        Index(
            "ix_outreach_due_steps_enqueued_lease_until",
            "lease_until",
            sqlite_where=text("status = 'enqueued'"),
            postgresql_where=text("status = 'enqueued'"),
        ),
        Index("ix_outreach_due_steps_strategy_status", "strategy_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_strategies.id", ondelete="CASCADE")
    )
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_enrolments.id", ondelete="CASCADE")
    )
    step_index: Mapped[int]
    due_at: Mapped[datetime]
    status: Mapped[DueStepStatus] = mapped_column(
        value_enum(DueStepStatus), default=DueStepStatus.PENDING
    )
    lease_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(2000))
    # The step's variant, chosen once when the step is planned (`workflows.outreach.splits`):
    # a re-run sends the same variant, so the same outbox key, whatever the split became.
    variant: Mapped[str | None] = mapped_column(String(20))


class EnrolmentEvent(Base):
    """An enrolment's timeline (enrolled, sent, skipped, held, replied, stopped …); `sent` rows
    also count towards the caps, so they carry the customer and channel."""

    __tablename__ = "outreach_events"
    __table_args__ = (
        Index("ix_outreach_events_enrolment", "enrolment_id", "id"),
        Index("ix_outreach_events_customer_kind_at", "customer_id", "kind", "at"),
        Index("ix_outreach_events_channel_kind_at", "channel", "kind", "at"),
        # A strategy's results: its enrolments with a holdout or sent event, and what each
        # variant reached, read from the index alone.
        Index(
            "ix_outreach_events_strategy_kind",
            "strategy_id",
            "kind",
            "enrolment_id",
            "step_index",
            "variant",
            "channel",
            "delivery",
        ),
        # The outbox writes a message's delivery back to its step's event (`sync_delivery`).
        Index(
            "ix_outreach_events_outbox",
            "outbox_id",
            sqlite_where=text("outbox_id IS NOT NULL"),
            postgresql_where=text("outbox_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_enrolments.id", ondelete="CASCADE")
    )
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_strategies.id", ondelete="CASCADE")
    )
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))
    step_index: Mapped[int | None]
    variant: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[str | None] = mapped_column(String(300))
    # What the step produced: the outbound communication on the customer's timeline and the
    # outbox row (so a communication can be traced to its strategy, step and variant).
    communication_id: Mapped[int | None] = mapped_column(
        ForeignKey("communications.id", ondelete="SET NULL")
    )
    outbox_id: Mapped[int | None]
    # A sent email step's delivery, kept equal to its outbox row's status where that is `sent`
    # (the server accepted it) or `dead` (failed for good, or bounced), else NULL: the results
    # read it from `ix_outreach_events_strategy_kind` instead of joining every step's outbox row.
    delivery: Mapped[str | None] = mapped_column(String(10))


class VariantSplit(Base):
    """An adaptive strategy's split of one step at `computed_at` (beat,
    `workflows.analytics.variant_splits`): each variant's share of the steps planned from then
    on, and the goal counts it came from. The latest row is in effect; the rows are its history."""

    __tablename__ = "outreach_variant_splits"
    __table_args__ = (
        Index("ix_outreach_variant_splits_step", "strategy_id", "step_index", "computed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    strategy_id: Mapped[int] = mapped_column(
        ForeignKey("outreach_strategies.id", ondelete="CASCADE")
    )
    step_index: Mapped[int]
    computed_at: Mapped[datetime]
    shares: Mapped[dict[str, float]] = mapped_column(JSON)  # variant key -> share, adding to 1
    successes: Mapped[dict[str, int]] = mapped_column(JSON)  # reached the goal
    trials: Mapped[dict[str, int]] = mapped_column(JSON)  # were sent the variant


DELIVERY_STATES = (OutboxStatus.SENT, OutboxStatus.DEAD)


def sync_delivery(session: Session, outbox_ids: Any, *, now: datetime) -> None:
    """Copy the outbox status of `outbox_ids` (a list or a SELECT of ids) to their steps' `sent`
    events, then the events' outcome to their enrolments, in the caller's transaction. Called by
    every writer that makes a message `sent` or `dead` or takes it back (the sender, the bounce
    handler, an admin's retry); they sit below outreach (platform, channels), so this query
    lives with the tables it writes. A message of no outreach step costs one indexed UPDATE."""
    if isinstance(outbox_ids, list | tuple) and not outbox_ids:
        return
    status = (
        select(OutboxMessage.status)
        .where(OutboxMessage.id == EnrolmentEvent.outbox_id)
        .scalar_subquery()
    )
    steps = session.execute(
        update(EnrolmentEvent)
        .where(EnrolmentEvent.outbox_id.in_(outbox_ids), EnrolmentEvent.kind == "sent")
        .values(delivery=case((status.in_(DELIVERY_STATES), status), else_=None))
        .execution_options(synchronize_session=False)
    )
    if not steps.rowcount:
        return

    def any_step(delivery: OutboxStatus) -> Any:
        return exists().where(
            EnrolmentEvent.enrolment_id == Enrolment.id,
            EnrolmentEvent.kind == "sent",
            EnrolmentEvent.delivery == delivery,
        )

    def since(column: Any, delivery: OutboxStatus) -> Any:
        return case((any_step(delivery), func.coalesce(column, now)), else_=None)

    session.execute(
        update(Enrolment)
        .where(
            Enrolment.id.in_(
                select(EnrolmentEvent.enrolment_id).where(
                    EnrolmentEvent.outbox_id.in_(outbox_ids), EnrolmentEvent.kind == "sent"
                )
            )
        )
        .values(
            delivered_at=since(Enrolment.delivered_at, OutboxStatus.SENT),
            bounced_at=since(Enrolment.bounced_at, OutboxStatus.DEAD),
        )
        .execution_options(synchronize_session=False)
    )
