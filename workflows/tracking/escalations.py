"""The supervisor's escalation queue: SLA clocks past their warning or breached, and their
acknowledgement (which stops the clock's next ladder rungs until it restarts)."""

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from models import Requirement, Role, SlaClock, TeamMembership, User
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.tracking import sla
from workflows.tracking.requirements import NotPermitted

AT_RISK = "at_risk"
BREACHED = "breached"


@dataclass(frozen=True)
class QueueRow:
    sla: SlaClock
    requirement: Requirement
    level: str  # AT_RISK or BREACHED
    seconds_to_breach: float  # negative once breached
    rung: int
    acknowledged: bool


def _escalated(clock: Clock) -> ColumnElement[bool]:
    now = clock.now()
    return and_(
        SlaClock.status.in_(sla.COUNTING),
        or_(
            SlaClock.breached_at.is_not(None),
            SlaClock.warned_at.is_not(None),
            SlaClock.due_at <= now,
        ),
    )


def _scoped(
    query: Select, team_ids: list[int] | None, readable: ColumnElement[bool] | None
) -> Select:
    query = query.join(Requirement, Requirement.id == SlaClock.requirement_id)
    if team_ids is not None:
        query = query.where(Requirement.team_id.in_(team_ids))
    if readable is not None:  # the read policy, `visibility.readable`
        query = query.where(readable)
    return query


def queue(
    session: Session,
    *,
    clock: Clock,
    team_ids: list[int] | None = None,
    readable: ColumnElement[bool] | None = None,
    limit: int = 200,
) -> list[QueueRow]:
    """Breached clocks first (longest breached on top), then at-risk ones by due time."""
    query = _scoped(select(SlaClock, Requirement).where(_escalated(clock)), team_ids, readable)
    query = query.order_by(SlaClock.breached_at.is_(None), SlaClock.due_at, SlaClock.id)
    return [row_of(c, r, clock=clock) for c, r in session.execute(query.limit(limit))]


def row_of(clock_row: SlaClock, requirement: Requirement, *, clock: Clock) -> QueueRow:
    """How the queue shows a clock: breached once its due time has passed."""
    now = clock.now()
    breached = clock_row.breached_at is not None or (
        clock_row.due_at is not None and clock_row.due_at <= now
    )
    due = clock_row.due_at or clock_row.breached_at or now
    return QueueRow(
        sla=clock_row,
        requirement=requirement,
        level=BREACHED if breached else AT_RISK,
        seconds_to_breach=(due - now).total_seconds(),
        rung=clock_row.rung,
        acknowledged=clock_row.acknowledged_rung > 0,
    )


def counts(
    session: Session,
    *,
    clock: Clock,
    team_ids: list[int] | None = None,
    readable: ColumnElement[bool] | None = None,
) -> dict[str, int]:
    breached = or_(SlaClock.breached_at.is_not(None), SlaClock.due_at <= clock.now())
    query = _scoped(
        select(
            func.count(SlaClock.id).filter(breached),
            func.count(SlaClock.id).filter(~breached),
        ).where(_escalated(clock)),
        team_ids,
        readable,
    )
    breached_count, at_risk_count = session.execute(query).one()
    return {AT_RISK: at_risk_count, BREACHED: breached_count}


def supervised_team_ids(session: Session, user: User) -> list[int] | None:
    """The teams whose escalations `user` sees: None (all) for admins and for supervisors
    who lead no team, else the teams they supervise."""
    if user.has_role(Role.ADMIN):
        return None
    led = list(
        session.scalars(
            select(TeamMembership.team_id).where(
                TeamMembership.user_id == user.id, TeamMembership.is_supervisor.is_(True)
            )
        )
    )
    return led or None


def may_acknowledge(session: Session, user: User, requirement: Requirement) -> bool:
    if not user.is_active:
        return False
    if user.has_role(Role.ADMIN) or requirement.assignee_id == user.id:
        return True
    if not user.has_role(Role.SUPERVISOR):
        return False
    led = supervised_team_ids(session, user)
    return led is None or requirement.team_id in led


def acknowledge(session: Session, sla_clock_id: int, *, actor: User, clock: Clock) -> SlaClock:
    """Acknowledge the clock's current rung; flushes, the caller commits."""
    row = session.get(SlaClock, sla_clock_id)
    if row is None:
        raise ValidationFailed.field("id", "No such escalation.")
    requirement = session.get(Requirement, row.requirement_id)
    if not may_acknowledge(session, actor, requirement):
        raise NotPermitted(
            "Only a supervisor of the requirement's team, its assignee or an admin may acknowledge."
        )
    if row.status not in sla.COUNTING:
        raise ValidationFailed.field(
            "id", f"This clock is {row.status}; there is nothing to acknowledge."
        )
    due = row.due_at is not None and row.due_at <= clock.now()
    if row.warned_at is None and row.breached_at is None and row.rung == 0 and not due:
        raise ValidationFailed.field("id", "This clock is not at risk yet.")
    if row.acknowledged_rung >= max(row.rung, 1):
        return row  # already acknowledged at this rung: nothing changes
    sla.acknowledge_clock(session, row, requirement, actor_id=actor.id, clock=clock)
    return row
