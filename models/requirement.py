"""Requirements (customer needs) tracked through a declared workflow, and their events."""

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Numeric, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, value_enum


class Priority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Requirement(Base):
    __tablename__ = "requirements"
    __table_args__ = (
        Index("ix_requirements_assignee_state", "assignee_id", "state"),
        Index("ix_requirements_team_state", "team_id", "state"),
        Index("ix_requirements_customer_id", "customer_id", "created_at"),
        # Covers "which team is requirement N in?": the escalation counts probe it once per
        # escalated clock, ~5x cheaper than reading the wide requirement row (measured, SQLite).
        Index("ix_requirements_id_team", "id", "team_id"),
        Index("ix_requirements_created_at", "created_at"),
        # Reports (`workflows.analytics`): the requirements created in a range with every
        # column a report filters or groups on, read without touching the rows (support report
        # 28 days, SQLite: ~2.4x less CPU); and the sales workflow's opportunities of a range
        # without walking the 90 % that are support requirements (stages 610 → 67 ms).
        Index(
            "ix_requirements_report",
            "created_at",
            "team_id",
            "assignee_id",
            "priority",
            "category",
            "workflow",
            "sla_policy_version_id",
            "resolved_at",
            "was_resolved",
            "was_reopened",
        ),
        Index("ix_requirements_workflow_created", "workflow", "created_at", "state"),
        # The sales report's pipeline: open opportunities by expected close month and currency,
        # summed from the index alone (no creation-date range: every open opportunity counts).
        Index(
            "ix_requirements_pipeline",
            "workflow",
            "state",
            "expected_close_on",
            "currency",
            "amount",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    category: Mapped[str | None] = mapped_column(String(80))
    priority: Mapped[Priority] = mapped_column(value_enum(Priority), default=Priority.NORMAL)
    origin_channel: Mapped[str | None] = mapped_column(String(20))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    # a key of workflows.tracking.requirements.WORKFLOWS
    workflow: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(40))
    state_seq: Mapped[int] = mapped_column(default=0)  # changes only when the state changes
    resolution_note: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("requirements.id"))
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Sales opportunities only (`workflows.tracking.opportunities` checks them): the expected
    # value in an ISO 4217 currency (Numeric like transactions' money, never float) and the day
    # the deal is expected to close. All optional; other workflows leave them empty.
    amount: Mapped[Decimal | None] = mapped_column(Numeric(19, 4, asdecimal=True))
    currency: Mapped[str | None] = mapped_column(String(3))
    expected_close_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    # Facts of its history for the support report's reopen rate, set with the transition event
    # that makes them true (workflows.tracking.requirements._record), never cleared: it once
    # moved into a done state of a workflow, it was once reopened (trigger "reopen").
    was_resolved: Mapped[bool] = mapped_column(default=False, server_default=false())
    was_reopened: Mapped[bool] = mapped_column(default=False, server_default=false())
    # SLA: the policy version its clocks count under, and the nearest due time of a running
    # clock (what the queues sort by); see models/sla.py.
    sla_policy_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policy_versions.id", ondelete="SET NULL")
    )
    sla_due_at: Mapped[datetime | None] = mapped_column(index=True)
    # Counters for timer generations: each SLA or follow-up re-plan takes the next `timer_seq`;
    # `follow_up_seq` is the generation of the follow-up reminder that counts now.
    timer_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    follow_up_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    version: Mapped[int] = mapped_column(default=1)

    events: Mapped[list["RequirementEvent"]] = relationship(
        back_populates="requirement", order_by="RequirementEvent.id", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class RequirementEvent(Base):
    """One transition: who or which timer, from, to, when, why."""

    __tablename__ = "requirement_events"
    __table_args__ = (
        Index("ix_requirement_events_requirement", "requirement_id", "id"),
        # Reports bucket transitions by day (backlog, created vs resolved).
        Index("ix_requirement_events_at", "at"),
        # Reports read a requirement's transitions (reopen, stages reached) and a range of
        # transitions (flow, backlog) from these alone, never the event rows.
        Index(
            "ix_requirement_events_report", "requirement_id", "to_state", "from_state", "trigger"
        ),
        Index("ix_requirement_events_at_report", "at", "to_state", "from_state", "requirement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    timer_id: Mapped[int | None] = mapped_column(ForeignKey("timers.id", ondelete="SET NULL"))
    trigger: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    note: Mapped[str | None] = mapped_column(Text)

    requirement: Mapped[Requirement] = relationship(back_populates="events")
