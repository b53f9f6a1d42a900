"""Business calendars, SLA policies (versioned) and the SLA clocks running on requirements.

A policy's settings live in immutable versions: editing a policy adds a version, and a
requirement keeps the version it started under until an admin applies a newer one.
"""

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, value_enum


class Calendar(Base):
    """Opening periods per weekday, holidays and quiet hours, in one IANA zone.

    `periods`: [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}] (end "24:00" = midnight);
    `quiet_hours`: [{"start": "HH:MM", "end": "HH:MM"}] every day, may wrap midnight.
    """

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    periods: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    quiet_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    holidays: Mapped[list["Holiday"]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", order_by="Holiday.day"
    )
    working_days: Mapped[list["WorkingDay"]] = relationship(
        back_populates="calendar", cascade="all, delete-orphan", order_by="WorkingDay.day"
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class Holiday(Base):
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    day: Mapped[date]
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(40), default="entered")  # entered, holidays, ical

    calendar: Mapped[Calendar] = relationship(back_populates="holidays")


class WorkingDay(Base):
    """An extra working day: a date (often a weekend day, China's 调休) the calendar is open on
    although its weekday is not, or not in these hours. `periods` [{"start", "end"}] are the
    day's opening periods; NULL means "as a normal working day" (Monday's periods, else the
    first weekday's that has some), so changing the weekly hours changes these days too."""

    __tablename__ = "calendar_working_days"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    day: Mapped[date]
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(40), default="entered")  # entered, holidays
    periods: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=None)

    calendar: Mapped[Calendar] = relationship(back_populates="working_days")


class SlaPolicy(Base):
    """Which requirements a policy covers (first match by `position` wins) and its versions."""

    __tablename__ = "sla_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # {"priorities": [...], "team_ids": [...], "categories": [...], "tags": [...]}; empty = any
    match: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policy_versions.id", use_alter=True, ondelete="SET NULL")
    )
    # Progress of the last "apply to open requirements": {"status", "total", "done", "moved", …}
    recompute: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    version: Mapped[int] = mapped_column(default=1)

    current_version: Mapped["SlaPolicyVersion | None"] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class SlaPolicyVersion(Base):
    """Immutable settings of a policy.

    `targets`: {priority: {metric: seconds}} for metrics first_response, next_response,
    resolution; `pause_states`: {metric: [state, ...]} (missing metric: the workflow's default);
    `ladder`: ordered rungs {"at": "percent"|"breach"|"after_breach", "value": n,
    "recipients": [...], "actions": [...]}; `follow_up_seconds`: business time without agent
    activity before the assignee is reminded (None: no reminder).
    """

    __tablename__ = "sla_policy_versions"
    __table_args__ = (UniqueConstraint("policy_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("sla_policies.id", ondelete="CASCADE"))
    number: Mapped[int]
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id"))
    targets: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    warning_percent: Mapped[int] = mapped_column(default=80)
    pause_states: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    ladder: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    follow_up_seconds: Mapped[int | None]
    created_at: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    calendar: Mapped[Calendar] = relationship()


class Metric(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class SlaStatus(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    MET = "met"
    BREACHED = "breached"  # past due and still running: stays until met or cancelled
    CANCELLED = "cancelled"


ESCALATED_PREDICATE = (
    "status IN ('running', 'breached') AND (breached_at IS NOT NULL OR warned_at IS NOT NULL)"
)


class SlaClock(Base):
    """One metric's clock on one requirement (a next-response clock per customer message).

    Business time used so far is `used_seconds` plus the time since `running_since`. Each
    re-plan (start, pause, resume, acknowledge, policy change) bumps `plan_seq`; timers carry
    the `plan_seq` they were planned under, so an older plan's timer is stale when it fires.
    `history` explains the clock: [{"at", "what", "why"}].
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        Index("ix_sla_clocks_requirement", "requirement_id", "metric"),
        Index("ix_sla_clocks_status_due", "status", "due_at"),
        # The escalation queue and the navigation counts read only warned or breached clocks
        # that still count: a few thousand rows, not every clock of every requirement. Queries
        # must repeat ESCALATED_PREDICATE word for word (SQLite proves a partial index usable
        # only from the same terms); leading with `status` lets SQLite search it for that
        # predicate's `status IN (…)` rather than prefer ix_sla_clocks_status_due; the other
        # columns (the rungs tell an acknowledged clock) cover the counts and the queue's
        # order, so PostgreSQL reads it index-only (6,222 clocks: 0.7 ms, against 23 ms
        # fetching each row).
        Index(
            "ix_sla_clocks_escalated",
            "status",
            "requirement_id",
            "due_at",
            "breached_at",
            "warned_at",
            "id",
            "rung",
            "acknowledged_rung",
            sqlite_where=text(ESCALATED_PREDICATE),
            postgresql_where=text(ESCALATED_PREDICATE),
        ),
        # "Breaches today" on the home page: a range of today's breaches, not every clock of
        # the team's requirements (290 ms → under 1 ms for a team of 20k requirements, SQLite);
        # covering the requirement too, so each breach is not a row lookup (7.7 → 1.1 ms CPU).
        Index("ix_sla_clocks_breached_at", "breached_at", "requirement_id"),
        # Reports: a requirement's clocks with every column the support report counts
        # (compliance, rungs, durations), read from the index alone.
        Index(
            "ix_sla_clocks_report",
            "requirement_id",
            "metric",
            "status",
            "breached_at",
            "rung",
            "elapsed_seconds",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id", ondelete="CASCADE"))
    policy_version_id: Mapped[int] = mapped_column(ForeignKey("sla_policy_versions.id"))
    metric: Mapped[Metric] = mapped_column(value_enum(Metric))
    cycle: Mapped[int] = mapped_column(default=1)
    status: Mapped[SlaStatus] = mapped_column(value_enum(SlaStatus), default=SlaStatus.RUNNING)
    target_seconds: Mapped[int]
    used_seconds: Mapped[int] = mapped_column(default=0)
    started_at: Mapped[datetime]
    running_since: Mapped[datetime | None]
    due_at: Mapped[datetime | None]  # None while paused
    warning_at: Mapped[datetime | None]
    warned_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    rung: Mapped[int] = mapped_column(default=0)  # ladder rungs fired so far
    acknowledged_rung: Mapped[int] = mapped_column(default=0)
    acknowledged_at: Mapped[datetime | None]
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    plan_seq: Mapped[int] = mapped_column(default=0)
    history: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Business time counted when the clock stopped (met or cancelled), stored once so reports
    # aggregate a column instead of re-running calendar arithmetic per row (DESIGN.md §7b).
    elapsed_seconds: Mapped[int | None]
    # Why a breach happened, decided once at the breach (workflows/tracking/breach_causes.py).
    breach_cause: Mapped[str | None] = mapped_column(String(40))
