"""Today's work, as the home page shows it: an agent's open requirements by SLA urgency, those
waiting on the customer and those the customer just wrote on; a supervisor's team backlog,
breaches today, unassigned work and each agent's load. Read-only; every figure is one indexed
query whatever the number of rows (lists are cut at LIMIT), so the page costs a fixed number
of statements at 100k requirements."""

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlalchemy.orm import Session

from models import (
    Communication,
    Direction,
    Requirement,
    SlaClock,
    SlaStatus,
    TeamMembership,
    User,
)
from workflows.platform.clock import Clock
from workflows.tracking.queue_order import ACTIVE, ACTIVE_STATES, NOT_DUE_LAST

LIMIT = 10  # rows listed per section; counts are whole
RECENT = timedelta(days=3)  # "recently updated by the customer"
WAITING_STATE = "waiting_on_customer"
URGENCIES = ("breached", "at_risk", "due_today")


@dataclass
class Section:
    count: int = 0
    rows: list[Requirement] = field(default_factory=list)


@dataclass
class AgentHome:
    urgent: dict[str, Section]  # URGENCIES -> requirements
    waiting: Section
    customer_wrote: Section
    customer_wrote_at: dict[int, datetime]


@dataclass
class Load:
    user_id: int
    open: int
    breached: int


@dataclass
class TeamHome:
    backlog: dict[str, int]  # state -> count
    breaches_today: int
    unassigned: Section
    loads: list[Load]


def end_of_today(clock: Clock, zone_name: str) -> tuple[datetime, datetime]:
    """The start and end of the viewer's today, as UTC instants."""
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        zone = zoneinfo.ZoneInfo("UTC")
    today = clock.now().astimezone(zone).date()
    start = datetime.combine(today, time(), tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time(), tzinfo=zone)
    return start.astimezone(zoneinfo.ZoneInfo("UTC")), end.astimezone(zoneinfo.ZoneInfo("UTC"))


def _urgency(clock_row: tuple, now: datetime, end: datetime) -> str | None:
    status, warning_at, warned_at, due_at = clock_row
    if status == SlaStatus.BREACHED or (due_at is not None and due_at <= now):
        return "breached"
    if warned_at is not None or (warning_at is not None and warning_at <= now):
        return "at_risk"
    if due_at is not None and due_at < end:
        return "due_today"
    return None


def agent_home(session: Session, user: User, *, clock: Clock) -> AgentHome:
    now = clock.now()
    _, end = end_of_today(clock, user.time_zone)
    mine = and_(Requirement.assignee_id == user.id, Requirement.state.in_(ACTIVE_STATES))
    # The clocks that make one of my requirements urgent: few per requirement, few per agent.
    clocks = session.execute(
        select(
            SlaClock.requirement_id,
            SlaClock.status,
            SlaClock.warning_at,
            SlaClock.warned_at,
            SlaClock.due_at,
        )
        .join(Requirement, Requirement.id == SlaClock.requirement_id)
        .where(
            mine,
            SlaClock.status.in_([SlaStatus.RUNNING, SlaStatus.BREACHED]),
            or_(
                SlaClock.status == SlaStatus.BREACHED,
                SlaClock.warned_at.is_not(None),
                SlaClock.warning_at <= now,
                SlaClock.due_at < end,
            ),
        )
    ).all()
    worst: dict[int, str] = {}
    for requirement_id, *rest in clocks:
        level = _urgency(tuple(rest), now, end)
        if level is None:
            continue
        known = worst.get(requirement_id)
        if known is None or URGENCIES.index(level) < URGENCIES.index(known):
            worst[requirement_id] = level
    by_id = {
        r.id: r
        for r in session.scalars(
            select(Requirement)
            .where(Requirement.id.in_(list(worst)))
            .order_by(Requirement.sla_due_at.asc().nulls_last(), Requirement.id)
        )
    }
    urgent = {level: Section() for level in URGENCIES}
    for requirement in by_id.values():
        section = urgent[worst[requirement.id]]
        section.count += 1
        if len(section.rows) < LIMIT:
            section.rows.append(requirement)
    waiting_filter = and_(Requirement.assignee_id == user.id, Requirement.state == WAITING_STATE)
    waiting = Section(
        count=session.scalar(select(func.count()).select_from(Requirement).where(waiting_filter)),
        rows=list(
            session.scalars(
                select(Requirement)
                .where(waiting_filter)
                .order_by(Requirement.updated_at, Requirement.id)
                .limit(LIMIT)
            )
        ),
    )
    latest = (
        select(
            Communication.requirement_id.label("requirement_id"),
            func.max(Communication.occurred_at).label("at"),
        )
        .join(Requirement, Requirement.id == Communication.requirement_id)
        .where(
            mine,
            Communication.direction == Direction.INBOUND,
            Communication.deleted_at.is_(None),
            Communication.occurred_at >= now - RECENT,
        )
        .group_by(Communication.requirement_id)
        .subquery()
    )
    wrote = session.execute(
        select(Requirement, latest.c.at, func.count().over())
        .join(latest, latest.c.requirement_id == Requirement.id)
        .order_by(latest.c.at.desc(), Requirement.id)
        .limit(LIMIT)
    ).all()
    return AgentHome(
        urgent=urgent,
        waiting=waiting,
        customer_wrote=Section(count=wrote[0][2] if wrote else 0, rows=[r for r, _, _ in wrote]),
        customer_wrote_at={r.id: at for r, at, _ in wrote},
    )


def _in_scope(team_ids: list[int] | None) -> ColumnElement[bool]:
    return true() if team_ids is None else Requirement.team_id.in_(team_ids)


def team_home(
    session: Session, user: User, team_ids: list[int] | None, *, clock: Clock
) -> TeamHome:
    """`team_ids` None: every team (an admin, or a supervisor who leads none)."""
    now = clock.now()
    start, _ = end_of_today(clock, user.time_zone)
    scope = _in_scope(team_ids)
    active = and_(scope, Requirement.state.in_(ACTIVE_STATES))
    backlog = dict(
        session.execute(
            select(Requirement.state, func.count()).where(active).group_by(Requirement.state)
        ).all()
    )
    breaches_today = session.scalar(
        select(func.count())
        .select_from(SlaClock)
        .join(Requirement, Requirement.id == SlaClock.requirement_id)
        .where(scope, SlaClock.breached_at >= start, SlaClock.breached_at <= now)
    )
    # Each agent's open and overdue requirements — and, as the group without an assignee, the
    # unassigned count — in one pass over `ix_requirements_queue_load` (team, assignee, due
    # time; partial over the active states). "Overdue" is the requirement's nearest counting
    # due time having passed: a breached clock, or a running one past its due time
    # (`sla.refresh_due` keeps that time on the requirement).
    overdue = func.sum(case((now >= NOT_DUE_LAST, 1), else_=0))
    per_assignee = session.execute(
        select(Requirement.assignee_id, func.count(), overdue)
        .where(scope, ACTIVE)
        .group_by(Requirement.assignee_id)
    ).all()
    loads = {a: Load(a, n, b or 0) for a, n, b in per_assignee if a is not None}
    unassigned = Section(
        count=next((n for a, n, _ in per_assignee if a is None), 0),
        rows=list(
            session.scalars(
                select(Requirement)
                .where(scope, ACTIVE, Requirement.assignee_id.is_(None))
                # The team queue's own order (`ix_requirements_queue_team`), unassigned first.
                .order_by(
                    Requirement.assignee_id.is_not(None),
                    NOT_DUE_LAST,
                    Requirement.created_at,
                    Requirement.id,
                )
                .limit(LIMIT)
            )
        ),
    )
    if team_ids is not None:  # the team's agents with nothing open count too
        members = session.scalars(
            select(TeamMembership.user_id).where(TeamMembership.team_id.in_(team_ids))
        )
        for member in members:
            loads.setdefault(member, Load(member, 0, 0))
    ordered = sorted(loads.values(), key=lambda load: (-load.open, load.user_id))
    return TeamHome(
        backlog={s: backlog[s] for s in ACTIVE_STATES if backlog.get(s)},
        breaches_today=breaches_today,
        unassigned=unassigned,
        loads=ordered,
    )
